"""PyTorch backend: torchviz's autograd graph of the model's output. Runs in the torch worker
process only; torch is imported here and in :mod:`.torch_modules`, nowhere else.

On the meta device (the default) parameters and buffers hold shapes but no data, so building
and running a model costs neither weight memory nor arithmetic. Models built here from a class
or factory get their parameters registered on meta while the rest of their constructor runs as
usual; a model instance is run with meta copies of its parameters (``functional_call``) and is
left as it was.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn
from torch.func import functional_call
from torch.nn.parameter import is_lazy
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map
from torchviz import make_dot

from sphinx_archviz.capture import (
    torch_input_widths,
    torch_known,
    torch_transformers,
    torch_transformers_inputs,
)
from sphinx_archviz.capture.backend import model_run_failed, tensors_in
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import CaptureRequest, ExampleInput


def reset() -> None:
    torch.manual_seed(0)


def is_model(obj: Any) -> bool:
    return isinstance(obj, nn.Module | torch.export.ExportedProgram)


def construct(found: Any, request: CaptureRequest, device: str) -> nn.Module | None:
    """A Hugging Face transformers class, built from its configuration (``:config:``); None
    for the classes and factories the docs' own code calls."""
    if torch_transformers.is_transformers_class(found):
        return torch_transformers.build(found, request.config, device, request.reference)
    return None


@contextlib.contextmanager
def placement(device: str) -> Iterator[None]:
    """While a model is built: put its parameters and buffers on ``device`` as they appear."""
    if device != "meta":
        yield
        return
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer

    def parameter_on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        register_parameter(module, name, param)
        if param is not None and not is_lazy(param) and not param.is_meta:
            module._parameters[name] = nn.Parameter(
                param.detach().to("meta"), requires_grad=param.requires_grad
            )

    def buffer_on_meta(
        module: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True
    ) -> None:
        register_buffer(module, name, tensor, persistent)
        if tensor is not None and not is_lazy(tensor) and not tensor.is_meta:
            module._buffers[name] = tensor.to("meta")

    nn.Module.register_parameter = parameter_on_meta  # type: ignore[method-assign]
    nn.Module.register_buffer = buffer_on_meta  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = register_parameter  # type: ignore[method-assign]
        nn.Module.register_buffer = register_buffer  # type: ignore[method-assign]


def warm_up() -> None:
    """Draw a small model in both views on the meta device, so that what a first capture
    imports on demand (meta kernels, sympy: seconds) is imported once, before forking. Runs
    no arithmetic, so no thread pool starts."""
    from sphinx_archviz.capture import torch_modules

    request = CaptureRequest("warm-up:model", "torch", (ExampleInput((1, 1, 8, 8)),))
    with placement("meta"):
        model = nn.Sequential(
            nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(72, 2)
        )
    draw(model, request, "meta")
    torch_modules.draw(model, request, "meta")


