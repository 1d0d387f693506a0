"""The HTML builder's static files, added only to pages that have a diagram: archviz.css, the
diagrams' light and dark colours (archviz-colours.css, written from style.py), and archviz.js
where diagrams are explored or offer a PNG download."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes

from sphinx_archviz.html import needs_script
from sphinx_archviz.nodes import UNAVAILABLE_CLASS, archviz
from sphinx_archviz.style import colours_css

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

STATIC_DIR = Path(__file__).parent / "static"
CSS_FILE = "archviz.css"
JS_FILE = "archviz.js"
COLOURS_FILE = "archviz-colours.css"


def add_static_path(_app: Sphinx, sphinx_config: Config) -> None:
    sphinx_config.html_static_path.append(str(STATIC_DIR))


def write_colours(app: Sphinx) -> None:
    if app.builder.format == "html":
        static = Path(app.outdir, "_static")
        static.mkdir(parents=True, exist_ok=True)
        (static / COLOURS_FILE).write_text(colours_css(), encoding="utf-8")


def add_assets_to_pages_with_diagrams(
    app: Sphinx,
    _pagename: str,
    _templatename: str,
    _context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    if doctree is None or not any(doctree.findall(_is_diagram_or_placeholder)):
        return
    app.add_css_file(CSS_FILE)
    app.add_css_file(COLOURS_FILE)
    if needs_script(app.builder) and any(doctree.findall(archviz)):
        app.add_js_file(JS_FILE, loading_method="defer")


def _is_diagram_or_placeholder(node: nodes.Node) -> bool:
    return isinstance(node, archviz) or (
        isinstance(node, nodes.Element) and UNAVAILABLE_CLASS in node["classes"]
    )


def setup_assets(app: Sphinx) -> None:
    app.connect("config-inited", add_static_path)
    app.connect("builder-inited", write_colours)
    app.connect("html-page-context", add_assets_to_pages_with_diagrams)
