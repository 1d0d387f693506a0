"""Framework processes that import their framework once and fork a child per capture, kept
warm between builds with ``archviz_warm_workers``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sphinx.util.console import strip_colors

from sphinx_archviz import pool, warm
from sphinx_archviz.protocol import Ready
from sphinx_archviz.request import CaptureRequest, ExampleInput
from tests.conftest import BuildProject, requires_dot, write_site

pytestmark = [pytest.mark.framework, requires_dot]

MLP_PAGE = "MLP\n===\n\n.. archviz:: models:mlp\n   :input-shape: 2, 4\n"
KEPT = "archviz_warm_workers = True\n"


def sphinx_build(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", str(site), str(site / "_build")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=True,
    )


def kept_process(site: Path, framework: warm.Framework = "torch") -> warm.FrameworkProcess:
    """The Sphinx side of the framework process the site's builds keep warm."""
    folder = site / "_build" / ".doctrees" / "archviz-warm"
    return warm.FrameworkProcess(framework, folder, warm.WarmSettings(folder, keep=True))


def wait_until_ready(process: warm.FrameworkProcess) -> Ready:
    deadline = time.monotonic() + 120
    while (status := process.status()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status is not None
    return status


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


@pytest.fixture
def kept(tmp_path: Path):
    """A site whose builds keep the framework processes; they are stopped afterwards."""
    site = write_site(tmp_path / "src", {"index.rst": MLP_PAGE}, conf=KEPT)
    yield site
    for framework in ("torch", "keras"):
        kept_process(site, framework).stop()


def test_a_kept_process_outlives_the_build_and_draws_the_edited_model(kept: Path) -> None:
    first = sphinx_build(kept)
    assert "rendered in" in first.stdout
    before = wait_until_ready(kept_process(kept))
    assert before.captures == 1
    models = kept / "models.py"
    models.write_text(models.read_text().replace("nn.Linear(width, 2)", "nn.Linear(width, 3)"))
    again = sphinx_build(kept)
    assert "archviz: 1 diagram: 1 rendered" in again.stdout
    after = wait_until_ready(kept_process(kept))
    # The same process drew it: torch was not imported again, and the edit was seen.
    assert after.pid == before.pid
    assert after.captures == 2
    # The page's hierarchy holds torchviz's labels (its SVG is the first sight).
    page = (kept / "_build" / "index.html").read_text()
    assert "(3, 8)" in page and "(2, 8)" not in page


def test_a_crashing_capture_leaves_the_kept_process_serving(kept: Path) -> None:
    (kept / "index.rst").write_text(
        "Crash\n=====\n\n.. archviz:: broken_models:segfaults\n   :input-shape: 2, 4\n\n"
        + MLP_PAGE.split("\n\n", 1)[1]
    )
    result = sphinx_build(kept)
    assert "died during the capture (killed by SIGSEGV)" in result.stderr
    assert "index.rst:4" in result.stderr
    status = wait_until_ready(kept_process(kept))
    assert status.captures == 2 and alive(status.pid)
    assert len(list((kept / "_build" / "_images").glob("archviz-*.svg"))) == 1


def test_a_kept_process_stops_after_its_idle_timeout(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "src", {"index.rst": MLP_PAGE}, conf=KEPT + "archviz_warm_idle_timeout = 1\n"
    )
    sphinx_build(site)
    process = kept_process(site)
    pid = int((process.folder / "torch.pid").read_text())
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid)
    assert not process.socket.exists()
    assert process.status() is None


def test_a_process_of_another_framework_version_is_replaced(
    kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sphinx_build(kept)
    old = wait_until_ready(kept_process(kept))
    versions = {**warm.framework_versions(), "torch": "0.0.1"}
    monkeypatch.setattr(warm, "framework_versions", lambda: versions)
    process = kept_process(kept)
    assert process.status() is None  # the old process says it is outdated, and goes
    request = CaptureRequest(
        "models:mlp", "torch", (ExampleInput((2, 4)),), search_paths=(str(kept),)
    )
    capture = process.capture(request, 120)
    assert capture.dot.startswith("digraph")
    new = wait_until_ready(process)
    assert new.pid != old.pid and new.captures == 1
    deadline = time.monotonic() + 30
    while alive(old.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(old.pid)


@pytest.mark.parametrize(
    ("framework", "modules"),
    [
        ("torch", ("torchvision.models",)),
        ("keras", ("keras.applications",)),
        ("flax", ("flax.nnx",)),  # JAX starts XLA's threads when it first computes, not before
    ],
)
def test_a_framework_process_forks_with_no_thread_pool_and_no_cuda(
    framework: warm.Framework, modules: tuple[str, ...], tmp_path: Path
) -> None:
    """Forking is safe only in a process that runs one thread (no OpenMP, BLAS or TensorFlow
    pool started) and has not initialised CUDA: after the framework, its warm-up and the
    installed model packages are imported, the process reports no such hazard."""
    process = warm.FrameworkProcess(framework, tmp_path, warm.WarmSettings())
    process.start(modules)
    try:
        status = wait_until_ready(process)
        assert status.hazards == ()
        threads = len(list(Path(f"/proc/{status.pid}/task").iterdir()))
        assert threads == 1
    finally:
        process.stop()


@pytest.fixture
def fresh_torch_process(monkeypatch: pytest.MonkeyPatch):
    """This test's own torch process (and record of frameworks that cannot fork)."""
    monkeypatch.setattr(pool, "_not_forking", {})
    pool.pool_for("torch").stop()
    yield
    pool.pool_for("torch").stop()
    for worker_pool in pool._pools.values():
        worker_pool.stop()


def build_two_diagrams(build_project: BuildProject) -> str:
    """Build a page of two torch diagrams, check both are drawn; the build's log."""
    page = MLP_PAGE + "\n" + ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    assert len(built.images()) == 2
    return strip_colors(built.app.status.getvalue())


def test_where_forking_is_not_safe_the_workers_of_before_draw_and_the_log_says_so_once(
    build_project: BuildProject, fresh_torch_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm, "forking_is_possible", lambda: False)
    status = build_two_diagrams(build_project)
    assert status.count("cannot fork safely (forking is not safe on linux)") == 1
    assert "torch" not in [process.framework for process in warm.started_here()]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS starts no pool on one core")
def test_a_process_with_a_thread_pool_does_not_fork_and_says_why_once(
    build_project: BuildProject, fresh_torch_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numpy's OpenBLAS starts its thread pool when imported unless told not to: the framework
    process then refuses to fork, and the build falls back to the workers of before."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    status = build_two_diagrams(build_project)
    assert status.count("the torch process cannot fork safely (2 threads are running)") == 1
