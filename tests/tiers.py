"""The test tiers' guard (a pytest plugin that conftest.py loads): a test not marked
``framework`` fails if it imports torch or TensorFlow or uses a framework worker, so
``nox -s tests-fast`` (``-m "not framework and not browser and not slow"``) provably runs no
framework, and a mismarked test fails in every run, the full one included."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sphinx_archviz.warm import FrameworkProcess
from sphinx_archviz.worker import FrameworkWorker

#: Top-level modules a test may import only when it is marked ``framework``.
FRAMEWORK_MODULES = ("torch", "torchvision", "tensorflow", "keras", "jax")

#: The framework of every worker this pytest process started or sent a capture, in order
#: (workers outlive a build, so a test can use one that an earlier test started).
worker_uses: list[str] = []


def imported_frameworks() -> set[str]:
    return {name for name in FRAMEWORK_MODULES if name in sys.modules}


_patch = pytest.MonkeyPatch()
_BEFORE = pytest.StashKey[tuple[set[str], int]]()


#: The tiers: ``nox -s tests-fast`` runs the tests that have none of these markers.
MARKERS = {
    "framework": "imports torch or TensorFlow, or draws with a framework worker",
    "browser": "drives headless Chromium (given to every test that uses the chromium fixture)",
    "slow": "takes seconds without a framework (a build in a subprocess)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")
    for method in ("_start", "capture"):
        _patch.setattr(FrameworkWorker, method, _recorded(getattr(FrameworkWorker, method)))
    for method in ("_spawn", "capture", "status"):
        _patch.setattr(FrameworkProcess, method, _recorded(getattr(FrameworkProcess, method)))


def pytest_unconfigure(config: pytest.Config) -> None:
    _patch.undo()


def _recorded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def recorded(worker: FrameworkWorker | FrameworkProcess, *args: Any) -> Any:
        worker_uses.append(worker.framework)
        return method(worker, *args)

    return recorded


def pytest_collection_finish(session: pytest.Session) -> None:
    if imported := imported_frameworks():
        raise pytest.UsageError(
            f"collecting the tests imported {', '.join(sorted(imported))}: import frameworks "
            "inside tests marked framework, not at module level"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a module's shared build counts against its first test.
    item.stash[_BEFORE] = (imported_frameworks(), len(worker_uses))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    if item.get_closest_marker("framework") or _BEFORE not in item.stash:
        return
    imported_before, used_before = item.stash[_BEFORE]
    imported = sorted(imported_frameworks() - imported_before)
    used = sorted(set(worker_uses[used_before:]))
    problems = [f"imported {', '.join(imported)}"] if imported else []
    if used:
        problems.append(f"used a {', '.join(used)} worker")
    if problems:
        pytest.fail(f"{' and '.join(problems)} without @pytest.mark.framework", pytrace=False)
