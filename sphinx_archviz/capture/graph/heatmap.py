"""``:color-by:``: each node's parameters, MACs or output memory placed on a scale of five
steps (log-spaced between the smallest and the largest value drawn), and the legend that says
what each colour means. ``:overlay:`` puts the docs' own numbers on the same scale."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sphinx_archviz import style
from sphinx_archviz.capture.graph.formatting import format_count
from sphinx_archviz.capture.graph.grouping import GraphNode
from sphinx_archviz.capture.graph.overlay import Value
from sphinx_archviz.units import format_bytes, format_macs, format_number

STEPS = len(style.HEAT) - 1


@dataclass(frozen=True)
class Metric:
    title: str
    #: The node's value; None for a node it has none for (drawn uncoloured).
    value: Callable[[GraphNode], float | None]
    text: Callable[[float], str]


METRICS = {
    "params": Metric(
        "Parameters",
        lambda node: node.trainable + node.non_trainable,
        lambda value: format_count(int(value)),
    ),
    "macs": Metric("MACs", lambda node: node.measure.macs, lambda value: format_macs(int(value))),
    "memory": Metric(
        "Output memory", lambda node: node.measure.memory, lambda value: format_bytes(int(value))
    ),
}


def overlay_metric(title: str, values: Mapping[int, Value]) -> Metric:
    """The numbers of an ``:overlay:``, by node key."""

    def value(node: GraphNode) -> float | None:
        found = values.get(node.key)
        return None if found is None else found.number

    return Metric(title, value, format_number)


@dataclass(frozen=True)
class Scale:
    metric: Metric
    #: The smallest value of each step, 1 to 5.
    bounds: tuple[float, ...]
    #: The first step's text: "0", "≤ 0" when some values are below zero, "… or none" when
    #: some nodes have no value (an overlay's numbers for some modules only).
    zero: str = "0"

    def level(self, value: float) -> int:
        if value <= 0:
            return 0
        return max(step + 1 for step, bound in enumerate(self.bounds) if value >= bound)

    def legend(self) -> str:
        """The legend as a Graphviz HTML label: the title, then a cell per step."""
        cells = [style.legend_cell(0, self.zero)]
        cells += [
            style.legend_cell(step + 1, f"≥ {self.metric.text(bound)}")
            for step, bound in enumerate(self.bounds)
        ]
        return (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            f'<TR><TD COLSPAN="{len(cells)}"><B>{self.metric.title}</B></TD></TR>'
            f"<TR>{''.join(cells)}</TR></TABLE>>"
        )


def is_coloured(node: GraphNode) -> bool:
    """Whether a heatmap colours the node: modules and functional ops, not inputs and outputs."""
    return node.kind in ("module", "function")


def coloured(nodes: list[GraphNode]) -> list[GraphNode]:
    return [node for node in nodes if is_coloured(node)]


def scale(metric: Metric, nodes: list[GraphNode]) -> Scale:
    """Five log-spaced steps from the smallest positive value to the largest; nodes without a
    value share the first step with zero."""
    found = [metric.value(node) for node in coloured(nodes)]
    values = [value for value in found if value is not None]
    positive = [value for value in values if value > 0] or [1.0]
    low, high = math.log10(min(positive)), math.log10(max(positive))
    bounds = tuple(10 ** (low + (high - low) * step / STEPS) for step in range(STEPS))
    zero = "≤ 0" if any(value < 0 for value in values) else "0"
    if len(values) < len(found):
        zero += " or none"
    return Scale(metric, (min(positive), *bounds[1:]), zero)
