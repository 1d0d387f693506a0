"""What a tracer records while the model runs: a :class:`Call` per module (layer) call,
functional op, input and output, in call order, and which call produced each tensor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Shape = tuple[int | None, ...]
Kind = Literal["input", "output", "module", "function"]


@dataclass(frozen=True)
class Weight:
    """A parameter a module holds itself rather than through a submodule, such as a learned
    positional embedding on the model (``nn.Parameter``, Keras' ``add_weight``)."""

    name: str
    #: What the framework calls it: ``Parameter``, ``Variable``.
    type_name: str
    shape: Shape
    trainable: bool


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
    #: The module's own parameters, counted in ``trainable`` and ``non_trainable`` too.
    weights: list[Weight] = field(default_factory=list)


@dataclass
class Trace:
    calls: list[Call]
    #: The model's own call.
    root: int
    #: The whole model's parameters, each counted once.
    trainable: int
    non_trainable: int
    #: When the forward pass raised: the call that was running (the innermost module, or an
    #: op a container ran), and the error. The trace then holds what ran before it.
    failed: int | None = None
    error: str = ""
    #: Where the tracer knows them: the paths of all the model's modules, called or not (an
    #: overlay's key for a module that did not run names one all the same).
    module_paths: tuple[str, ...] = ()

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

    def add_function(
        self,
        name: str,
        type_path: str,
        tensors: list[Any],
        outputs: list[Any],
        sources: list[tuple[int, Shape]] | None = None,
        macs: int = 0,
    ) -> Call:
        """Record that the module call under way ran the op ``name`` on ``tensors``."""
        call = self.trace.add(
            Call(
                index=len(self.trace.calls),
                kind="function",
                name=name,
                type_name=name,
                type_path=type_path,
                parent=self.caller,
                sources=self.sources(tensors) if sources is None else sources,
                input_shapes=[tensor_shape(tensor) for tensor in tensors],
                output_shapes=[tensor_shape(tensor) for tensor in outputs],
                macs=macs,
            )
        )
        self.note_outputs(call, outputs)
        for tensor in outputs:
            self.producers[id(tensor)] = (tensor, call.index)
        return call

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

    def stopped(self) -> None:
        """The forward pass raised: unless a failed op was recorded, the innermost module
        call under way is where it stopped."""
        if self.trace.failed is None and self.stack:
            self.trace.failed = self.stack[-1].index

    def unseen_source(self, _tensor: Any) -> int | None:
        """Where a tensor no recorded call produced comes from; by default, nowhere."""
        return None

    # Metrics, which each tracer measures in its framework's terms ------------------------------

    def note_outputs(self, call: Call, outputs: list[Any]) -> None:
        """Record the dtype and the memory of what ``call`` returned."""
        call.output_bytes = sum(self.tensor_bytes(tensor) for tensor in outputs)
        call.dtype = self.tensor_dtype(outputs[0]) if outputs else ""

    def macs_so_far(self) -> int:
        """The multiply-accumulates counted since the pass began."""
        return 0

    def tensor_bytes(self, _tensor: Any) -> int:
        return 0

    def tensor_dtype(self, _tensor: Any) -> str:
        return ""
