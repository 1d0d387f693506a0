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
            macs=node.measure.macs,
            memory=node.measure.memory,
            dtype=node.dtype,
        )
        for event, node, level in in_drawing_order(graph, graph.nodes())
        if event != "close" and node.kind == "module"
    )
    trace = graph.trace
    return Summary(
        rows,
        trace.trainable,
        trace.non_trainable,
        macs=trace.calls[trace.root].macs,
        memory=sum(
            measure.memory
            for key, measure in graph.measures.items()
            if key >= 0 and trace.calls[key].parent == trace.root
        ),
    )
