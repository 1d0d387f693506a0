"""Shapes and counts as text, for labels, tooltips and the summary table."""

from __future__ import annotations

from collections.abc import Iterable

from sphinx_archviz.capture.graph.trace import Shape


def format_shape(shape: Shape) -> str:
    return "×".join("?" if size is None else str(size) for size in shape) or "scalar"


def format_shapes(shapes: Iterable[Shape]) -> str:
    return ", ".join(format_shape(shape) for shape in shapes) or "–"


def format_count(count: int) -> str:
    """``832``, ``12.3K``, ``2.36M``, ``6.74B``: parameter counts for node labels."""
    for limit, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= limit:
            value = count / limit
            return f"{value:.3g}{suffix}" if value < 1000 else f"{value:.0f}{suffix}"
    return str(count)
