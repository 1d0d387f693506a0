"""DOT source → image files with Graphviz's ``dot``. Knows Graphviz, not frameworks.

File names are the hash of everything that decides the image (DOT, format, the ``dot`` program,
its arguments and its version), so unchanged diagrams keep their files and builds do not churn.
Each file is rendered under a lock and moved into place whole, so parallel writers never render
the same file at once and no reader sees half an image.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sphinx_archviz.errors import ArchvizError

INSTALL_HINT = (
    "Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install graphviz; Read the Docs: build.apt_packages: [graphviz]) or set "
    "archviz_dot to its path"
)


#: Above this many edges, dot's default iteration limits can take minutes (DenseNet's
#: concatenations make long edges across hundreds of ranks); these settings bundle parallel edges
#: and bound the iterations, at a small cost in layout quality.
LARGE_GRAPH_EDGES = 1000
LARGE_GRAPH_ARGS = ("-Gconcentrate=true", "-Gnslimit=2", "-Gnslimit1=2", "-Gmclimit=0.1")
#: When even that runs out of time: a force-directed layout, complete but not layered.
FALLBACK_ARGS = ("-Ksfdp",)
_ORTHOGONAL_EDGES = re.compile(r"\bsplines\s*=\s*\"?ortho\b")


def layout_arguments(dot_source: str) -> tuple[str, ...]:
    """dot settings chosen by the graph's size."""
    return LARGE_GRAPH_ARGS if dot_source.count("->") > LARGE_GRAPH_EDGES else ()


def render(
    dot_source: str,
    fmt: str,
    folder: Path,
    *,
    dot: str,
    dot_args: Sequence[str] = (),
    lock_folder: Path,
    layout_timeout: float | None = None,
    on_fallback: Callable[[str], None] = lambda _message: None,
) -> str:
    """Render ``dot_source`` into ``folder`` as ``fmt``; the image's file name.

    A layout that takes longer than ``layout_timeout`` seconds is stopped and redone with a
    faster engine; ``on_fallback`` hears about it.
    """
    dot_args = (*layout_arguments(dot_source), *dot_args)
    version = graphviz_version(dot)
    digest = hashlib.sha1(
        "\0".join([dot_source, fmt, dot, *dot_args, version]).encode(), usedforsecurity=False
    ).hexdigest()
    name = f"archviz-{digest}.{fmt}"
    target = folder / name
    if target.is_file():
        return name
    try:
        with _locked(lock_folder / f"{name}.lock"):
            if target.is_file():
                return name
            try:
                _run_dot(dot_source, fmt, target, dot, dot_args, layout_timeout)
            except ArchvizError as error:
                if not _ORTHOGONAL_EDGES.search(dot_source):
                    raise
                # Graphviz's right-angled edge router (plot_model's default) crashes on some
                # big graphs ("Trapezoid-table overflow"); curved edges lay out the same graph.
                on_fallback(f"{error.message}; drawn with curved instead of right-angled edges")
                _run_dot(dot_source, fmt, target, dot, (*dot_args, "-Gsplines=true"), None)
            except subprocess.TimeoutExpired:
                on_fallback(
                    f"the layout took longer than {layout_timeout:g} s "
                    "(archviz_layout_timeout), so it was drawn with the faster sfdp layout"
                )
                _run_dot(dot_source, fmt, target, dot, (*FALLBACK_ARGS, *dot_args), None)
    except OSError as exc:
        raise ArchvizError(
            "graphviz", f"could not write {exc.filename or target}: {exc.strerror}"
        ) from None
    return name


@functools.cache
def graphviz_version(dot: str) -> str:
    """``dot -V``'s answer; an ArchvizError if the program cannot be run."""
    program = shutil.which(dot)
    if program is None:
        raise ArchvizError(
            "graphviz", f"the Graphviz program {dot!r} was not found. {INSTALL_HINT}"
        )
    try:
        result = subprocess.run([program, "-V"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ArchvizError("graphviz", f"{dot!r} -V failed ({exc}). {INSTALL_HINT}") from None
    return (result.stderr or result.stdout).strip()


def _run_dot(
    dot_source: str,
    fmt: str,
    target: Path,
    dot: str,
    dot_args: Sequence[str],
    timeout: float | None,
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".tmp-", suffix=f".{fmt}", delete=False
    ) as partial:
        partial_path = Path(partial.name)
    try:
        result = subprocess.run(
            [dot, *dot_args, f"-T{fmt}", f"-o{partial_path}"],
            input=dot_source.encode(),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
        if result.returncode != 0 or partial_path.stat().st_size == 0:
            message = " ".join(result.stderr.decode(errors="replace").split())
            raise ArchvizError(
                "graphviz", f"dot failed: {message or f'exit code {result.returncode}'}"
            )
        partial_path.replace(target)
    finally:
        partial_path.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; without one if the lock file cannot be made (the
    image is still moved into place whole)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.open("w")
    except OSError:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
