"""A trace seen at one depth, with or without folding.

The *atoms* of the graph are the calls that do the work: leaf modules (modules that call no
other module), functional ops run by a container's own code, the inputs and the outputs.
Tensors flow between atoms (``Call.sources``). Everything else here is grouping:

- ``depth``: a module call ``depth`` levels below the model is drawn as one node standing for
  every atom inside it (with the summed parameter count); the levels above it are clusters.
- folding: a run of consecutive sibling calls with the same structure and shapes, each feeding
  the next (the 32 layers of a decoder), is drawn once and marked "× N"; so is a repeated
  pattern of a few calls (``layer``, ``relu``), inside a cluster of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from sphinx_archviz import style
from sphinx_archviz.capture.graph.metrics import Measure
from sphinx_archviz.capture.graph.trace import Kind, Shape, Trace


@dataclass
class Run:
    """Consecutive sibling calls drawn once: ``members[0]`` stands for them all."""

    members: list[int]


#: The longest repeated pattern of sibling calls that is folded, such as ``(layer, relu)``.
LONGEST_PATTERN = 4


@dataclass
class Pattern:
    """A repeated pattern of several sibling calls (``layers.0``, ``relu``), drawn once in a
    cluster marked "× N"; ``segments[0]`` stands for them all."""

    segments: list[tuple[int, ...]]


@dataclass
class GraphNode:
    key: int
    name: str
    type_name: str
    type_path: str
    family: str
    input_shapes: list[Shape]
    output_shapes: list[Shape]
    trainable: int
    non_trainable: int
    kind: Kind
    repeat: int = 1
    #: A folded run that calls one module again and again (its parameters are counted once).
    reused: bool = False
    clusters: tuple[int, ...] = ()
    measure: Measure = field(default_factory=Measure)
    #: The dtype of what it returns.
    dtype: str = ""
    #: Inside a folded run's cluster: how many calls the node stands for (its measure's).
    stands_for: int = 1


class ModuleGraph:
    """A trace seen at one depth, with or without folding."""

    def __init__(self, trace: Trace, depth: int, fold: bool) -> None:
        self.trace = trace
        self.calls = trace.calls
        self.depth = depth
        self._level: dict[int, int] = {}
        self._set_levels(trace.root, 0)
        self._leaf = {
            call.index: call.kind == "module"
            and not any(self.calls[child].kind == "module" for child in call.children)
            for call in self.calls
        }
        self._atoms: dict[int, list[int]] = {}
        self._signatures: dict[int, tuple] = {}
        self.runs: dict[int, Run] = {}  # by representative
        #: Repeated patterns of several calls, by the (negative) key of their cluster.
        self.patterns: dict[int, Pattern] = {}
        self._pattern_of: dict[int, int] = {}  # call of a pattern's first segment → cluster
        self._replacement: list[dict[int, int]] = []
        self._member: dict[int, dict[int, int]] = {}  # atom → {run representative: member}
        self._dead = self._dead_ends()
        if fold:
            self._find_runs(trace.root)
        self.measures = self._measure()

    # Structure -------------------------------------------------------------------------------

    def _dead_ends(self) -> set[int]:
        """Functional ops whose result reaches no module and no output, such as the ``x.sum()``
        of a check in ``forward``: not drawn."""
        dead: set[int] = set()
        while True:
            used = {
                self._atom_of(source)
                for call in self.calls
                if self.is_atom(call.index) and call.index not in dead
                for source, _ in call.sources
            }
            found = {
                call.index
                for call in self.calls
                if call.kind == "function"
                and self.is_atom(call.index)
                and call.index not in used
                and call.index != self.trace.failed
            }
            if found <= dead:
                return dead
            dead |= found

    def _set_levels(self, index: int, level: int) -> None:
        self._level[index] = level
        for child in self.calls[index].children:
            self._set_levels(child, level + 1)

    def is_atom(self, index: int) -> bool:
        call = self.calls[index]
        if call.kind != "module":
            return call.parent is None or not self._leaf[call.parent]
        return self._leaf[index]

    def atoms_under(self, index: int) -> list[int]:
        if index not in self._atoms:
            if self.is_atom(index):
                found = [index]
            else:
                found = [
                    atom for child in self.calls[index].children for atom in self.atoms_under(child)
                ]
            self._atoms[index] = found
        return self._atoms[index]

    def signature(self, index: int) -> tuple:
        """Equal for calls with the same types, parameters, shapes and wiring inside."""
        if index not in self._signatures:
            call = self.calls[index]
            atoms = self.atoms_under(index)
            position = {atom: number for number, atom in enumerate(atoms)}
            wiring = tuple(
                tuple(
                    (position.get(source, -1), shape) for source, shape in self.calls[atom].sources
                )
                for atom in atoms
            )
            children = () if self.is_atom(index) else self.calls[index].children
            self._signatures[index] = (
                call.kind,
                call.type_path or call.type_name,
                call.trainable,
                call.non_trainable,
                tuple(call.input_shapes),
                tuple(call.output_shapes),
                tuple(self.signature(child) for child in children),
                wiring,
            )
        return self._signatures[index]

    def _feeds(self, earlier: list[int], later: list[int]) -> bool:
        """Whether the calls ``later`` use something the calls ``earlier`` produced."""
        produced = {atom for call in earlier for atom in self.atoms_under(call)}
        return any(
            source in produced
            for call in later
            for atom in self.atoms_under(call)
            for source, _ in self.calls[atom].sources
        )

    def _find_runs(self, index: int) -> None:
        """Runs of identical, chained sibling calls or patterns of calls, outer levels first."""
        pending = [index]
        while pending:
            parent = pending.pop(0)
            children = self.calls[parent].children
            position = 0
            while position < len(children):
                period, repeats = self._repeat_at(children, position)
                if repeats > 1:
                    segments = [
                        tuple(
                            children[position + number * period : position + (number + 1) * period]
                        )
                        for number in range(repeats)
                    ]
                    self._fold(segments)
                    position += period * repeats
                else:
                    position += 1
            pending.extend(child for child in children if not self.is_atom(child))

    def _repeat_at(self, children: list[int], position: int) -> tuple[int, int]:
        """The period and count of the longest repetition starting at ``position``: segments
        that start with a module, have the same signatures and each feed the next."""
        best = (1, 1)
        if self.calls[children[position]].kind != "module":
            return best
        for period in range(1, LONGEST_PATTERN + 1):
            pattern = [self.signature(child) for child in children[position : position + period]]
            repeats = 1
            while True:
                start = position + repeats * period
                segment = children[start : start + period]
                if len(segment) < period or [self.signature(c) for c in segment] != pattern:
                    break
                if not self._feeds(children[start - period : start], segment):
                    break
                repeats += 1
            if repeats > 1 and period * repeats > best[0] * best[1]:
                best = (period, repeats)
        return best

    def _fold(self, segments: list[tuple[int, ...]]) -> None:
        representative = segments[0][0]
        if len(segments[0]) == 1:
            self.runs[representative] = Run([segment[0] for segment in segments])
        else:
            cluster = -1 - representative
            self.patterns[cluster] = Pattern(segments)
            for call in segments[0]:
                self._pattern_of[call] = cluster
        pattern = [atom for call in segments[0] for atom in self.atoms_under(call)]
        replacement = {}
        for number, segment in enumerate(segments):
            atoms = [atom for call in segment for atom in self.atoms_under(call)]
            for atom, standing_in in zip(atoms, pattern, strict=True):
                if number:
                    replacement[atom] = standing_in
                self._member.setdefault(atom, {})[representative] = number
        self._replacement.append(replacement)

    def _atom_of(self, index: int) -> int:
        """The atom that stands for a call: itself, or the leaf module an op ran inside."""
        while not self.is_atom(index):
            parent = self.calls[index].parent
            if parent is None:
                break
            index = parent
        return index

    def _stand_in(self, atom: int) -> int:
        for replacement in self._replacement:
            atom = replacement.get(atom, atom)
        return atom

    def _across_members(self, source: int, target: int) -> bool:
        """Whether an edge joins two different members of one run (drawn as nothing)."""
        ours = self._member.get(source, {})
        theirs = self._member.get(target, {})
        return any(run in theirs and theirs[run] != number for run, number in ours.items())

    def _ancestry(self, index: int) -> list[int]:
        """The calls from the model's children down to ``index``."""
        chain = []
        while index is not None and index != self.trace.root:
            chain.append(index)
            index = self.calls[index].parent
        return chain[::-1]

    def drawn_as(self, atom: int) -> int:
        """The call whose node stands for ``atom`` at this depth."""
        chain = self._ancestry(self._stand_in(atom))
        if not chain:
            return atom
        return chain[min(self.depth, len(chain)) - 1]

    @property
    def failed_key(self) -> int | None:
        """The node or cluster that stands, at this depth, for the call the forward pass
        stopped in; None if it did not fail."""
        failed = self.trace.failed
        return None if failed is None else self.drawn_as(failed)

    def _measure(self) -> dict[int, Measure]:
        """The measure of every node and cluster key: the sum over the atoms drawn inside."""
        found: dict[int, Measure] = {}
        for call in self.calls:
            if not self.is_atom(call.index) or call.index in self._dead:
                continue
            chain = self._ancestry(self._stand_in(call.index)) or [call.index]
            # The calls of its own repeat at each level (a folded run's other members).
            own = dict(zip(chain, self._ancestry(call.index) or [call.index], strict=True))
            keys = [(self._pattern_of[key], own[key]) for key in chain if key in self._pattern_of]
            for key, standing in [*own.items(), *keys]:
                found.setdefault(key, Measure()).add(call, standing)
        return found

    # Nodes and edges -------------------------------------------------------------------------

    def nodes(self) -> list[GraphNode]:
        seen: dict[int, GraphNode] = {}
        for call in self.calls:
            if self.is_atom(call.index) and call.index not in self._dead:
                key = self.drawn_as(call.index)
                if key not in seen:
                    seen[key] = self.node(key)
        return list(seen.values())

    def node(self, key: int, folded: bool | None = None) -> GraphNode:
        call = self.calls[key]
        if folded is None:
            folded = self.is_atom(key) or self._level[key] >= self.depth
        run = self.runs.get(key) if folded else None
        clusters: list[int] = []
        for ancestor in self._ancestry(key):
            if ancestor in self._pattern_of:
                clusters.append(self._pattern_of[ancestor])
            if ancestor != key and self.calls[ancestor].kind == "module":
                clusters.append(ancestor)
        family = (
            "io"
            if call.kind in ("input", "output")
            else style.family_of(
                call.type_name,
                is_function=call.kind == "function",
                is_container=not self.is_atom(key),
            )
        )
        node = GraphNode(
            key=key,
            name=call.name,
            type_name=call.type_name,
            type_path=call.type_path,
            family=family,
            input_shapes=call.input_shapes,
            output_shapes=call.output_shapes,
            trainable=call.trainable,
            non_trainable=call.non_trainable,
            kind=call.kind,
            clusters=tuple(clusters),
            measure=self.measures.get(key, Measure()),
            dtype=call.dtype,
        )
        if self.is_atom(key):
            node.stands_for = node.measure.calls
        if run is not None:
            last = self.calls[run.members[-1]]
            node.name = run_name(call.name, last.name)
            node.repeat = len(run.members)
            node.output_shapes = last.output_shapes
            # A module called again and again has its parameters once (by attribute path).
            distinct = {self.calls[member].name: self.calls[member] for member in run.members}
            node.reused = len(distinct) < len(run.members)
            node.trainable = sum(member.trainable for member in distinct.values())
            node.non_trainable = sum(member.non_trainable for member in distinct.values())
        return node

    def edges(self) -> list[tuple[int, int, list[Shape]]]:
        found: dict[tuple[int, int], list[Shape]] = {}
        for call in self.calls:
            if not self.is_atom(call.index) or call.index in self._dead:
                continue
            for producer, shape in call.sources:
                source = self._atom_of(producer)
                if self._across_members(source, call.index):
                    continue
                start, end = self.drawn_as(source), self.drawn_as(call.index)
                if start == end:
                    continue
                shapes = found.setdefault((start, end), [])
                if shape not in shapes:
                    shapes.append(shape)
        return [(start, end, shapes) for (start, end), shapes in found.items()]

    def cluster_node(self, index: int) -> GraphNode:
        """A module drawn as a cluster around its insides (a folded run's first says × N), or
        the cluster around a repeated pattern."""
        if index in self.patterns:
            return self.pattern_node(index)
        return self.node(index, folded=index in self.runs)

    def pattern_node(self, cluster: int) -> GraphNode:
        segments = self.patterns[cluster].segments
        calls = [self.calls[call] for segment in segments for call in segment]
        first, last = self.calls[segments[0][0]], self.calls[segments[-1][0]]
        distinct = {call.name: call for call in calls if call.kind == "module"}
        return GraphNode(
            key=cluster,
            name=run_name(first.name, last.name),
            type_name=" → ".join(self.calls[call].type_name for call in segments[0]),
            type_path="",
            family="container",
            input_shapes=first.input_shapes,
            output_shapes=calls[-1].output_shapes,
            trainable=sum(call.trainable for call in distinct.values()),
            non_trainable=sum(call.non_trainable for call in distinct.values()),
            kind="module",
            repeat=len(segments),
            reused=len(distinct)
            < len(segments) * sum(self.calls[call].kind == "module" for call in segments[0]),
            measure=self.measures.get(cluster, Measure()),
            dtype=calls[-1].dtype,
        )


