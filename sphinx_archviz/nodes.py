"""The document nodes a diagram leaves in the doctree: the diagram itself, the visible
placeholder that stands where it could not be drawn, or the part of it that ran before the
model failed, labelled as partial."""

from __future__ import annotations

from docutils import nodes

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import PartialDrawing

UNAVAILABLE_CLASS = "archviz-unavailable"
PARTIAL_CLASS = "archviz-partial"


class archviz(nodes.General, nodes.Inline, nodes.Element):
    """A captured diagram: its DOT source and how to show it."""


def unavailable_node(reference: str, error: ArchvizError) -> nodes.container:
    """The visible box that stands where a diagram could not be drawn."""
    box = nodes.container(classes=[UNAVAILABLE_CLASS])
    box += nodes.paragraph("", "", nodes.strong("", f"Diagram unavailable: {reference}"))
    box += nodes.paragraph("", error.message)
    return box


def partial_node(diagram: archviz, partial: PartialDrawing) -> nodes.container:
    """A diagram of what ran before the forward pass failed, under a banner that says so."""
    diagram["partial"] = True
    diagram["classes"].append(f"{PARTIAL_CLASS}-diagram")
    box = nodes.container(classes=[PARTIAL_CLASS])
    banner = nodes.paragraph(classes=[f"{PARTIAL_CLASS}-banner"])
    banner += nodes.strong("", f"Partial diagram: stopped at {partial.stopped_at}")
    banner += nodes.Text(f": {partial.error}")
    box += banner
    box += diagram
    return box
