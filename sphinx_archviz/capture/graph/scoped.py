"""A trace from a graph whose ops name the modules they ran in: ``torch.export`` programs
(each node's ``nn_module_stack``) and ONNX files (node-name scopes such as
``/layer1/layer1.0/conv1/Conv``).

Such a graph is already flat: a list of ops in execution order, each with the chain of module
calls around it. :func:`to_trace` turns it into the same :class:`Trace` a live tracer records,
so the modules view, folding and the summary work on it unchanged. Values computed from
parameters and constants alone (an ONNX ``Identity`` of a shared weight, a ``Constant``) are
not drawn; the parameters they come from are counted in the modules that use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sphinx_archviz.capture.graph.trace import Call, Shape, Trace


@dataclass(frozen=True)
class Scope:
    """One module call around an op."""

    #: Tells two calls of the same module apart (``layer1.0.relu@1``); the path if unique.
    key: str
    #: The module's attribute path, ``layer1.0.conv1``.
    path: str
    #: ``torch.nn.modules.conv.Conv2d``; "" where the source does not say.
    type_path: str = ""


@dataclass(frozen=True)
class Op:
    type_name: str
    #: The module calls around the op, outermost first, without the model's own call.
    scopes: tuple[Scope, ...]
    #: Names of the values the op reads and writes ("" for an omitted optional input).
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    type_path: str = ""
    #: The op's multiply-accumulates, where the source counts them (0: not counted).
    macs: int = 0


@dataclass(frozen=True)
class Parameter:
    count: int
    trainable: bool = True


@dataclass
class ScopedGraph:
    #: The model's name: its class, or the file's stem.
    title: str
    inputs: list[str]
    outputs: list[str]
    ops: list[Op]
    shapes: dict[str, Shape] = field(default_factory=dict)
    #: Parameters, buffers and constants, by value name (buffers and constants count 0).
    parameters: dict[str, Parameter] = field(default_factory=dict)
    #: Where the model's class is documented; "" for a file.
    type_path: str = ""


def to_trace(graph: ScopedGraph) -> Trace:
    return _TraceBuilder(graph).build()


class _TraceBuilder:
    def __init__(self, graph: ScopedGraph) -> None:
        self.graph = graph
        trainable = sum(p.count for p in graph.parameters.values() if p.trainable)
        frozen = sum(p.count for p in graph.parameters.values() if not p.trainable)
        self.trace = Trace([], root=-1, trainable=trainable, non_trainable=frozen)
        #: value → the call that produced it.
        self.producers: dict[str, int] = {}
        #: value computed from parameters and constants only → the parameters it comes from.
        self.static: dict[str, frozenset[str]] = {
            name: frozenset({name}) for name in graph.parameters
        }
        #: Module calls under way, outermost first, with the scope each stands for.
        self.open: list[tuple[Scope, int]] = []
        self.counted: dict[int, set[str]] = {}

    def build(self) -> Trace:
        for name in self.graph.inputs:
            call = self._add(Call(0, "input", name, output_shapes=[self._shape(name)]))
            self.producers[name] = call.index
        root = self._add(
            Call(0, "module", self.graph.title, self.graph.title, self.graph.type_path)
        )
        root.trainable, root.non_trainable = self.trace.trainable, self.trace.non_trainable
        self.trace.root = root.index
        for op in self.graph.ops:
            self._add_op(op)
        output = self._add(Call(0, "output", "output"))
        self._connect(output, self.graph.outputs)
        _collapse_leaves(self.trace)
        return self.trace

    def _add(self, call: Call) -> Call:
        call.index = len(self.trace.calls)
        return self.trace.add(call)

    def _shape(self, value: str) -> Shape:
        return self.graph.shapes.get(value, ())

    def _add_op(self, op: Op) -> None:
        values = [value for value in op.inputs if value]
        if all(value in self.static for value in values):
            used = frozenset().union(*(self.static[value] for value in values))
            self.static.update(dict.fromkeys(op.outputs, used))
            return
        parent = self._enter(op.scopes)
        call = self._add(
            Call(
                0,
                "function",
                op.type_name,
                op.type_name,
                op.type_path,
                parent=parent,
                output_shapes=[self._shape(value) for value in op.outputs],
                macs=op.macs,
            )
        )
        for _, around in self.open:
            self.trace.calls[around].macs += op.macs
        self.trace.calls[self.trace.root].macs += op.macs
        self._connect(call, [value for value in values if value not in self.static])
        self._count(frozenset().union(*(self.static.get(value, ()) for value in values)))
        self.producers.update(dict.fromkeys(op.outputs, call.index))

    def _enter(self, scopes: tuple[Scope, ...]) -> int:
        """Close the module calls the op is not in and open the ones it newly is in."""
        shared = 0
        while (
            shared < len(self.open)
            and shared < len(scopes)
            and self.open[shared][0].key == scopes[shared].key
        ):
            shared += 1
        del self.open[shared:]
        for scope in scopes[shared:]:
            parent = self.open[-1][1] if self.open else self.trace.root
            type_name = scope.type_path.rpartition(".")[2]
            call = self._add(Call(0, "module", scope.path, type_name, scope.type_path, parent))
            self.open.append((scope, call.index))
        return self.open[-1][1] if self.open else self.trace.root

    def _connect(self, call: Call, values: Iterable[str]) -> None:
        """``call`` reads ``values``: each crosses the boundaries of the module calls that hold
        its producer or its reader but not both."""
        for value in values:
            producer = self.producers.get(value)
            if producer is None:
                continue
            shape = self._shape(value)
            call.sources.append((producer, shape))
            call.input_shapes.append(shape)
            theirs, ours = self._modules_around(producer), self._modules_around(call.index)
            for module in theirs - ours:
                _append_new(self.trace.calls[module].output_shapes, shape)
            for module in ours - theirs:
                entered = self.trace.calls[module]
                if (producer, shape) not in entered.sources:
                    entered.sources.append((producer, shape))
                    entered.input_shapes.append(shape)

    def _modules_around(self, index: int) -> set[int]:
        found = set()
        parent = self.trace.calls[index].parent
        while parent is not None and parent != self.trace.root:
            found.add(parent)
            parent = self.trace.calls[parent].parent
        return found

    def _count(self, parameters: frozenset[str]) -> None:
        """Add the op's parameters to every module call around it, once per call."""
        for _, index in self.open:
            counted = self.counted.setdefault(index, set())
            call = self.trace.calls[index]
            for name in parameters - counted:
                counted.add(name)
                parameter = self.graph.parameters[name]
                if parameter.trainable:
                    call.trainable += parameter.count
                else:
                    call.non_trainable += parameter.count


def _append_new(shapes: list[Shape], shape: Shape) -> None:
    if shape not in shapes:
        shapes.append(shape)


def _collapse_leaves(trace: Trace) -> None:
    """A module that called no other module is one atom, as a live tracer records it: its ops
    are not drawn, and what they produced comes from the module."""
    stand_in: dict[int, int] = {}
    for call in trace.calls:
        if call.kind != "module" or call.index == trace.root:
            continue
        if any(trace.calls[child].kind == "module" for child in call.children):
            continue
        stand_in.update(dict.fromkeys(call.children, call.index))
        call.children.clear()
    for call in trace.calls:
        sources = []
        for source, shape in call.sources:
            source = stand_in.get(source, source)
            if source != call.index and (source, shape) not in sources:
                sources.append((source, shape))
        call.sources = sources
