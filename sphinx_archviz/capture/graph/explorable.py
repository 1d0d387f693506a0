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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from sphinx_archviz.capture.graph import heatmap
from sphinx_archviz.capture.graph.dot import (
    cluster_attributes,
    defaults,
    dot_attributes,
    edge_attributes,
    legend_attributes,
    node_attributes,
    with_class_link,
)
from sphinx_archviz.capture.graph.grouping import GraphNode, ModuleGraph, run_name
from sphinx_archviz.capture.graph.hierarchy import (
    FIRST_SIGHT_NODES,
    Group,
    Hierarchy,
    Leaf,
    first_sight,
    prune,
)
from sphinx_archviz.capture.graph.metrics import Measure
from sphinx_archviz.capture.graph.trace import Trace

#: Deeper than any model: every module is opened down to its atoms.
EVERY_LEVEL = 10_000

#: A container calling more than this many modules directly gets groups from their names.
FLAT = 12

_SCOPE_SEPARATOR = re.compile(r"[_./]")

T = TypeVar("T")


def modules_hierarchy(
    trace: Trace,
    rankdir: str,
    *,
    fold: bool = True,
    scale: heatmap.Scale | None = None,
    depth: int | None = None,
) -> Hierarchy:
    """The trace's hierarchy, open at first sight to ``depth`` levels (else as far as reads
    well); ``scale`` colours it as the modules view's heatmap does."""
    builder = _Builder(trace, rankdir, fold, scale)
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
class _Unit:
    """Sibling calls the hierarchy places together: one call, or a folded repeat's calls."""

    calls: list[int]
    #: For a folded repeat: what its closed node stands for.
    folded: GraphNode | None = None


@dataclass
class _Scope:
    name: str
    items: list[_Unit | _Scope] = field(default_factory=list)

    def units(self) -> Iterator[_Unit]:
        for item in self.items:
            yield from item.units() if isinstance(item, _Scope) else [item]


class _Builder:
    def __init__(self, trace: Trace, rankdir: str, fold: bool, scale: heatmap.Scale | None) -> None:
        self.trace = trace
        self.whole = ModuleGraph(trace, EVERY_LEVEL, fold=False)
        self.folded = ModuleGraph(trace, EVERY_LEVEL, fold=True) if fold else self.whole
        self.scale = scale
        self.drawn = {node.key: node for node in self.whole.nodes()}
        self.hierarchy = Hierarchy("\n".join(defaults(rankdir)))
        self.leaf_of: dict[int, int] = {}

    def finish(self) -> Hierarchy:
        self.hierarchy.edges = [
            (self.leaf_of[start], self.leaf_of[end], edge_attributes(shapes))
            for start, end, shapes in self.whole.edges()
        ]
        if self.scale is not None:
            legend = dot_attributes(legend_attributes(self.scale))
            self.hierarchy.add_leaf(Leaf(None, legend))
        return prune(self.hierarchy)

    def add_children(self, call: int, parent: int | None) -> None:
        items: list[_Unit | _Scope] = list(self._units(self.trace.calls[call].children))
        if len(items) > FLAT:
            items = _scopes(items, self._scope_name)
        if len(items) > FIRST_SIGHT_NODES:
            items = self._segments(items)
        self._add_scoped(items, parent)

    def _segments(self, items: list[_Unit | _Scope]) -> list[_Unit | _Scope]:
        """Too many siblings (a flat model whose names share no scope, such as Inception's
        ``conv2d_12``): those between two places where all data passes through one of them
        (the ``mixed0`` joining a block's branches) make a group; if still too many, runs of
        them are gathered into :data:`FIRST_SIGHT_NODES` ``// 2`` groups."""
        position = {
            atom: number
            for number, item in enumerate(items)
            for unit in _units_of(item)
            for call in unit.calls
            for atom in self.whole.atoms_under(call)
        }
        reach = list(range(len(items)))
        from_outside = -1  # how far what comes from outside (the inputs) reaches
        for start, end, _ in self.whole.edges():
            if end not in position:
                continue
            if start in position:
                reach[position[start]] = max(reach[position[start]], position[end])
            else:
                from_outside = max(from_outside, position[end])
        segments: list[list[_Unit | _Scope]] = []
        furthest = from_outside  # how far the items before the previous one reach
        for number, item in enumerate(items):
            if not segments or furthest <= number - 1:
                segments.append([])
            segments[-1].append(item)
            if number:
                furthest = max(furthest, reach[number - 1])
        if len(segments) > FIRST_SIGHT_NODES:
            segments = [
                [item for segment in chunk for item in segment] for chunk in _chunks(segments)
            ]
        return [self._span(segment) for segment in segments]

    def _span(self, items: list[_Unit | _Scope]) -> _Unit | _Scope:
        """One item for ``items``: a group of them, itself in groups if they are too many."""
        if len(items) == 1:
            return items[0]
        if len(items) > FIRST_SIGHT_NODES:
            items = [self._span(chunk) for chunk in _chunks(items)]
        return _Scope(self._span_name(items), items)

    def _span_name(self, items: list[_Unit | _Scope]) -> str:
        first, last = next(_units_of(items[0])), list(_units_of(items[-1]))[-1]
        return run_name(self._unit_name(first), self.trace.calls[last.calls[-1]].name)

    def _units(self, children: list[int]) -> Iterator[_Unit]:
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
            yield _Unit(calls, folded)

    def _unit_name(self, unit: _Unit) -> str:
        return self.trace.calls[unit.calls[0]].name

    def _scope_name(self, unit: _Unit) -> str:
        """The unit's name, or "" where it was made from its type (Keras names a
        ``BatchNormalization`` layer ``batch_normalization_11``), which says nothing of scope."""
        call = self.trace.calls[unit.calls[0]]
        made = _snake_case(call.type_name)
        return "" if re.fullmatch(rf"{re.escape(made)}(_\d+)?", call.name) else call.name

    def _add_scoped(self, items: list[_Unit | _Scope], parent: int | None) -> None:
        for item in items:
            if isinstance(item, _Unit):
                self._add_unit(item, parent)
                continue
            group = self._add_group(self._scope_node(item), parent)
            self._add_scoped(item.items, group)

    def _add_unit(self, unit: _Unit, parent: int | None) -> None:
        if unit.folded is not None:
            note = f"{unit.folded.repeat} structurally identical repeats; open one to see it"
            parent = self._add_group(unit.folded, parent, note=note, folded=True)
        for call in unit.calls:
            self.add_call(call, parent)

    def add_call(self, call: int, parent: int | None) -> None:
        if self.whole.is_atom(call):
            if call in self.drawn:
                self.leaf_of[call] = self.hierarchy.add_leaf(self._leaf(self.drawn[call], parent))
            return
        group = self._add_group(self.whole.node(call, folded=True), parent)
        self.add_children(call, group)

    def _leaf(self, node: GraphNode, parent: int | None) -> Leaf:
        attributes = with_class_link(node, node_attributes(node, self.scale))
        return Leaf(parent, dot_attributes(attributes), _search_text(node))

    def _add_group(
        self, node: GraphNode, parent: int | None, *, note: str = "", folded: bool = False
    ) -> int:
        # A click on a group opens or closes it; its class link is offered in its tooltip.
        return self.hierarchy.add_group(
            Group(
                node.name,
                parent,
                dot_attributes(with_class_link(node, node_attributes(node, self.scale))),
                dot_attributes(with_class_link(node, cluster_attributes(node, note))),
                _search_text(node),
                folded=folded,
            )
        )

    def _scope_node(self, scope: _Scope) -> GraphNode:
        """A scope's closed node: its name, the parameters and costs of what it holds."""
        calls = [self.trace.calls[call] for unit in scope.units() for call in unit.calls]
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


