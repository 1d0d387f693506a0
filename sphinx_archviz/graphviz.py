"""DOT source → image files with Graphviz's ``dot``. Knows Graphviz, not frameworks.

File names are the hash of everything that decides the image (DOT, the ``dot`` program,
its arguments and its version, and this module's code, which post-processes what ``dot`` writes),
so unchanged diagrams keep their files, builds do not churn, and a change here redraws them.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.state import code_digest

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
#: For print (papers, slides): white paper; SVG text drawn as outlines (Graphviz's cairo
#: renderer), so it looks the same where the font is missing; PDF is vector with its fonts
#: embedded; PNG at 300 dpi.
PRINT_ARGS = ("-Gbgcolor=white",)
PRINT_RENDERERS = {"svg": "svg:cairo"}
PRINT_PNG_ARGS = ("-Gdpi=300",)
_ORTHOGONAL_EDGES = re.compile(r"\bsplines\s*=\s*\"?ortho\b")


def renderer_version() -> str:
    """Part of every file name: the code that turns DOT into image files (this module)."""
    return code_digest(Path(__file__).name)


def layout_arguments(dot_source: str) -> tuple[str, ...]:
    """dot settings chosen by the graph's size."""
    return LARGE_GRAPH_ARGS if dot_source.count("->") > LARGE_GRAPH_EDGES else ()


def render(
    dot_source: str,
    formats: Sequence[str],
    folder: Path,
    *,
    dot: str,
    dot_args: Sequence[str] = (),
    lock_folder: Path,
    layout_timeout: float | None = None,
    on_fallback: Callable[[str], None] = lambda _message: None,
    for_print: bool = False,
) -> dict[str, str]:
    """Render ``dot_source`` into ``folder`` in each of ``formats``; the file name of each.

    One layout serves every format (``dot -Tsvg -o… -Tpng -o…``); the format ``"dot"`` is the
    source itself. A layout that takes longer than ``layout_timeout`` seconds is stopped and
    redone with a faster engine; ``on_fallback`` hears about it. ``for_print`` renders the
    variant for print (:data:`PRINT_ARGS`), each format on its own.
    """
    if for_print and len(formats) > 1:
        settings = {"dot": dot, "dot_args": dot_args, "lock_folder": lock_folder}
        return {
            fmt: name
            for one in formats
            for fmt, name in render(dot_source, [one], folder, **settings, for_print=True).items()
        }
    renderers: dict[str, str] = {}
    if for_print:
        renderers = PRINT_RENDERERS
        dot_args = (*PRINT_ARGS, *(PRINT_PNG_ARGS if "png" in formats else ()), *dot_args)
    dot_args = (*layout_arguments(dot_source), *dot_args)
    version = graphviz_version(dot)
    digest = hashlib.sha1(
        "\0".join(
            [renderer_version(), dot_source, dot, *dot_args, *renderers.values(), version]
        ).encode(),
        usedforsecurity=False,
    ).hexdigest()
    kind = "-print" if for_print else ""
    names = {fmt: f"archviz-{digest}{kind}.{fmt}" for fmt in formats}
    targets = {fmt: folder / name for fmt, name in names.items()}
    if all(target.is_file() for target in targets.values()):
        return names
    try:
        with _locked(lock_folder / f"archviz-{digest}.lock"):
            missing = {fmt: path for fmt, path in targets.items() if not path.is_file()}
            if "dot" in missing:
                _write_whole(missing.pop("dot"), dot_source.encode())
            if missing:
                _lay_out(dot_source, missing, dot, dot_args, layout_timeout, on_fallback, renderers)
    except OSError as exc:
        raise ArchvizError(
            "graphviz", f"could not write {exc.filename or folder}: {exc.strerror}"
        ) from None
    return names


def _lay_out(
    dot_source: str,
    targets: dict[str, Path],
    dot: str,
    dot_args: Sequence[str],
    layout_timeout: float | None,
    on_fallback: Callable[[str], None],
    renderers: Mapping[str, str],
) -> None:
    run = functools.partial(_run_dot, dot_source, targets, dot, renderers=renderers)
    try:
        run(dot_args, layout_timeout)
    except ArchvizError as error:
        if not _ORTHOGONAL_EDGES.search(dot_source):
            raise
        # Graphviz's right-angled edge router (plot_model's default) crashes on some big
        # graphs ("Trapezoid-table overflow"); curved edges lay out the same graph.
        on_fallback(f"{error.message}; drawn with curved instead of right-angled edges")
        run((*dot_args, "-Gsplines=true"), None)
    except subprocess.TimeoutExpired:
        on_fallback(
            f"the layout took longer than {layout_timeout:g} s "
            "(archviz_layout_timeout), so it was drawn with the faster sfdp layout"
        )
        run((*FALLBACK_ARGS, *dot_args), None)


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
    targets: dict[str, Path],
    dot: str,
    dot_args: Sequence[str],
    timeout: float | None,
    renderers: Mapping[str, str] = {},
) -> None:
    """One ``dot`` run writing every target; each file appears whole or not at all."""
    partials = {fmt: _partial_file(target) for fmt, target in targets.items()}
    outputs = [
        arg
        for fmt, path in partials.items()
        for arg in (f"-T{renderers.get(fmt, fmt)}", f"-o{path}")
    ]
    try:
        result = subprocess.run(
            [dot, *dot_args, *outputs],
            input=dot_source.encode(),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
        if result.returncode != 0 or any(path.stat().st_size == 0 for path in partials.values()):
            message = " ".join(result.stderr.decode(errors="replace").split())
            raise ArchvizError(
                "graphviz", f"dot failed: {message or f'exit code {result.returncode}'}"
            )
        if "svg" in partials:
            svg = partials["svg"]
            svg.write_text(undo_svg_dpi(svg.read_text(encoding="utf-8")), encoding="utf-8")
        for fmt, path in partials.items():
            _publish(path, targets[fmt])
    finally:
        for path in partials.values():
            path.unlink(missing_ok=True)


_SVG_SIZE = re.compile(
    r'<svg width="(?P<width>[\d.]+)pt" height="(?P<height>[\d.]+)pt"\s+'
    r'viewBox="[\d.]+ [\d.]+ (?P<box_width>[\d.]+) (?P<box_height>[\d.]+)"'
)
_SVG_SCALE = re.compile(r'(<g id="graph0" class="graph" transform=")scale\([\d.]+ [\d.]+\)')


def undo_svg_dpi(svg: str) -> str:
    """Graphviz 2.43 scales an SVG's size and content by ``dpi`` (Keras asks for 200) but not its
    viewBox, so browsers show only the top-left corner; draw it at 72 dpi, as SVG means."""
    size = _SVG_SIZE.search(svg)
    if size is None or float(size["width"]) <= float(size["box_width"]) + 1:
        return svg
    svg = _SVG_SIZE.sub(
        f'<svg width="{size["box_width"]}pt" height="{size["box_height"]}pt"\n'
        f' viewBox="0.00 0.00 {size["box_width"]} {size["box_height"]}"',
        svg,
        count=1,
    )
    return _SVG_SCALE.sub(r"\1scale(1 1)", svg, count=1)


def _partial_file(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".tmp-", suffix=target.suffix, delete=False
    ) as partial:
        return Path(partial.name)


def _publish(partial: Path, target: Path) -> None:
    # Temporary files are private (0600); the site's files are for every reader of the server.
    partial.chmod(0o644)
    partial.replace(target)


def _write_whole(target: Path, content: bytes) -> None:
    partial = _partial_file(target)
    try:
        partial.write_bytes(content)
        _publish(partial, target)
    finally:
        partial.unlink(missing_ok=True)


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