def is_device_failure(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the model cannot run on the meta device (rather than a real bug);
    ``.tolist()`` of a meta tensor says its storage is unallocated."""
    message = str(exc).lower()
    return isinstance(exc, NotImplementedError) or any(
        words in message for words in ("meta", "unallocated storage")
    )


#: A forward pass that failed on the meta device runs again on the CPU, for PyTorch's clearer
#: message, when that costs little: a model of at most this many parameters (80 MB as
#: float32, built in well under a second) on inputs of at most this many elements.
CHEAP_PARAMETERS = 20_000_000
CHEAP_INPUT_ELEMENTS = 2**22


def cheap_on_cpu(model: nn.Module, request: CaptureRequest) -> bool:
    parameters = parameter_count(model)
    elements = sum(math.prod(spec.shape) for spec in request.inputs)
    return (
        parameters is not None
        and parameters <= CHEAP_PARAMETERS
        and elements <= CHEAP_INPUT_ELEMENTS
    )


#: A model that cannot run on the meta device is built and run again on the CPU only when its
#: weights fit comfortably there: at most this many parameters (1 GB as float32). Not more:
#: its forward pass then runs for real, and a larger default configuration runs on inputs as
#: large as it was made for (SAM 3 at 840M parameters took 24 GB and 7 minutes). A larger one
#: (transformers' default PaliGemma, NLLB-MoE) is drawn as far as it ran on the meta device.
CPU_RETRY_PARAMETERS = 250_000_000


def parameter_count(model: nn.Module) -> int | None:
    """How many parameters the model has (counted on the meta device for free); None while
    lazy modules have not sized theirs."""
    try:
        return sum(parameter.numel() for parameter in model.parameters())
    except (RuntimeError, ValueError):
        return None


def fits_on_cpu(model: nn.Module) -> bool:
    count = parameter_count(model)
    return count is None or count <= CPU_RETRY_PARAMETERS


@contextlib.contextmanager
def in_mode(model: nn.Module, mode: str) -> Iterator[None]:
    modules = list(model.modules())
    training = [module.training for module in modules]
    if mode:
        model.train(mode == "train")
    try:
        yield
    finally:
        for module, was_training in zip(modules, training, strict=True):
            module.training = was_training


def one_box_reason(_model: nn.Module) -> str | None:
    return None  # torchviz draws every op


def draw(model: nn.Module, request: CaptureRequest, device: str) -> tuple[str, Hierarchy]:
    return torch_known.or_all_on_meta(lambda: _draw_graph(model, request, device))


def _draw_graph(model: nn.Module, request: CaptureRequest, device: str) -> tuple[str, Hierarchy]:
    # Imported here: the recorder builds on the modules view's, which builds on this module.
    from sphinx_archviz.capture.torch_hierarchy import AutogradRecorder, autograd_hierarchy

    if isinstance(model, torch.export.ExportedProgram):
        model = model.module()
    model, inputs, tensors_by_name = prepare(model, request, device)
    recorder = AutogradRecorder(model)
    tensors = run_model(model, tensors_by_name, inputs, request, around=recorder.recording())
    parameters = {name: tensors_by_name[name] for name, _ in model.named_parameters()}
    graph = make_dot(
        tensors if len(tensors) > 1 else tensors[0],
        params=parameters,
        show_attrs=request.show_attrs,
        show_saved=request.show_saved,
    )
    if request.rankdir != "TB":  # Graphviz's default; leaving it out keeps torchviz's DOT as is
        graph.graph_attr["rankdir"] = request.rankdir
    hierarchy = autograd_hierarchy(graph, recorder, parameters, request.explore_depth)
    return graph.source, hierarchy


def run_model(
    model: nn.Module,
    tensors_by_name: dict[str, torch.Tensor],
    inputs: tuple[torch.Tensor, ...],
    request: CaptureRequest,
    around: contextlib.AbstractContextManager[object] | None = None,
) -> tuple[torch.Tensor, ...]:
    """Run the model (inside ``around``, if given) on ``inputs``; the tensors it returned."""
    try:
        weights = tensors_by_name.values() or _own_tensors(model)
        with shapes_only(model, inputs, weights), around or contextlib.nullcontext():
            output = functional_call(model, tensors_by_name, inputs)
    except Exception as exc:
        fed = [_as_example_input(tensor) for tensor in inputs if isinstance(tensor, torch.Tensor)]
        raise model_run_failed(fed, exc, request, _advice(exc)) from exc
    tensors = tuple(find_tensors(output))
    if not tensors:
        raise ArchvizError(
            "forward",
            f"the model returned {type(output).__name__}, which holds no tensor to draw the "
            "graph from",
        )
    return tensors


@contextlib.contextmanager
def shapes_only(
    model: nn.Module, inputs: tuple[torch.Tensor | None, ...], weights: Iterable[torch.Tensor]
) -> Iterator[None]:
    """While a model runs on the meta device (its ``weights`` or ``inputs`` are there): ops
    whose output size depends on values (``nonzero``, as a mixture of experts routes tokens)
    assume every value is non-zero, so each expert is drawn with all the tokens; transformers
    models skip their value checks; inputs given on the CPU for their values to be read
    (token ids, an image's patch grid) join the meta tensors they meet."""
    given = [tensor for tensor in inputs if isinstance(tensor, torch.Tensor)]
    if not any(tensor.is_meta for tensor in itertools.chain(given, weights)):
        yield
        return
    with (
        torch.fx.experimental._config.patch(meta_nonzero_assume_all_nonzero=True),
        torch_transformers.shapes_only(model),
        _MetaAbsorbsCpu(),
        torch_known.numbers_on_the_cpu(),
    ):
        yield


class _MetaAbsorbsCpu(TorchDispatchMode):
    """An op given both meta tensors and CPU tensors (the values of an image's patch grid, and
    what the model computed from them; a scalar the model made on the CPU, as SEW-D's
    ``masked_fill`` value) runs on the meta device, and a meta tensor sent to the CPU
    (``position_ids.to(input_ids.device)``) stays there. Integers on the CPU sent to the meta
    device (MiniCPM-V's lengths of its images' patch sequences, which it then reads) stay on
    the CPU, readable, until they meet a meta tensor."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        known = torch_known.made_on_the_cpu(func, args, kwargs)
        if known is not None:
            return known
        tensors = [
            each for each in tree_flatten((args, kwargs))[0] if isinstance(each, torch.Tensor)
        ]
        if any(each.is_meta for each in tensors):
            if not all(each.is_meta for each in tensors):
                torch_known.check_no_write_of_unknown_values(func, args, kwargs)
                args, kwargs = tree_map(torch_known.on_meta, (args, kwargs))
            if kwargs.get("device") is not None:
                kwargs = {**kwargs, "device": torch.device("meta")}
        elif tensors:
            return torch_known.on_the_cpu_if_small(func, args, kwargs)
        return func(*args, **kwargs)


def _advice(exc: Exception) -> str:
    """What to change when the forward pass raised ``exc``."""
    if "Expected more than 1 value per channel when training" in str(exc):
        return (
            "batch norm in training mode needs more than one example: use a batch of 2 or more "
            "in :input-shape:, or add :mode: eval"
        )
    return "check :input-shape: and :input-dtype:"


def prepare(
    model: nn.Module, request: CaptureRequest, device: str
) -> tuple[nn.Module, tuple[torch.Tensor, ...], dict[str, torch.Tensor]]:
    """The model ready to run on ``device``: its example input and its parameters and buffers
    there by name. A model with lazy modules (``nn.LazyLinear``) is a copy whose first call
    on the example input has sized them."""
    if any(is_lazy(tensor) for tensor in _own_tensors(model)):
        inputs = example_inputs(model, request, device, {})
        model = copy.deepcopy(model)
        _lazy_tensors_to(model, device)
        run_model(model, {}, inputs, request)
        return model, inputs, _tensors_on(model, device)
    tensors_by_name = _tensors_on(model, device)
    return model, example_inputs(model, request, device, tensors_by_name), tensors_by_name


def _own_tensors(model: nn.Module) -> list[torch.Tensor]:
    return [*model.parameters(), *model.buffers()]


def _lazy_tensors_to(model: nn.Module, device: str) -> None:
    """Make the lazy parameters and buffers take their data on ``device`` when they are sized."""
    for module in model.modules():
        for name, param in module._parameters.items():
            if param is not None and is_lazy(param):
                module._parameters[name] = nn.UninitializedParameter(
                    param.requires_grad, device=device, dtype=param.dtype
                )
        for name, buffer in module._buffers.items():
            if buffer is not None and is_lazy(buffer):
                module._buffers[name] = nn.UninitializedBuffer(
                    buffer.requires_grad, device=device, dtype=buffer.dtype
                )


def _tensors_on(model: nn.Module, device: str) -> dict[str, torch.Tensor]:
    """The model's parameters and buffers by name, copied to ``device`` where they are not."""
    tensors: dict[str, torch.Tensor] = {}
    for name, param in model.named_parameters():
        if param.device.type != device:
            param = nn.Parameter(param.detach().to(device), requires_grad=param.requires_grad)
        tensors[name] = param
    for name, buffer in model.named_buffers():
        tensors[name] = buffer if buffer.device.type == device else buffer.to(device)
    return tensors


def example_inputs(
    model: nn.Module,
    request: CaptureRequest,
    device: str,
    tensors_by_name: dict[str, torch.Tensor],
) -> tuple[torch.Tensor, ...]:
    if request.inputs:
        return tuple(_dummy_tensor(spec, device) for spec in request.inputs)
    own = getattr(model, "example_input_array", None)
    if isinstance(own, torch.Tensor):
        own = (own,)
    if isinstance(own, tuple | list) and all(isinstance(t, torch.Tensor) for t in own):
        return tuple(t.to(device) for t in own)
    if torch_transformers.is_transformers_model(model):
        layouts = torch_transformers_inputs.example_inputs(model, device)
        return _first_that_runs(model, tensors_by_name, layouts)
    raise ArchvizError(
        "input",
        "PyTorch models need :input-shape: (for example :input-shape: 1, 3, 224, 224) "
        "unless they have an example_input_array attribute",
    )


def _first_that_runs(
    model: nn.Module,
    tensors_by_name: dict[str, torch.Tensor],
    layouts: list[tuple[torch.Tensor | None, ...]],
) -> tuple[torch.Tensor | None, ...]:
    """The first of the example inputs the model runs on (each tried once, without
    gradients); else the first it fails on only for want of values on the meta device (the
    CPU may draw it); else the first that runs made as wide as the layers that take its
    inputs; else the first, for its error."""
    if len(layouts) == 1:
        return layouts[0]
    needs_values = None

    def run(inputs: tuple[torch.Tensor | None, ...]) -> None:
        with torch.no_grad(), shapes_only(model, inputs, tensors_by_name.values()):
            functional_call(model, tensors_by_name, inputs)

    for inputs in layouts:
        try:
            run(inputs)
        except Exception as exc:  # a layout the model does not take, or not on meta
            if needs_values is None and is_device_failure(exc):
                needs_values = inputs
            continue
        return inputs
    widened = (_widened(inputs, run) for inputs in layouts)
    return needs_values or next(filter(None, widened), None) or layouts[0]


def _widened(
    inputs: tuple[torch.Tensor | None, ...],
    run: Callable[[tuple[torch.Tensor | None, ...]], None],
) -> tuple[torch.Tensor | None, ...] | None:
    """``inputs`` as wide as the linear layers that take them were built, if the model
    runs on them so."""
    widened = torch_input_widths.widened(inputs, run)
    if widened is None:
        return None
    try:
        run(widened)
    except Exception:  # the layout is wrong in more than its width: its own error is clearer
        return None
    return widened


#: The largest example input built on the CPU; on the meta device inputs take no memory.
CPU_INPUT_LIMIT = 2**30


def _dummy_tensor(spec: ExampleInput, device: str) -> torch.Tensor:
    dtype = getattr(torch, spec.dtype)
    size = math.prod(spec.shape) * dtype.itemsize
    if device != "meta" and size > CPU_INPUT_LIMIT:
        raise ArchvizError(
            "input",
            f"the input {spec} would take {size / 2**30:.1f} GiB on the CPU; draw the model on "
            "the meta device (:device: meta) or use a smaller :input-shape:",
        )
    if dtype.is_floating_point:
        return torch.randn(spec.shape, dtype=dtype, device=device)
    return torch.zeros(spec.shape, dtype=dtype, device=device)


def find_tensors(value: Any) -> Iterator[torch.Tensor]:
    """The tensors in what a model takes or returns, in order."""
    return tensors_in(value, lambda item: isinstance(item, torch.Tensor))


def _as_example_input(tensor: torch.Tensor) -> ExampleInput:
    """A tensor fed to the model, as :input-shape: and :input-dtype: would give it."""
    return ExampleInput(tuple(tensor.shape), str(tensor.dtype).removeprefix("torch."))
