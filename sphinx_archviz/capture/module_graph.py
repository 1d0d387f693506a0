"""The modules view, whatever the framework: a trace of one forward pass (which module called
which, which functional ops ran between them, which output fed which input) becomes the DOT a
person would draw on a whiteboard, and the rows of the summary table.

A tracer (``torch_modules``, ``keras_modules``) records :class:`Call` objects in call order.
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

import dataclasses
import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sphinx_archviz import style
from sphinx_archviz.request import Summary, SummaryRow

Shape = tuple[int | None, ...]
Kind = Literal["input", "output", "module", "function"]


@dataclass
class Call:
    """A module (layer) call, a functional op, an input or an output, in call order."""

    index: int
    kind: Kind
    #: The module's attribute path (``layer1.0.conv2``), the op's name (``add``) or the
    #: input's parameter name (``x``).
    name: str
    #: ``Conv2d``, ``add``; empty for inputs and outputs.
    type_name: str = ""
    #: Where the type is documented: ``torch.nn.modules.conv.Conv2d``, ``torch.add``; or "".
    type_path: str = ""
    #: The enclosing module call; None for the model's own call, inputs and outputs.
    parent: int | None = None
    #: The tensors this call consumed: (index of the call that produced it, its shape).
    sources: list[tuple[int, Shape]] = field(default_factory=list)
    input_shapes: list[Shape] = field(default_factory=list)
    output_shapes: list[Shape] = field(default_factory=list)
    #: Parameters of the module and everything in it.
    trainable: int = 0
    non_trainable: int = 0
    #: Multiply-accumulates of the call and everything it called.
    macs: int = 0
    #: Bytes of the tensors it returned (activation memory).
    output_bytes: int = 0
    #: The dtype of its first output (``float32``); "" when it returned nothing.
    dtype: str = ""
    children: list[int] = field(default_factory=list)


@dataclass
class Trace:
    calls: list[Call]
    #: The model's own call.
    root: int
    #: The whole model's parameters, each counted once.
    trainable: int
    non_trainable: int

    def add(self, call: Call) -> Call:
        self.calls.append(call)
        if call.parent is not None:
            self.calls[call.parent].children.append(call.index)
        return call


@dataclass
class OpenCall:
    """A module call under way, for a tracer's stack."""

    index: int
    #: The module or layer object being called.
    owner: Any
    #: Whether it has called another module yet (if not when it ends, it is a leaf).
    called_a_module: bool = False
    #: The tracer's running count of multiply-accumulates when the call began.
    macs_before: int = 0


def tensor_shape(tensor: Any) -> Shape:
    """A tensor's shape as plain ints (None where Keras leaves a size open)."""
    return tuple(None if size is None else int(size) for size in tensor.shape)


def default_input_names(count: int) -> list[str]:
    return ["input"] if count == 1 else [f"input {number + 1}" for number in range(count)]


