"""Draw a diagram without a Sphinx project: the Python API, and what ``archviz render`` runs.

The same pipeline as the directive: the options are parsed by :mod:`.options`, the capture
comes from the same cache and framework workers, Graphviz runs through :mod:`.graphviz`, and
failures are the same :class:`ArchvizError` messages. Neither Sphinx's application nor any
framework is imported in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sphinx_archviz.config import CONFIG_VALUES
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.options import (
    DIAGRAM_OPTIONS,
    Display,
    capture_request,
    capture_timeout,
    display,
)
from sphinx_archviz.request import Capture, Summary

#: What an output file's suffix makes: an image from Graphviz, the DOT source, or a page.
OUTPUT_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".html")

Shape = str | Sequence[int] | Sequence[Sequence[int]]


@dataclass(frozen=True)
class Diagram:
    """What :func:`render` drew."""

    reference: str
    #: The Graphviz source, byte for byte the one the directive puts in the page.
    dot: str
    #: The file written, or None when no ``output`` was asked for.
    path: Path | None = None
    #: The table of modules and parameters, when ``summary=True``.
    summary: Summary | None = None
    #: "rendered" by a framework worker, or "cached" from an earlier run.
    outcome: str = "rendered"


@dataclass(frozen=True)
class Settings:
    """What a Sphinx project's ``conf.py`` would say: where models are found, which ``dot``
    runs, and where captures and images are kept between runs (None: nowhere)."""

    sys_path: Sequence[str | Path] = (".",)
    dot: str = "dot"
    dot_args: Sequence[str] = ()
    cache_folder: Path | None = field(default_factory=lambda: default_cache_folder())

    def graphviz(
        self, dot_source: str, formats: Sequence[str], folder: Path, for_print: bool = False
    ) -> dict[str, str]:
        """Render with this ``dot``: the file name of each format in ``folder``."""
        from sphinx_archviz.graphviz import render

        return render(
            dot_source,
            formats,
            folder,
            dot=self.dot,
            dot_args=self.dot_args,
            lock_folder=folder / "locks",
            layout_timeout=self.config()["archviz_layout_timeout"],
            for_print=for_print,
        )

    def config(self) -> dict[str, Any]:
        """The ``archviz_*`` values the options fall back to: the declared defaults."""
        values = {value.name: value.default for value in CONFIG_VALUES}
        values["archviz_sys_path"] = [str(Path(folder).resolve()) for folder in self.sys_path]
        return values


def default_cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sphinx-archviz"


def render(
    reference: str,
    output: str | Path | None = None,
    *,
    input_shape: Shape | None = None,
    input_dtype: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    config: str | None = None,
    framework: str | None = None,
    view: str | None = None,
    mode: str | None = None,
    depth: int | None = None,
    rankdir: str | None = None,
    device: str | None = None,
    timeout: float | None = None,
    export: bool | None = None,
    fold: bool | None = None,
    color_by: str | None = None,
    overlay: str | None = None,
    summary: bool | None = None,
    show_attrs: bool | None = None,
    show_saved: bool | None = None,
    show_shapes: bool | None = None,
    show_layer_names: bool | None = None,
    show_dtype: bool | None = None,
    expand_nested: bool | None = None,
    format: str | None = None,
    caption: str | None = None,
    name: str | None = None,
    alt: str | None = None,
    align: str | None = None,
    width: str | None = None,
    classes: Sequence[str] | None = None,
    for_print: bool = False,
    settings: Settings | None = None,
) -> Diagram:
    """Draw the model that ``reference`` (``"module.path:attribute"``) names.

    Every keyword but the last two is the directive option of the same name (``input_shape``
    is ``:input-shape:``, ``classes`` is ``:class:``); None leaves the option out. ``output``'s
    suffix chooses what is written: ``.svg``, ``.png``, ``.pdf``, ``.dot`` or ``.html`` (one
    self-contained interactive page). ``for_print`` writes the variant for papers and slides:
    white paper, no links or controls, text outlined in SVG, fonts embedded in the vector PDF,
    PNG at 300 dpi. Raises :class:`~sphinx_archviz.errors.ArchvizError` with the message a
    Sphinx build would warn with.

    >>> render("models:CNNModel", "cnn.svg", input_shape=(1, 1, 64, 64))  # doctest: +SKIP
    """
    given = dict(locals())
    options = {
        option.name: _option_text(given[option.keyword])
        for option in DIAGRAM_OPTIONS
        if given[option.keyword] is not None
    }
    return render_options(reference, options, output, for_print, settings or Settings())


def _option_text(value: Any) -> str:
    """A keyword argument as the directive's text would give it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        if all(isinstance(item, str) for item in value):
            return " ".join(value)  # classes
        if all(isinstance(item, Sequence) for item in value):
            return "; ".join(", ".join(map(str, shape)) for shape in value)  # several inputs
        return ", ".join(map(str, value))  # one input's shape
    return str(value)


def render_options(
    reference: str,
    options: Mapping[str, str],
    output: str | Path | None,
    for_print: bool,
    settings: Settings,
    inform: Callable[[str], None] = lambda _message: None,
) -> Diagram:
    """:func:`render` with the options as the directive's texts (``{"input-shape": "1, 4"}``)."""
    target = Path(output) if output is not None else None
    if target is not None and target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ArchvizError(
            "option",
            f"{target.name!r} does not end in one of {', '.join(OUTPUT_SUFFIXES)}, "
            "which choose what is written",
        )
    # Imported here: ``archviz render`` starts the framework worker before it imports these.
    from sphinx_archviz.cache import DiagramCache
    from sphinx_archviz.pipeline import fetch_capture

    config = settings.config()
    shown = display(reference, options, config)
    request = capture_request(reference, options, config, str(Path.cwd()))
    folder = settings.cache_folder
    capture, outcome = fetch_capture(
        request,
        capture_timeout(options, config),
        DiagramCache(folder / "captures") if folder else None,
        lambda message: inform(f"{request.reference}: {message}"),
        lambda error: inform(f"{request.reference}: {error.message}"),
    )
    if target is not None:
        _write(capture, target, shown, for_print, settings)
    return Diagram(request.reference, capture.dot, target, capture.summary, outcome)


def _write(
    capture: Capture, target: Path, shown: Display, for_print: bool, settings: Settings
) -> None:
    """Write ``target``: an image or the DOT of the whole graph, or a page that opens on the
    first sight of an explorable diagram."""
    from sphinx_archviz.standalone import standalone_page, standalone_svg

    fmt = target.suffix.lower().lstrip(".")
    with _image_folder(settings.cache_folder) as folder:
        if fmt == "html":
            content = standalone_page(capture, shown, for_print, folder, settings.graphviz).encode()
        elif fmt == "dot":
            content = capture.dot.encode()
        else:
            [name] = settings.graphviz(capture.dot, [fmt], folder, for_print=for_print).values()
            content = (folder / name).read_bytes()
            if fmt == "svg" and not for_print:
                content = standalone_svg(content.decode()).encode()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    except OSError as exc:
        raise ArchvizError("graphviz", f"could not write {target}: {exc.strerror}") from None


@contextlib.contextmanager
def _image_folder(cache_folder: Path | None) -> Iterator[Path]:
    """The cache's image folder, or a temporary folder removed afterwards."""
    if cache_folder is not None:
        yield cache_folder / "images"
        return
    with tempfile.TemporaryDirectory(prefix="archviz-") as temporary:
        yield Path(temporary)
