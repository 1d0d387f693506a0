"""The fast tier's guard (tests/tiers.py): a test that imports a framework or uses a framework
worker without ``@pytest.mark.framework`` fails, so ``nox -s tests-fast`` provably runs none."""

from __future__ import annotations

import pytest

from tests.conftest import TESTS

TESTS_OF_THE_GUARD = """
import sys
import types

import pytest

from sphinx_archviz.warm import FrameworkProcess, WarmSettings
from sphinx_archviz.worker import FrameworkWorker


def test_imports_torch_unmarked():
    sys.modules["torch"] = types.ModuleType("torch")


@pytest.mark.framework
def test_imports_tensorflow_marked():
    sys.modules["tensorflow"] = types.ModuleType("tensorflow")


def test_starts_a_worker_unmarked():
    worker = FrameworkWorker("keras")
    worker.start()
    worker.stop()


def test_starts_a_framework_process_unmarked(tmp_path):
    process = FrameworkProcess("torch", tmp_path, WarmSettings())
    process.start()
    process.stop()


def test_pure():
    assert True
"""


def run_guarded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    monkeypatch.setenv("PYTHONPATH", str(TESTS.parent))
    return pytester.runpytest_subprocess("-p", "tests.tiers", "-p", "no:cacheprovider")


def test_unmarked_tests_that_import_a_framework_or_use_a_worker_fail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(TESTS_OF_THE_GUARD)
    result = run_guarded(pytester, monkeypatch)
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_imports_torch_unmarked*",
            "imported torch without @pytest.mark.framework",
            "*ERROR at teardown of test_starts_a_worker_unmarked*",
            "used a keras worker without @pytest.mark.framework",
            "*ERROR at teardown of test_starts_a_framework_process_unmarked*",
            "used a torch worker without @pytest.mark.framework",
        ]
    )


def test_a_framework_imported_while_collecting_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        "import sys, types\nsys.modules['torch'] = types.ModuleType('torch')\n"
        "def test_nothing():\n    pass\n"
    )
    result = run_guarded(pytester, monkeypatch)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*collecting the tests imported torch*"])
