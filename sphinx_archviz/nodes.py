"""The document nodes a diagram leaves in the doctree: the diagram itself, or the visible
placeholder that stands where it could not be drawn."""

from __future__ import annotations

from docutils import nodes

from sphinx_archviz.errors import ArchvizError

UNAVAILABLE_CLASS = "archviz-unavailable"


class archviz(nodes.General, nodes.Inline, nodes.Element):
    """A captured diagram: its DOT source and how to show it."""


def unavailable_node(reference: str, error: ArchvizError) -> nodes.container:
    """The visible box that stands where a diagram could not be drawn."""
    box = nodes.container(classes=[UNAVAILABLE_CLASS])
    box += nodes.paragraph("", "", nodes.strong("", f"Diagram unavailable: {reference}"))
    box += nodes.paragraph("", error.message)
    return box
