"""Diagrams outside a documentation site: an SVG file without the site's links, and one
self-contained HTML page (explorer script, Graphviz, styles, dark mode and downloads inlined)
that opens from ``file://`` with no network."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from pathlib import Path

from sphinx_archviz.config import DOWNLOAD_FORMATS
from sphinx_archviz.html import (
    CLASS_LINK_SCHEME,
    GRAPHVIZ_SCRIPT,
    diagram_html,
    files_to_render,
    whole_graph_downloads,
)
from sphinx_archviz.options import Display
from sphinx_archviz.request import Capture
from sphinx_archviz.style import PAGE_COLOURS, colours_css

STATIC_DIR = Path(__file__).parent / "static"
#: The downloads of the print variant: outlined SVG and vector PDF, for papers and slides.
PRINT_DOWNLOADS = ("svg", "pdf")
_MEDIA_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz",
}
_CLASS_LINK = re.compile(rf'\s*xlink:href="{CLASS_LINK_SCHEME}[^"]*"')
_PAGE, _DARK_PAGE = PAGE_COLOURS["page"]
_INK, _DARK_INK = PAGE_COLOURS["ink"]
_PAGE_CSS = f"""\
:root {{ color-scheme: light dark; }}
body {{ margin: 2em auto; max-width: 1100px; padding: 0 1em; background: {_PAGE}; color: {_INK};
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }}
figcaption {{ text-align: center; font-size: 0.95em; }}
@media (prefers-color-scheme: dark) {{
  body[data-theme="auto"] {{ background: {_DARK_PAGE}; color: {_DARK_INK}; }}
}}
"""
_PRINT_CSS = f"""\
:root {{ color-scheme: light; }}
body {{ margin: 1em; background: {_PAGE}; color: {_INK}; font: 12pt/1.4 Helvetica, Arial,
  sans-serif; }}
figcaption {{ text-align: center; }}
"""

Graphviz = Callable[..., dict[str, str]]


def standalone_svg(svg: str) -> str:
    """Graphviz's SVG without the links to a site's class documentation, which only a Sphinx
    build can resolve."""
    return _CLASS_LINK.sub("", svg)


def standalone_page(
    capture: Capture, shown: Display, for_print: bool, folder: Path, graphviz: Graphviz
) -> str:
    """One HTML page showing the diagram: explorable group by group (with Graphviz inlined
    for the states the reader opens), in the reader's light or dark mode, with its downloads
    inlined; or, ``for_print``, a plain light picture with print downloads."""
    downloads = list(PRINT_DOWNLOADS if for_print else DOWNLOAD_FORMATS)
    explorable = not for_print and shown.format == "svg" and bool(capture.first_sight)
    explorer = None
    if explorable:
        names, explorer = _explorer_files(capture, downloads, folder, graphviz)
    elif for_print:
        formats = list(dict.fromkeys([shown.format, *downloads]))
        names = graphviz(capture.dot, formats, folder, for_print=True)
    else:
        names = graphviz(capture.dot, files_to_render(shown.format, downloads), folder)
    body = diagram_html(
        names=names,
        reference=shown.reference,
        image_folder=folder,
        image_uri="",
        shown=shown.format,
        alt=shown.alt,
        classes=[f"align-{shown.align or 'center'}", *shown.classes],
        width=shown.width,
        interactive=not for_print,
        downloads=downloads,
        language="en",
        class_uri=lambda _name: None,
        explorer=explorer,
    )
    for name in set(names.values()):
        body = body.replace(f'"{name}"', f'"{_data_uri(folder / name)}"')
    return _page(shown, body, for_print, explorable)


def _explorer_files(
    capture: Capture, downloads: list[str], folder: Path, graphviz: Graphviz
) -> tuple[dict[str, str], tuple[str, str]]:
    """An explorable diagram's files (the SVG of its first sight, the other downloads of its
    whole graph) and what the explorer starts from: that SVG and the hierarchy."""
    whole = whole_graph_downloads(downloads)
    names = graphviz(capture.dot, whole, folder, for_print=False) if whole else {}
    names |= graphviz(capture.first_sight, ["svg"], folder, for_print=False)
    return names, ((folder / names["svg"]).read_text(encoding="utf-8"), capture.hierarchy)


def _data_uri(path: Path) -> str:
    media_type = _MEDIA_TYPES[path.suffix.lstrip(".")]
    return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _page(shown: Display, body: str, for_print: bool, explorable: bool) -> str:
    title = html.escape(shown.caption or shown.alt)
    # Without data-theme on <body>, only the light colours of colours_css() apply.
    styles = (_PRINT_CSS if for_print else _PAGE_CSS, _static("archviz.css"), colours_css())
    scripts = [] if for_print else ["archviz.js"]
    if explorable:  # Graphviz first: archviz.js finds it loaded and loads no file of its own
        scripts.insert(0, GRAPHVIZ_SCRIPT)
    script = "".join(f"<script>\n{_static(name)}</script>\n" for name in scripts)
    figure_id = f' id="{html.escape(shown.name)}"' if shown.name else ""
    caption = f"<figcaption>{html.escape(shown.caption)}</figcaption>\n" if shown.caption else ""
    theme = "" if for_print else ' data-theme="auto"'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{title}</title>\n<style>\n{''.join(styles)}</style>\n</head>\n"
        f'<body{theme}>\n<figure class="archviz-figure"{figure_id}>\n{body}{caption}'
        f"</figure>\n{script}</body>\n</html>\n"
    )


def _static(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")