def run_name(first: str, last: str) -> str:
    """``layers.0–31`` for ``layers.0`` … ``layers.31``; ``a … b`` otherwise; ``cell`` for a
    module called again and again."""
    if first == last:
        return first
    head, _, first_tail = first.rpartition(".")
    last_head, _, last_tail = last.rpartition(".")
    if head == last_head and first_tail.isdigit() and last_tail.isdigit():
        return f"{first}–{last_tail}"
    return f"{first} … {last}"


Event = Literal["open", "node", "close"]


def in_drawing_order(
    graph: ModuleGraph, nodes: list[GraphNode]
) -> Iterator[tuple[Event, GraphNode, int]]:
    """Nodes and the clusters around them, outermost first: ("open", cluster, level), ("node",
    node, level), ("close", cluster, level). A cluster's nodes are drawn together, where its
    first node comes in call order."""
    first_seen: dict[int, int] = {}
    for position, node in enumerate(nodes):
        for cluster in node.clusters:
            first_seen.setdefault(cluster, position)
    order = {node.key: position for position, node in enumerate(nodes)}
    nodes = sorted(
        nodes, key=lambda node: (*(first_seen[c] for c in node.clusters), order[node.key])
    )
    open_clusters: list[GraphNode] = []
    for node in nodes:
        shared = 0
        while (
            shared < len(open_clusters)
            and shared < len(node.clusters)
            and open_clusters[shared].key == node.clusters[shared]
        ):
            shared += 1
        while len(open_clusters) > shared:
            closed = open_clusters.pop()
            yield "close", closed, len(open_clusters)
        for cluster in node.clusters[shared:]:
            opened = graph.cluster_node(cluster)
            yield "open", opened, len(open_clusters)
            open_clusters.append(opened)
        yield "node", node, len(open_clusters)
    while open_clusters:
        closed = open_clusters.pop()
        yield "close", closed, len(open_clusters)