class Recorder:
    """What both frameworks' tracers keep while the model runs: the trace being written, the
    call that produced each tensor seen (tensors are followed by identity) and the module
    calls under way."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        #: id(tensor) → (tensor, index of the call that produced it); the tensor is kept so
        #: that its id is not reused by another tensor during the pass.
        self.producers: dict[int, tuple[Any, int]] = {}
        #: Module calls under way, innermost last.
        self.stack: list[OpenCall] = []

    @property
    def caller(self) -> int | None:
        """The module call under way, which a new call is made from; None at the top."""
        return self.stack[-1].index if self.stack else None

    def add_input(self, name: str, tensor: Any) -> None:
        call = self.trace.add(
            Call(len(self.trace.calls), "input", name, output_shapes=[tensor_shape(tensor)])
        )
        self.note_outputs(call, [tensor])
        self.producers[id(tensor)] = (tensor, call.index)

    def add_output(self, tensors: list[Any]) -> None:
        self.trace.add(
            Call(
                len(self.trace.calls),
                "output",
                "output",
                sources=self.sources(tensors),
                input_shapes=[tensor_shape(tensor) for tensor in tensors],
            )
        )

    def open_module_call(
        self, owner: Any, name: str, type_path: str, tensors: list[Any], **counts: int
    ) -> Call:
        """Record that ``owner`` (a module or layer) is called now, on ``tensors``."""
        parent = self.caller
        if self.stack:
            self.stack[-1].called_a_module = True
        call = self.trace.add(
            Call(
                index=len(self.trace.calls),
                kind="module",
                name=name,
                type_name=type(owner).__name__,
                type_path=type_path,
                parent=parent,
                sources=self.sources(tensors),
                input_shapes=[tensor_shape(tensor) for tensor in tensors],
                **counts,
            )
        )
        if parent is None and self.trace.root < 0:
            self.trace.root = call.index
        self.stack.append(OpenCall(call.index, owner, macs_before=self.macs_so_far()))
        return call

    def close_module_call(self, outputs: list[Any]) -> tuple[Call, OpenCall]:
        """The innermost call returned ``outputs``; a leaf is their producer."""
        closed = self.stack.pop()
        call = self.trace.calls[closed.index]
        call.output_shapes = [tensor_shape(tensor) for tensor in outputs]
        call.macs = self.macs_so_far() - closed.macs_before
        self.note_outputs(call, outputs)
        if not closed.called_a_module:
            for tensor in outputs:
                self.producers[id(tensor)] = (tensor, closed.index)
        return call, closed

    def sources(self, tensors: list[Any]) -> list[tuple[int, Shape]]:
        """The calls that produced ``tensors``, with their shapes (unknown tensors left out)."""
        found = []
        for tensor in tensors:
            produced = self.producers.get(id(tensor))
            source = produced[1] if produced is not None and produced[0] is tensor else None
            if source is None:
                source = self.unseen_source(tensor)
            if source is not None:
                found.append((source, tensor_shape(tensor)))
        return found

    def unseen_source(self, _tensor: Any) -> int | None:
        """Where a tensor no recorded call produced comes from; by default, nowhere."""
        return None

    def note_outputs(self, call: Call, outputs: list[Any]) -> None:
        """Record the dtype and the memory of what ``call`` returned."""
        call.output_bytes = sum(self.tensor_bytes(tensor) for tensor in outputs)
        call.dtype = self.tensor_dtype(outputs[0]) if outputs else ""

    def macs_so_far(self) -> int:
        """The multiply-accumulates counted since the pass began (the tracer counts them)."""
        return 0

    def tensor_bytes(self, _tensor: Any) -> int:
        return 0

    def tensor_dtype(self, _tensor: Any) -> str:
        return ""


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


@dataclass
class _Run:
    """Consecutive sibling calls drawn once: ``members[0]`` stands for them all."""

    members: list[int]


#: The longest repeated pattern of sibling calls that is folded, such as ``(layer, relu)``.
LONGEST_PATTERN = 4


@dataclass
class _Pattern:
    """A repeated pattern of several sibling calls (``layers.0``, ``relu``), drawn once in a
    cluster marked "× N"; ``segments[0]`` stands for them all."""

    segments: list[tuple[int, ...]]


@dataclass
class _Node:
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
        self.runs: dict[int, _Run] = {}  # by representative
        #: Repeated patterns of several calls, by the (negative) key of their cluster.
        self.patterns: dict[int, _Pattern] = {}
        self._pattern_of: dict[int, int] = {}  # call of a pattern's first segment → cluster
        self._replacement: list[dict[int, int]] = []
        self._member: dict[int, dict[int, int]] = {}  # atom → {run representative: member}
        self._dead = self._dead_ends()
        if fold:
            self._find_runs(trace.root)

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
                if call.kind == "function" and self.is_atom(call.index) and call.index not in used
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
            self.runs[representative] = _Run([segment[0] for segment in segments])
        else:
            cluster = -1 - representative
            self.patterns[cluster] = _Pattern(segments)
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

    # Nodes and edges -------------------------------------------------------------------------

    def nodes(self) -> list[_Node]:
        seen: dict[int, _Node] = {}
        for call in self.calls:
            if self.is_atom(call.index) and call.index not in self._dead:
                key = self.drawn_as(call.index)
                if key not in seen:
                    seen[key] = self._node(key)
        return list(seen.values())

    def _node(self, key: int, folded: bool | None = None) -> _Node:
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
        node = _Node(
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
        )
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

    def cluster_node(self, index: int) -> _Node:
        """A module drawn as a cluster around its insides (a folded run's first says × N), or
        the cluster around a repeated pattern."""
        if index in self.patterns:
            return self._pattern_node(index)
        return self._node(index, folded=index in self.runs)

    def _pattern_node(self, cluster: int) -> _Node:
        segments = self.patterns[cluster].segments
        calls = [self.calls[call] for segment in segments for call in segment]
        first, last = self.calls[segments[0][0]], self.calls[segments[-1][0]]
        distinct = {call.name: call for call in calls if call.kind == "module"}
        return _Node(
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


# DOT --------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Html(str):
    """A Graphviz HTML label, written between ``<`` and ``>`` rather than quoted."""


def _attributes(values: dict[str, str]) -> str:
    return ", ".join(
        f"{name}={value if isinstance(value, _Html) else _quote(value)}"
        for name, value in values.items()
    )


def _params_text(trainable: int, non_trainable: int) -> str:
    total = trainable + non_trainable
    text = f"{total:,} params"
    if non_trainable:
        text += f" ({non_trainable:,} non-trainable)"
    return text


def _label(node: _Node, cluster: bool = False) -> _Html:
    return _Html(f"<{_label_text(node, cluster)}>")


def _label_text(node: _Node, cluster: bool) -> str:
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
    lines = [
        f"<B>{name}</B>",
        _escape(node.type_name) + (f" × {node.repeat}" if node.repeat > 1 else ""),
    ]
    total = node.trainable + node.non_trainable
    if total:
        lines.append(style.muted(f"{format_count(total)} params"))
    return "<BR/>".join(lines)


def _escape(text: str) -> str:
    """Text for an HTML label: markup escaped, line breaks and runs of spaces made one space."""
    return html.escape(" ".join(text.split()))


def _tooltip(node: _Node) -> str:
    """Full name, type, shapes in → out and parameters: the SVG's hover text, a line each."""
    node = dataclasses.replace(
        node, name=" ".join(node.name.split()), type_name=" ".join(node.type_name.split())
    )
    if node.kind == "input":
        return f"{node.name}\ninput\n{format_shapes(node.output_shapes)}"
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
    return "\n".join(lines)


def to_dot(graph: ModuleGraph, rankdir: str, title: str) -> str:
    nodes = graph.nodes()
    ids = {node.key: f"node{number}" for number, node in enumerate(nodes)}
    lines = [f"digraph {_quote(title)} {{"]
    lines.append(f"  graph [{_attributes(style.graph_attributes(rankdir))}];")
    lines.append(f"  node [{_attributes(style.node_defaults())}];")
    lines.append(f"  edge [{_attributes(style.edge_defaults())}];")
    lines.extend(_cluster_lines(graph, nodes, ids))
    for start, end, shapes in graph.edges():
        label = "\n".join(format_shape(shape) for shape in shapes)
        lines.append(f"  {ids[start]} -> {ids[end]} [{_attributes({'label': label})}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster_lines(graph: ModuleGraph, nodes: list[_Node], ids: dict[int, str]) -> Iterator[str]:
    for event, node, level in _in_drawing_order(graph, nodes):
        indent = "  " * (level + 1)
        if event == "close":
            yield f"{indent}}}"
            continue
        attributes = {
            "label": _label(node, cluster=event == "open"),
            **(
                style.cluster_attributes()
                if event == "open"
                else style.node_attributes(node.family)
            ),
            "tooltip": _tooltip(node),
        }
        if node.type_path:
            attributes["URL"] = f"archviz-class:{node.type_path}"
        if event == "open":
            yield f"{indent}subgraph {_quote(f'cluster_{node.key}')} {{"
            yield f"{indent}  graph [{_attributes(attributes)}];"
        else:
            yield f"{indent}{ids[node.key]} [{_attributes(attributes)}];"


Event = Literal["open", "node", "close"]


def _in_drawing_order(graph: ModuleGraph, nodes: list[_Node]) -> Iterator[tuple[Event, _Node, int]]:
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
    open_clusters: list[_Node] = []
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


# Summary ----------------------------------------------------------------------------------------


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
        for event, node, level in _in_drawing_order(graph, graph.nodes())
        if event != "close" and node.kind == "module"
    )
    return Summary(rows, graph.trace.trainable, graph.trace.non_trainable)


def draw(trace: Trace, depth: int, fold: bool, rankdir: str, title: str) -> tuple[str, Summary]:
    graph = ModuleGraph(trace, depth, fold)
    return to_dot(graph, rankdir, title), summary(graph)
