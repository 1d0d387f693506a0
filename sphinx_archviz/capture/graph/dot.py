"""A grouped graph as DOT: nodes with HTML labels and tooltips, clusters around groups."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator, Mapping, Sequence

from sphinx_archviz import style
from sphinx_archviz.capture.graph import heatmap
from sphinx_archviz.capture.graph.formatting import format_count, format_shape, format_shapes
from sphinx_archviz.capture.graph.grouping import GraphNode, ModuleGraph, in_drawing_order
from sphinx_archviz.capture.graph.overlay import Overlay, Value, node_values
from sphinx_archviz.capture.graph.trace import Shape
from sphinx_archviz.units import format_bytes, format_macs, format_number


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class HtmlLabel(str):
    """A Graphviz HTML label, written between ``<`` and ``>`` rather than quoted."""


def dot_attributes(values: dict[str, str]) -> str:
    return ", ".join(
        f"{name}={value if isinstance(value, HtmlLabel) else _quote(value)}"
        for name, value in values.items()
    )


def _params_text(trainable: int, non_trainable: int) -> str:
    total = trainable + non_trainable
    text = f"{total:,} params"
    if non_trainable:
        text += f" ({non_trainable:,} non-trainable)"
    return text


def _label(node: GraphNode, cluster: bool = False) -> HtmlLabel:
    return HtmlLabel(f"<{_label_text(node, cluster)}>")


def _label_text(node: GraphNode, cluster: bool) -> str:
    name = _escape(node.name)
    if cluster:
        # No-break spaces: SVG viewers drop a text element's leading plain space.
        repeat = f"&#160;<B>× {node.repeat}</B>" if node.repeat > 1 else ""
        return f"<B>{name}</B>&#160;{_escape(node.type_name)}{repeat}"
    if node.kind == "input":
        return f"<B>{name}</B><BR/>{style.muted(format_shapes(node.output_shapes))}"
    if node.kind == "output":
        return f"<B>{name}</B><BR/>{style.muted(format_shapes(node.input_shapes))}"
    if node.kind == "function":
        return _escape(node.type_name)
    kind = _escape(node.type_name) + (f" × {node.repeat}" if node.repeat > 1 else "")
    lines = [f"<B>{name}</B>", *([kind.strip()] if kind.strip() else [])]  # none if untyped
    total = node.trainable + node.non_trainable
    if total:
        lines.append(style.muted(f"{format_count(total)} params"))
    return "<BR/>".join(lines)


def _escape(text: str) -> str:
    """Text for an HTML label: markup escaped, line breaks and runs of spaces made one space."""
    return html.escape(" ".join(text.split()))


def _tooltip(node: GraphNode) -> str:
    """Full name, type, shapes in → out and parameters: the SVG's hover text, a line each."""
    node = dataclasses.replace(
        node, name=" ".join(node.name.split()), type_name=" ".join(node.type_name.split())
    )
    if node.kind == "input":
        return (
            f"{node.name}\ninput\n{format_shapes(node.output_shapes)}\n"
            f"{node.dtype}, {format_bytes(node.measure.memory)}"
        )
    if node.kind == "output":
        return f"{node.name}\noutput\n{format_shapes(node.input_shapes)}"
    kind = "function" if node.kind == "function" else node.type_name
    if node.repeat > 1:
        kind += f" × {node.repeat}"
    lines = [node.name, kind]
    lines.append(f"{format_shapes(node.input_shapes)} → {format_shapes(node.output_shapes)}")
    if node.kind == "module":
        text = _params_text(node.trainable, node.non_trainable)
        if node.repeat > 1:
            if node.reused:
                text += ", the same module each time"
            else:
                text += f", {(node.trainable + node.non_trainable) // node.repeat:,} each"
        lines.append(text)
    lines.append(_cost_text(node))
    return "\n".join(lines)


