"""The modules view of a PyTorch model: one forward pass, traced module by module.

While the model runs (on the meta device by default, so only shapes are computed), global
module hooks note each module call and what it returned, and a ``TorchFunctionMode`` notes the
functional ops a container's own code runs between its modules (the ``+`` of a residual
connection, ``flatten``, ``view``, ``F.relu``). Tensors are followed by identity: each call's
inputs are joined to the call that produced them. The hooks and the mode are removed when the
pass ends, however it ends; the model itself is never changed.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.modules import module as module_hooks
from torch.overrides import TorchFunctionMode

from sphinx_archviz.capture import module_graph
from sphinx_archviz.capture.module_graph import Call, OpenCall, Shape, Trace
from sphinx_archviz.capture.torch import _describe, _tensors_in, _tensors_on, example_inputs
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest, Summary

#: Ops that only change a tensor's dtype, device or memory layout: followed, not drawn.
_TRANSPARENT = frozenset(
    {
        "contiguous",
        "to",
        "float",
        "half",
        "double",
        "bfloat16",
        "type",
        "type_as",
        "detach",
        "cpu",
        "cuda",
        "clone",
        "requires_grad",
    }
)


def draw(model: nn.Module, request: CaptureRequest, device: str) -> tuple[str, Summary]:
    trace = trace_model(model, request, device)
    return module_graph.draw(
        trace, request.depth, request.fold, request.rankdir, type(model).__name__
    )


def trace_model(model: nn.Module, request: CaptureRequest, device: str) -> Trace:
    """Run the model once on the example input and record its calls."""
    inputs = example_inputs(model, request, device)
    tensors_by_name = _tensors_on(model, device)
    recorder = _Recorder(model)
    for name, tensor in zip(_input_names(model, len(inputs)), inputs, strict=True):
        recorder.add_input(name, tensor)
    try:
        with recorder.recording():
            output = functional_call(model, tensors_by_name, inputs)
    except Exception as exc:
        raise ArchvizError(
            "forward",
            f"running the model on input {_describe(inputs)} raised "
            f"{describe_exception(exc, request.search_paths)}; check :input-shape: "
            "and :input-dtype:",
        ) from exc
    outputs = list(_tensors_in(output))
    if not outputs:
        raise ArchvizError(
            "forward",
            f"the model returned {type(output).__name__}, which holds no tensor to draw the "
            "graph from",
        )
    recorder.add_output(outputs)
    return recorder.trace


def _input_names(model: nn.Module, count: int) -> list[str]:
    """The forward method's parameter names (``x``, ``tokens``), or ``input``, ``input 2``…"""
    try:
        parameters = [
            parameter.name
            for parameter in inspect.signature(model.forward).parameters.values()
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    if len(parameters) >= count:
        return parameters[:count]
    return ["input"] if count == 1 else [f"input {number + 1}" for number in range(count)]


def _shape(tensor: torch.Tensor) -> Shape:
    return tuple(int(size) for size in tensor.shape)


def _count(module: nn.Module) -> tuple[int, int]:
    trainable = non_trainable = 0
    for parameter in module.parameters():
        if parameter.requires_grad:
            trainable += parameter.numel()
        else:
            non_trainable += parameter.numel()
    return trainable, non_trainable


def _type_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _Recorder:
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        trainable, non_trainable = _count(model)
        self.trace = Trace([], root=-1, trainable=trainable, non_trainable=non_trainable)
        self._paths = {id(module): name for name, module in model.named_modules()}
        #: id(tensor) → (tensor, index of the call that produced it); the tensor is kept so
        #: that its id is not reused by another tensor during the pass.
        self._producers: dict[int, tuple[torch.Tensor, int]] = {}
        #: Module calls under way, innermost last: (call index, whether it called a module).
        self._stack: list[OpenCall] = []
        self._counts: dict[int, tuple[int, int]] = {}

    # Hooks -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        pre = module_hooks.register_module_forward_pre_hook(self._before_module)
        post = module_hooks.register_module_forward_hook(self._after_module, with_kwargs=True)
        try:
            with _FunctionRecorder(self):
                yield
        finally:
            pre.remove()
            post.remove()
            self._stack.clear()

    def _before_module(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        parent = self._stack[-1].index if self._stack else None
        if self._stack:
            self._stack[-1].called_a_module = True
        if id(module) not in self._counts:
            self._counts[id(module)] = _count(module)
        trainable, non_trainable = self._counts[id(module)]
        tensors = list(_tensors_in(args))
        call = self.trace.add(
            Call(
                index=len(self.trace.calls),
                kind="module",
                name=self._name_of(module, parent),
                type_name=type(module).__name__,
                type_path=_type_path(type(module)),
                parent=parent,
                sources=self._sources(tensors),
                input_shapes=[_shape(tensor) for tensor in tensors],
                trainable=trainable,
                non_trainable=non_trainable,
            )
        )
        if parent is None and self.trace.root < 0:
            self.trace.root = call.index
            call.name = type(module).__name__
        self._stack.append(OpenCall(call.index, module))

    def _after_module(
        self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
    ) -> None:
        closed = self._stack.pop()
        index = closed.index
        call = self.trace.calls[index]
        # Global pre-hooks do not see keyword arguments; a leaf has not changed their producers.
        keyword_tensors = list(_tensors_in(kwargs))
        call.sources += self._sources(keyword_tensors)
        call.input_shapes += [_shape(tensor) for tensor in keyword_tensors]
        outputs = list(_tensors_in(output))
        call.output_shapes = [_shape(tensor) for tensor in outputs]
        if (
            not closed.called_a_module
        ):  # a leaf: what it returns comes from it, not from its insides
            call.children.clear()
            for tensor in outputs:
                self._producers[id(tensor)] = (tensor, index)

    def _name_of(self, module: nn.Module, parent: int | None) -> str:
        path = self._paths.get(id(module))
        if path is not None:
            return path
        # A module made inside forward: named after its type, under the module that made it.
        owner = (
            self.trace.calls[parent].name
            if parent is not None and parent != self.trace.root
            else ""
        )
        return f"{owner}.{type(module).__name__}" if owner else type(module).__name__

    def _sources(self, tensors: list[torch.Tensor]) -> list[tuple[int, Shape]]:
        sources = []
        for tensor in tensors:
            produced = self._producers.get(id(tensor))
            if produced is not None and produced[0] is tensor:
                sources.append((produced[1], _shape(tensor)))
        return sources

    # Inputs, outputs and functions -------------------------------------------------------------

    def add_input(self, name: str, tensor: torch.Tensor) -> None:
        call = self.trace.add(
            Call(len(self.trace.calls), "input", name, output_shapes=[_shape(tensor)])
        )
        self._producers[id(tensor)] = (tensor, call.index)

    def add_output(self, tensors: list[torch.Tensor]) -> None:
        self.trace.add(
            Call(
                len(self.trace.calls),
                "output",
                "output",
                sources=self._sources(tensors),
                input_shapes=[_shape(tensor) for tensor in tensors],
            )
        )

    def records_functions(self) -> bool:
        """Ops are drawn only where a container's own code runs them, not inside a leaf."""
        return bool(self._stack) and bool(self._stack[-1].owner._modules)

    def function(
        self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any
    ) -> None:
        tensors = [*_tensors_in(args), *_tensors_in(kwargs)]
        sources = self._sources(tensors)
        outputs = list(_tensors_in(result))
        if not sources or not outputs:
            return
        name = _function_name(func)
        if name in _TRANSPARENT:
            for tensor in outputs:
                self._producers[id(tensor)] = (tensor, sources[0][0])
            return
        call = self.trace.add(
            Call(
                index=len(self.trace.calls),
                kind="function",
                name=name,
                type_name=name,
                type_path=_function_path(func, name),
                parent=self._stack[-1].index,
                sources=sources,
                input_shapes=[_shape(tensor) for tensor in tensors],
                output_shapes=[_shape(tensor) for tensor in outputs],
            )
        )
        for tensor in outputs:
            self._producers[id(tensor)] = (tensor, call.index)


class _FunctionRecorder(TorchFunctionMode):
    def __init__(self, recorder: _Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self.recorder.records_functions():
            self.recorder.function(func, args, kwargs, result)
        return result


def _function_name(func: Any) -> str:
    """``add`` for ``+``, ``+=`` and ``torch.add``; ``relu`` for ``F.relu``; ``T`` for ``x.T``."""
    name = getattr(func, "__name__", "") or type(func).__name__
    if name == "__get__":  # a property such as x.T
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    name = name.strip("_")  # __getitem__, add_
    if name.startswith("r") and name[1:] in _REFLECTED:  # __radd__: 1 + x
        name = name[1:]
    return {"truediv": "div", "floordiv": "div"}.get(name, name)


_REFLECTED = frozenset(
    {"add", "sub", "mul", "truediv", "floordiv", "matmul", "pow", "div", "and", "or", "xor", "mod"}
)


def _function_path(func: Any, name: str) -> str:
    """Where the op is documented: ``torch.nn.functional.relu``, ``torch.add``; or ""."""
    module = getattr(func, "__module__", None)
    if module == "torch.nn.functional" and hasattr(torch.nn.functional, name):
        return f"torch.nn.functional.{name}"
    if hasattr(torch, name) and callable(getattr(torch, name)):
        return f"torch.{name}"
    if hasattr(torch.Tensor, name):
        return f"torch.Tensor.{name}"
    return ""
