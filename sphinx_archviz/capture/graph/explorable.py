"""The modules view as a hierarchy the reader opens and closes (:mod:`.hierarchy`), whatever
the framework.

Its leaves are the trace's atoms drawn at full depth (leaf modules, functional ops, inputs,
outputs), its groups the module calls around them, and two kinds the trace does not name:

- a **folded repeat** (``layers.0–31 × 32``), around the structurally identical calls the
  modules view draws once; closed, it is the modules view's "× N" node;
- a **scope**, for a flat model (``keras.applications`` models are lists of hundreds of
  layers): consecutive layers whose names share a scope (``conv2_block1_1_conv``,
  ``conv2_block1_1_bn``, … share ``conv2_block1_1``, ``conv2_block1`` and ``conv2``).

Everything is drawn as the modules view draws it (:mod:`.dot`), on its heatmap's scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from sphinx_archviz import style
from sphinx_archviz.capture.graph import heatmap
from sphinx_archviz.capture.graph.dot import (
    cluster_attributes,
    defaults,
    dot_attributes,
    legend_attributes,
    node_attributes,
    told_by,
    with_class_link,
)
from sphinx_archviz.capture.graph.grouping import GraphNode, ModuleGraph
from sphinx_archviz.capture.graph.hierarchy import (
    Group,
    Hierarchy,
    Leaf,
    first_sight,
    group_attributes,
    prune,
)
from sphinx_archviz.capture.graph.metrics import Measure
from sphinx_archviz.capture.graph.overlay import Overlay, node_values
from sphinx_archviz.capture.graph.siblings import Scope, Unit, gather
from sphinx_archviz.capture.graph.trace import Shape, Trace

#: Deeper than any model: every module is opened down to its atoms.
EVERY_LEVEL = 10_000


def modules_hierarchy(
    trace: Trace,
    rankdir: str,
    *,
    fold: bool = True,
    scale: heatmap.Scale | None = None,
    overlay: Overlay | None = None,
    depth: int | None = None,
) -> Hierarchy:
    """The trace's hierarchy, open at first sight to ``depth`` levels (else as far as reads
    well); ``scale`` colours it as the modules view's heatmap does, on ``overlay``'s numbers
    if it has one."""
    builder = _Builder(trace, rankdir, fold, _Colours(scale, overlay))
    ends = [call.index for call in trace.calls if call.kind in ("input", "output")]
    for call in ends:
        if trace.calls[call].kind == "input":
            builder.add_call(call, None)
    if builder.whole.is_atom(trace.root):  # a model that calls no module: one node
        builder.add_call(trace.root, None)
    else:
        builder.add_children(trace.root, None)
    for call in ends:
        if trace.calls[call].kind == "output":
            builder.add_call(call, None)
    hierarchy = builder.finish()
    hierarchy.open = first_sight(hierarchy, depth, open_layers=True)
    return hierarchy


@dataclass
class _Colours:
    """The heatmap's scale, and the overlay whose numbers it shows (if any)."""

    scale: heatmap.Scale | None
    overlay: Overlay | None

    def for_graph(self, graph: ModuleGraph) -> tuple[heatmap.Scale | None, dict[int, str]]:
        """The scale for the nodes of ``graph`` (an overlay's numbers are the graph's own: a
        folded node adds up its repeats), and the tooltip line the overlay gives each."""
        if self.scale is None or self.overlay is None:
            return self.scale, {}
        metric = heatmap.overlay_metric(self.overlay.title, node_values(graph, self.overlay))
        return dataclasses.replace(self.scale, metric=metric), told_by(graph, self.overlay)