def _chunks(items: list[T]) -> list[list[T]]:
    """``items`` in :data:`FIRST_SIGHT_NODES` ``// 2`` runs of about the same length."""
    size = -(-len(items) // (FIRST_SIGHT_NODES // 2))
    return [items[at : at + size] for at in range(0, len(items), size)]


def _snake_case(name: str) -> str:
    """``batch_normalization`` for ``BatchNormalization``, ``conv2d`` for ``Conv2D``."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def _units_of(item: _Unit | _Scope) -> Iterator[_Unit]:
    return item.units() if isinstance(item, _Scope) else iter([item])


def _search_text(node: GraphNode) -> str:
    """Its name, then its type if that says more (a functional op is named by its type)."""
    return node.name if node.type_name in ("", node.name) else f"{node.name} {node.type_name}"


def _scopes(
    units: list[_Unit], name_of: Callable[[_Unit], str], depth: int = 0
) -> list[_Unit | _Scope]:
    """``units`` with each run of consecutive ones whose names share a scope ``depth`` parts
    deep (``conv2``, then ``conv2_block1``) gathered into a :class:`_Scope`, recursively. A name's
    last part is never a scope, nor a prefix followed only by digits (``dense`` of ``dense_1``
    is Keras numbering the second ``dense``)."""
    found: list[_Unit | _Scope] = []
    for key, members in _runs_by_scope(units, name_of, depth):
        if key is None or len(members) < 2:
            found.extend(members)
            continue
        found.append(_Scope(key, _scopes(members, name_of, depth + 1)))
    if len(found) == 1 and isinstance(found[0], _Scope):
        return found[0].items
    return found


def _runs_by_scope(
    units: list[_Unit], name_of: Callable[[_Unit], str], depth: int
) -> Iterator[tuple[str | None, list[_Unit]]]:
    key: str | None = None
    run: list[_Unit] = []
    for unit in units:
        unit_key = _scope_of(name_of(unit), depth)
        if run and (unit_key != key or key is None):
            yield key, run
            run = []
        key = unit_key
        run.append(unit)
    if run:
        yield key, run


def _scope_of(name: str, depth: int) -> str | None:
    """The scope ``depth + 1`` parts long of a layer name, if it has one."""
    parts = _SCOPE_SEPARATOR.split(name)
    if len(parts) <= depth + 1 or all(part.isdigit() for part in parts[depth + 1 :]):
        return None
    length = sum(len(part) + 1 for part in parts[: depth + 1]) - 1
    return name[:length]