def _cost_text(node: GraphNode) -> str:
    """``4.09G MACs, 3.06 MiB of outputs (float32)``, and for how many repeats."""
    text = f"{format_macs(node.measure.macs)} MACs, {format_bytes(node.measure.memory)} of outputs"
    if node.dtype:
        text += f" ({node.dtype})"
    if node.stands_for > 1:
        text += f", all {node.stands_for} repeats"
    return text


def to_dot(
    graph: ModuleGraph,
    rankdir: str,
    title: str,
    color_by: str = "",
    marks: Mapping[int, str] | None = None,
    overlay: Overlay | None = None,
) -> str:
    """The graph as DOT; ``color_by`` (``params``, ``macs``, ``memory``) or an ``overlay``
    colours the nodes on a scale and adds its legend; ``marks`` gives nodes a diff's ``added``
    or ``changed``."""
    nodes = graph.nodes()
    ids = {node.key: f"node{number}" for number, node in enumerate(nodes)}
    lines = [f"digraph {_quote(title)} {{", *defaults(rankdir)]
    scale = heat_scale(graph, color_by, overlay)
    told = told_by(graph, overlay)
    lines.extend(_cluster_lines(graph, nodes, ids, scale, marks or {}, told))
    if scale is not None:
        lines.append(f"  legend [{dot_attributes(legend_attributes(scale))}];")
    for start, end, shapes in graph.edges():
        lines.append(edge_line(ids[start], ids[end], shapes))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster_lines(
    graph: ModuleGraph,
    nodes: list[GraphNode],
    ids: dict[int, str],
    scale: heatmap.Scale | None,
    marks: Mapping[int, str],
    told: Mapping[int, str],
) -> Iterator[str]:
    """Nodes and clusters; ``told`` gives some of them a last line of tooltip."""
    for event, node, level in in_drawing_order(graph, nodes):
        indent = "  " * (level + 1)
        if event == "close":
            yield f"{indent}}}"
            continue
        told_here = told.get(node.key, "")
        attributes = (
            cluster_attributes(node, told=told_here)
            if event == "open"
            else node_attributes(node, scale, told_here)
        )
        if node.key == graph.failed_key:
            _mark_failed(attributes, graph.trace.error)
        with_class_link(node, attributes)
        if event == "node" and node.key in marks:
            attributes = style.diff_attributes(marks[node.key], attributes)
        if event == "open":
            yield f"{indent}subgraph {_quote(f'cluster_{node.key}')} {{"
            yield f"{indent}  graph [{dot_attributes(attributes)}];"
        else:
            yield f"{indent}{ids[node.key]} [{dot_attributes(attributes)}];"


def defaults(rankdir: str) -> list[str]:
    """The statements every picture starts with: graph, node and edge defaults."""
    return [
        f"  graph [{dot_attributes(style.graph_attributes(rankdir))}];",
        f"  node [{dot_attributes(style.node_defaults())}];",
        f"  edge [{dot_attributes(style.edge_defaults())}];",
    ]


def heat_scale(graph: ModuleGraph, color_by: str, overlay: Overlay | None) -> heatmap.Scale | None:
    """The scale the nodes of ``graph`` are coloured on: its overlay's numbers, or the metric
    ``color_by`` names; None for neither."""
    if overlay:
        metric = heatmap.overlay_metric(overlay.title, node_values(graph, overlay))
    elif color_by:
        metric = heatmap.METRICS[color_by]
    else:
        return None
    return heatmap.scale(metric, graph.nodes())


def told_by(graph: ModuleGraph, overlay: Overlay | None) -> dict[int, str]:
    """The last line of tooltip an overlay gives the nodes and clusters of ``graph``."""
    if overlay is None:
        return {}
    values = node_values(graph, overlay)
    return {key: _overlay_text(overlay.title, value) for key, value in values.items()}