class _Builder:
    def __init__(self, trace: Trace, rankdir: str, fold: bool, colours: _Colours) -> None:
        self.trace = trace
        self.whole = ModuleGraph(trace, EVERY_LEVEL, fold=False)
        self.folded = ModuleGraph(trace, EVERY_LEVEL, fold=True) if fold else self.whole
        self.colours = colours
        self.scale, self.told = colours.for_graph(self.whole)
        self.folded_scale, self.folded_told = colours.for_graph(self.folded)
        self.drawn = {node.key: node for node in self.whole.nodes()}
        self.edges = self.whole.edges()
        self.outputs: dict[int, list[tuple[int, list[Shape]]]] = {}
        for start, end, shapes in self.edges:
            self.outputs.setdefault(start, []).append((end, shapes))
        self.hierarchy = Hierarchy("\n".join(defaults(rankdir)))
        self.leaf_of: dict[int, int] = {}

    def finish(self) -> Hierarchy:
        # Bare edges: the shapes they carry are in their start's label (see shapes_out).
        self.hierarchy.edges = [
            (self.leaf_of[start], self.leaf_of[end], "") for start, end, _ in self.edges
        ]
        if self.scale is not None:
            legend = dot_attributes(legend_attributes(self.scale))
            self.hierarchy.add_leaf(Leaf(None, legend))
        return prune(self.hierarchy)

    def add_children(self, call: int, parent: int | None) -> None:
        units = list(self._units(self.trace.calls[call].children))
        edges = ((start, end) for start, end, _ in self.edges)
        self._add_gathered(gather(units, edges, self.trace.calls[call].name), parent)

    def _units(self, children: list[int]) -> Iterator[Unit]:
        position = 0
        while position < len(children):
            child = children[position]
            run = self.folded.runs.get(child)
            pattern = self.folded.patterns.get(-1 - child)
            if run is not None:
                calls = run.members
                folded = self.folded.node(child, folded=True)
            elif pattern is not None:
                calls = [call for segment in pattern.segments for call in segment]
                folded = self.folded.pattern_node(-1 - child)
            else:
                calls, folded = [child], None
            position += len(calls)
            first, last = self.trace.calls[calls[0]], self.trace.calls[calls[-1]]
            atoms = [atom for call in calls for atom in self.whole.atoms_under(call)]
            yield Unit(calls, first.name, first.type_name, last.name, atoms, folded)

    def _add_gathered(self, items: list[Unit | Scope], parent: int | None) -> None:
        for item in items:
            if isinstance(item, Unit):
                self._add_unit(item, parent)
                continue
            atoms = [atom for unit in item.units() for atom in unit.keys]
            group = self._add_group(self._scope_node(item), parent, atoms, scope=True)
            self._add_gathered(item.items, group)

    def _add_unit(self, unit: Unit, parent: int | None) -> None:
        folded: GraphNode | None = unit.payload
        if folded is not None:
            note = (
                f"{folded.repeat} structurally identical repeats: opened, the first shows; "
                "[ and ] step to the others"
            )
            parent = self._add_group(folded, parent, unit.keys, note=note, repeats=folded.repeat)
        for call in unit.members:
            self.add_call(call, parent)

    def add_call(self, call: int, parent: int | None) -> None:
        if self.whole.is_atom(call):
            if call in self.drawn:
                self.leaf_of[call] = self.hierarchy.add_leaf(self._leaf(self.drawn[call], parent))
            return
        group = self._add_group(
            self.whole.node(call, folded=True), parent, self.whole.atoms_under(call)
        )
        self.add_children(call, group)

    def _leaf(self, node: GraphNode, parent: int | None) -> Leaf:
        told = self.told.get(node.key, "")
        shapes = self.shapes_out([node.key]) if node.kind != "input" else []
        attributes = with_class_link(node, node_attributes(node, self.scale, told, shapes))
        return Leaf(parent, dot_attributes(attributes), _search_text(node))

    def _add_group(
        self,
        node: GraphNode,
        parent: int | None,
        atoms: list[int],
        *,
        note: str = "",
        repeats: int = 0,
        scope: bool = False,
    ) -> int:
        scale, told = (self.folded_scale, self.folded_told) if repeats else (self.scale, self.told)
        if scope and self.colours.overlay is not None:
            scale, told = None, {}  # an overlay's numbers are for modules, not names' scopes
        told_here = told.get(node.key, "")
        closed = node_attributes(node, scale, told_here, self.shapes_out(atoms))
        opened = cluster_attributes(node, note, told_here)
        # A click on a group opens or closes it; its class link is offered in its tooltip.
        return self.hierarchy.add_group(
            Group(
                node.name,
                parent,
                dot_attributes(with_class_link(node, closed)),
                dot_attributes(with_class_link(node, opened)),
                _search_text(node),
                repeats=repeats,
            )
        )

    def shapes_out(self, atoms: list[int]) -> list[Shape]:
        """The shapes of the tensors that leave ``atoms`` (a node, or what a group holds)."""
        inside = set(atoms)
        return [
            shape
            for atom in atoms
            for end, shapes in self.outputs.get(atom, ())
            if end not in inside
            for shape in shapes
        ]

    def _scope_node(self, scope: Scope) -> GraphNode:
        """A scope's closed node: its name, the parameters and costs of what it holds."""
        calls = [self.trace.calls[call] for unit in scope.units() for call in unit.members]
        measure = Measure()
        for call in calls:
            found = self.whole.measures.get(call.index, Measure())
            measure.macs += found.macs
            measure.memory += found.memory
            measure.calls += found.calls
        return GraphNode(
            key=calls[0].index,
            name=scope.name,
            type_name="",
            type_path="",
            family="container",
            input_shapes=calls[0].input_shapes,
            output_shapes=calls[-1].output_shapes,
            trainable=sum(call.trainable for call in calls),
            non_trainable=sum(call.non_trainable for call in calls),
            kind="module",
            measure=measure,
            dtype=calls[-1].dtype,
        )


