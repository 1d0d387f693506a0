"""The modules view of a PyTorch model: one forward pass, traced module by module.

While the model runs (on the meta device by default, so only shapes are computed), global
module hooks note each module call and what it returned, and a ``TorchFunctionMode`` notes the
functional ops a container's own code runs between its modules (the ``+`` of a residual
connection, ``flatten``, ``view``, ``F.relu``). Tensors are followed by identity: each call's
inputs are joined to the call that produced them. The hooks and the mode are removed when the
pass ends, however it ends; the model itself is never changed.

The same pass counts each call's multiply-accumulates with the formulas of PyTorch's
``FlopCounterMode`` (``torch.utils.flop_counter.flop_registry``: convolutions, matrix products,
attention), applied to the shapes of the operators that run, so it counts on the meta device
too; a call's count is the difference of the running total when it ends and when it began.
The mode itself also decomposes every operator it has no formula for, which made a trace up to
twice as slow; the counts are the same without (checked on every torchvision classifier by
``benchmarks/macs.py``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from sphinx_archviz.capture import graph, torch_export, torch_known, torch_transformers_sessions
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.trace import (
    Recorder,
    Trace,
    Weight,
    default_input_names,
    tensor_shape,
)
from sphinx_archviz.capture.torch import find_tensors, prepare, run_model
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary

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


def draw(
    model: nn.Module,
    request: CaptureRequest,
    device: str,
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
) -> tuple[str, Summary, Hierarchy | None]:
    if request.export or isinstance(model, torch.export.ExportedProgram):
        trace = torch_export.trace_program(model, request, device)
    else:
        trace = trace_model(model, request, device)
    return graph.draw_request(trace, request, type(model).__name__, overlay_of, explore=explore)


def trace_model(
    model: nn.Module, request: CaptureRequest, device: str, *, until_failure: bool = False
) -> Trace:
    """Run the model once on the example input and record its calls. With ``until_failure``,
    a forward pass that raises gives the trace of what ran (``Trace.failed`` says where it
    stopped) instead of an error."""
    return torch_known.or_all_on_meta(
        lambda: _trace_once(model, request, device, until_failure=until_failure)
    )


def _trace_once(
    model: nn.Module, request: CaptureRequest, device: str, *, until_failure: bool
) -> Trace:
    model, inputs, tensors_by_name = prepare(model, request, device)
    recorder = _Recorder(model)
    for name, value in zip(_input_names(model, len(inputs)), inputs, strict=True):
        tensor = torch_transformers_sessions.shown(value)
        if tensor is None:  # a parameter of forward left to its default, a number
            continue
        recorder.add_input(name, tensor)
    try:
        outputs = run_model(model, tensors_by_name, inputs, request, around=recorder.recording())
    except ArchvizError as error:
        if not until_failure or error.subtype != "forward" or error.__cause__ is None:
            raise
        recorder.trace.error = describe_exception(error.__cause__, request.search_paths)
        return recorder.trace
    recorder.add_output(list(outputs))
    return recorder.trace


def draw_partial(model: nn.Module, request: CaptureRequest, device: str) -> PartialDrawing | None:
    """What ran of a model whose forward pass fails, up to the failing module or op."""
    trace = trace_model(model, request, device, until_failure=True)
    return graph.draw_partial(trace, request, type(model).__name__)


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
    return default_input_names(count)


def _count(module: nn.Module) -> tuple[int, int]:
    return _sizes(module.parameters())


def _sizes(parameters: Iterable[nn.Parameter]) -> tuple[int, int]:
    trainable = non_trainable = 0
    for parameter in parameters:
        if parameter.requires_grad:
            trainable += parameter.numel()
        else:
            non_trainable += parameter.numel()
    return trainable, non_trainable


def _counts(model: nn.Module) -> dict[int, tuple[int, int]]:
    """:func:`_count` of every module in ``model``, by id, in one walk of the module tree
    (each parameter counted once under a module, as ``parameters()`` counts a shared one)."""
    under: dict[int, dict[int, nn.Parameter]] = {}

    def parameters_under(module: nn.Module) -> dict[int, nn.Parameter]:
        if id(module) not in under:
            found = {id(p): p for p in module._parameters.values() if p is not None}
            for child in module._modules.values():
                if child is not None:
                    found.update(parameters_under(child))
            under[id(module)] = found
        return under[id(module)]

    parameters_under(model)
    return {key: _sizes(found.values()) for key, found in under.items()}


def _type_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _Recorder(Recorder):
    def __init__(self, model: nn.Module) -> None:
        self._counts = _counts(model)  # modules made in forward are counted when called
        trainable, non_trainable = self._counts[id(model)]
        super().__init__(Trace([], root=-1, trainable=trainable, non_trainable=non_trainable))
        self.model = model
        self._paths = {id(module): name for name, module in model.named_modules()}
        self.trace.module_paths = tuple(self._paths.values())
        self._flops = _FlopCounter()

    # Hooks -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        pre = module_hooks.register_module_forward_pre_hook(self._before_module)
        post = module_hooks.register_module_forward_hook(self._after_module, with_kwargs=True)
        functions = _FunctionRecorder(self)
        try:
            with self._flops, functions:
                yield
        except Exception as exc:
            if functions.failed is not None and functions.failed[0] is exc:
                self.failed_function(*functions.failed[1:])
            self.stopped()
            raise
        finally:
            pre.remove()
            post.remove()
            self.stack.clear()

    def _before_module(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if id(module) not in self._counts:
            self._counts[id(module)] = _count(module)
        trainable, non_trainable = self._counts[id(module)]
        call = self.open_module_call(
            module,
            self._name_of(module, self.caller),
            _type_path(type(module)),
            list(find_tensors(args)),
            trainable=trainable,
            non_trainable=non_trainable,
        )
        call.weights = [
            Weight(name, "Parameter", tuple(param.shape), param.requires_grad)
            for name, param in module._parameters.items()
            if param is not None
        ]
        if call.index == self.trace.root:
            call.name = type(module).__name__

    def _after_module(
        self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
    ) -> None:
        # Global pre-hooks do not see keyword arguments; a leaf has not changed their producers.
        keyword_tensors = list(find_tensors(kwargs))
        call = self.trace.calls[self.stack[-1].index]
        call.sources += self.sources(keyword_tensors)
        call.input_shapes += [tensor_shape(tensor) for tensor in keyword_tensors]
        call, closed = self.close_module_call(list(find_tensors(output)))
        if not closed.called_a_module:  # a leaf: what it returns comes from it, not its insides
            call.children.clear()

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

    # Metrics -----------------------------------------------------------------------------------

    def macs_so_far(self) -> int:
        # PyTorch counts a multiply-accumulate as two floating-point operations.
        return self._flops.flops // 2

    def tensor_bytes(self, tensor: torch.Tensor) -> int:
        return tensor.numel() * tensor.element_size()

    def tensor_dtype(self, tensor: torch.Tensor) -> str:
        return str(tensor.dtype).removeprefix("torch.")

    # Functions ---------------------------------------------------------------------------------

    def records_functions(self) -> bool:
        """Ops are drawn only where a container's own code runs them, not inside a leaf."""
        return bool(self.stack) and bool(self.stack[-1].owner._modules)

    def function(
        self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any, macs: int
    ) -> None:
        tensors = [*find_tensors(args), *find_tensors(kwargs)]
        sources = self.sources(tensors)
        outputs = list(find_tensors(result))
        if not sources or not outputs:
            return
        name = _function_name(func)
        if name in _TRANSPARENT:
            for tensor in outputs:
                self.producers[id(tensor)] = (tensor, sources[0][0])
            return
        self.add_function(name, _function_path(func, name), tensors, outputs, sources, macs)

    def failed_function(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A container's own op raised: it is where the forward pass stopped."""
        name = _function_name(func)
        tensors = [*find_tensors(args), *find_tensors(kwargs)]
        self.trace.failed = self.add_function(name, _function_path(func, name), tensors, []).index


class _FlopCounter(TorchDispatchMode):
    """The floating-point operations of the operators run inside it, by PyTorch's formulas."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=result)
        return result


class _FunctionRecorder(TorchFunctionMode):
    def __init__(self, recorder: _Recorder) -> None:
        super().__init__()
        self.recorder = recorder
        #: The latest op of a container's own code that raised: (error, op, args, kwargs).
        self.failed: tuple[BaseException, Any, tuple[Any, ...], dict[str, Any]] | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        before = self.recorder.macs_so_far()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            if self.recorder.records_functions():
                self.failed = (exc, func, args, kwargs)
            raise
        if self.recorder.records_functions():
            macs = self.recorder.macs_so_far() - before
            self.recorder.function(func, args, kwargs, result, macs)
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
