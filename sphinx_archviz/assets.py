"""The HTML builder's static files, added only to pages that have a diagram: archviz.css, and
archviz.js when diagrams are interactive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes

from sphinx_archviz.directive import UNAVAILABLE_CLASS, archviz

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

STATIC_DIR = Path(__file__).parent / "static"
CSS_FILE = "archviz.css"
JS_FILE = "archviz.js"


def add_static_path(_app: Sphinx, sphinx_config: Config) -> None:
    sphinx_config.html_static_path.append(str(STATIC_DIR))


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
    if app.config.archviz_interactive and any(doctree.findall(archviz)):
        app.add_js_file(JS_FILE, loading_method="defer")


def _is_diagram_or_placeholder(node: nodes.Node) -> bool:
    return isinstance(node, archviz) or (
        isinstance(node, nodes.Element) and UNAVAILABLE_CLASS in node["classes"]
    )


def setup_assets(app: Sphinx) -> None:
    app.connect("config-inited", add_static_path)
    app.connect("html-page-context", add_assets_to_pages_with_diagrams)
