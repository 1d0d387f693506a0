"""A grouped graph as the rows of the summary table."""

from __future__ import annotations

import math
from collections.abc import Iterator

from sphinx_archviz.capture.graph.formatting import format_shapes
from sphinx_archviz.capture.graph.grouping import ModuleGraph, in_drawing_order
from sphinx_archviz.capture.graph.overlay import Overlay, call_values, node_values
from sphinx_archviz.capture.graph.trace import Weight
from sphinx_archviz.request import Summary, SummaryRow


def summary(graph: ModuleGraph, overlay: Overlay | None = None) -> Summary:
    """A row per module drawn, node or cluster, in drawing order; clusters' rows count their
    insides too (like torchinfo), and the totals count each parameter once. Parameters a
    model or a cluster's module holds itself get a row each, so that each level adds up.
    An ``overlay`` adds its number to each row that has one."""
    root = graph.calls[graph.trace.root]
    values = node_values(graph, overlay) if overlay else {}
    rows = [*_weight_rows(root.weights, "", 0)]
    for event, node, level in in_drawing_order(graph, graph.nodes()):
        if event == "close" or node.kind != "module":
            continue
        rows.append(
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
                overlay=values[node.key].number if node.key in values else None,
            )
        )
        if event == "open" and node.key >= 0:
            # A folded cluster's rows inside are those of its first member, and so are these.
            owner = graph.calls[node.key]
            rows += _weight_rows(owner.weights, owner.name, level + 1)
    trace = graph.trace
    return Summary(
        tuple(rows),
        trace.trainable,
        trace.non_trainable,
        macs=trace.calls[trace.root].macs,
        memory=sum(
            measure.memory
            for key, measure in graph.measures.items()
            if key >= 0 and trace.calls[key].parent == trace.root
        ),
        overlay_title=overlay.title if overlay else "",
        overlay=call_values(trace, overlay.values)[trace.root] if overlay else None,
    )


def _weight_rows(weights: list[Weight], owner: str, level: int) -> Iterator[SummaryRow]:
    for weight in weights:
        size = math.prod(weight.shape)  # type: ignore[arg-type]
        yield SummaryRow(
            name=f"{owner}.{weight.name}" if owner else weight.name,
            type=weight.type_name,
            output_shape=format_shapes([weight.shape]),
            trainable=size if weight.trainable else 0,
            non_trainable=0 if weight.trainable else size,
            level=level,
        )