def node_attributes(
    node: GraphNode,
    scale: heatmap.Scale | None = None,
    told: str = "",
    shapes_out: Sequence[Shape] = (),
) -> dict[str, str]:
    """A node's label, colours (on ``scale``'s heatmap if given) and tooltip, ``told`` its last
    line; no class link. ``shapes_out``, the shapes of the tensors it passes on, end its label
    (``→ 1×16×4096``): the explorable picture draws them there rather than on its edges."""
    fill = (
        style.heat_attributes(node.family, scale.level(scale.metric.value(node) or 0.0))
        if scale is not None and heatmap.is_coloured(node)
        else style.node_attributes(node.family)
    )
    label = _label(node)
    if shapes_out:
        label = HtmlLabel(f"{label[:-1]}<BR/>{style.muted(_escape(shapes_line(shapes_out)))}>")
    return {"label": label, **fill, "tooltip": _tooltip_and(node, told)}


#: The most shapes a node's label lists as what it passes on (its tooltip has them all).
SHAPES_OUT_SHOWN = 3


def shapes_line(shapes: Sequence[Shape]) -> str:
    """``→ 1×16×4096``: the distinct shapes of the tensors a node passes on."""
    distinct = list(dict.fromkeys(tuple(shape) for shape in shapes))
    shown = format_shapes(distinct[:SHAPES_OUT_SHOWN])
    return f"→ {shown}" + (", …" if len(distinct) > SHAPES_OUT_SHOWN else "")


def cluster_attributes(node: GraphNode, note: str = "", told: str = "") -> dict[str, str]:
    """A module drawn open, as a cluster around its insides; ``note`` and ``told`` end its
    tooltip."""
    tooltip = _tooltip_and(node, note, told)
    return {"label": _label(node, cluster=True), **style.cluster_attributes(), "tooltip": tooltip}


def _tooltip_and(node: GraphNode, *notes: str) -> str:
    return "\n".join([_tooltip(node), *(note for note in notes if note)])


def with_class_link(node: GraphNode, attributes: dict[str, str]) -> dict[str, str]:
    """``attributes`` with a link to the documentation of the node's class, if it has one."""
    if node.type_path:
        attributes["URL"] = f"archviz-class:{node.type_path}"
    return attributes


def legend_attributes(scale: heatmap.Scale) -> dict[str, str]:
    return {
        "shape": "plain",
        "class": "archviz-legend",
        "label": HtmlLabel(scale.legend()),
        "tooltip": f"Colour: {scale.metric.title} of each node",
    }


def _overlay_text(title: str, value: Value) -> str:
    """``weight_sparsity: 0.5``, and how many modules' numbers it adds up."""
    text = f"{title}: {format_number(value.number)}"
    return text + (f" (the sum of {value.modules} modules)" if value.modules > 1 else "")


def removed_node_line(node: GraphNode, node_id: str) -> str:
    """A node of the old model that the new one no longer has (a diff draws it dashed)."""
    attributes = {
        "label": _label(node),
        **style.node_attributes(node.family),
        "tooltip": "removed: " + _tooltip(node),
    }
    return f"  {node_id} [{dot_attributes(style.diff_attributes('removed', attributes))}];"


def edge_attributes(shapes: list[Shape]) -> str:
    """An edge's attributes: the shapes of the tensors it carries, one a line."""
    return dot_attributes({"label": "\n".join(format_shape(shape) for shape in shapes)})


def edge_line(start: str, end: str, shapes: list[Shape]) -> str:
    return f"  {start} -> {end} [{edge_attributes(shapes)}];"


def _mark_failed(attributes: dict[str, str], error: str) -> None:
    """Mark the node or cluster the forward pass stopped in: red, and the error on hover."""
    attributes.update(style.failed_attributes(attributes["class"]))
    attributes["label"] = HtmlLabel(
        f"{attributes['label'][:-1]}<BR/>{style.failed_text('stopped here')}>"
    )
    attributes["tooltip"] += f"\nstopped here: {error}"
