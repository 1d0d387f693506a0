"""A grouped graph as the rows of the summary table."""

from __future__ import annotations

from sphinx_archviz.capture.graph.formatting import format_shapes
from sphinx_archviz.capture.graph.grouping import ModuleGraph, in_drawing_order
from sphinx_archviz.request import Summary, SummaryRow


def summary(graph: ModuleGraph) -> Summary:
    """A row per module drawn, node or cluster, in drawing order; clusters' rows count their
    insides too (like torchinfo), and the totals count each parameter once."""
    rows = tuple(
        SummaryRow(
            name=node.name,
            type=node.type_name + (f" × {node.repeat}" if node.repeat > 1 else ""),
            output_shape=format_shapes(node.output_shapes),
            trainable=node.trainable,
            non_trainable=node.non_trainable,
            level=level,
        )
        for event, node, level in in_drawing_order(graph, graph.nodes())
        if event != "close" and node.kind == "module"
    )
    return Summary(rows, graph.trace.trainable, graph.trace.non_trainable)