def _search_text(node: GraphNode) -> str:
    """Its name, then its type if that says more (a functional op is named by its type)."""
    return node.name if node.type_name in ("", node.name) else f"{node.name} {node.type_name}"


@dataclass(frozen=True)
class PictureNode:
    """A node of a picture drawn without modules (``plot_model``'s): a layer's name and type,
    and its DOT attributes as the picture has them."""

    name: str
    type_name: str
    attributes: str


def picture_hierarchy(
    defaults: str,
    nodes: list[PictureNode],
    edges: list[tuple[int, int, str]],
    depth: int | None = None,
    font_size: int = style.FONT_SIZE,
) -> Hierarchy:
    """The hierarchy of a flat picture: its own nodes and edges, gathered by their names
    (:mod:`.siblings`), so that it opens readable and, opened fully, is the picture itself.
    Groups are labelled in ``font_size`` points, the size of the picture's own names."""
    hierarchy = Hierarchy(defaults)

    def add(items: list[Unit | Scope], parent: int | None) -> None:
        for item in items:
            if isinstance(item, Unit):
                node = nodes[item.members[0]]
                text = f"{node.name} {node.type_name}".strip()
                hierarchy.add_leaf(Leaf(parent, node.attributes, text))
                continue
            count = sum(1 for _ in item.units())
            attributes = group_attributes(
                name=item.name,
                type_name=f"{count} layers",
                is_container=True,
                details=[],
                summary="",
                font_size=font_size,
            )
            group = hierarchy.add_group(
                Group(item.name, parent, attributes["node"], attributes["cluster"], item.name)
            )
            add(item.items, group)

    units = [
        Unit([at], node.name, node.type_name, node.name, [at]) for at, node in enumerate(nodes)
    ]
    add(gather(units, [(start, end) for start, end, _ in edges]), None)
    hierarchy.edges = edges  # the leaves are the nodes, in the same order
    hierarchy = prune(hierarchy)
    hierarchy.open = first_sight(hierarchy, depth, open_layers=True)
    return hierarchy
