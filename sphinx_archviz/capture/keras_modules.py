"""The modules view of a Keras model: one call on the example input, traced layer by layer.

``plot_model`` draws a subclassed model, or a custom layer, as one box; here ``Layer.__call__``
is wrapped while the model runs once, so every layer called inside (however deeply) is seen
with its input and output shapes, and the layers' outputs are followed by identity to the
layers that consume them. The wrapper is removed when the call ends, however it ends.

TensorFlow ops written between layers in a ``call`` method (``x + y``) are not layers and are
not seen; a layer whose input came from such an op is joined to the latest layer whose output
has the same shape.

Each layer call's multiply-accumulates are counted by formula from its weights and shapes
(:mod:`.keras_macs`) as the call ends, so a layer's count includes its sublayers'.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.backend import model_run_failed, tensors_in
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.trace import (
    Recorder,
    Shape,
    Trace,
    Weight,
    default_input_names,
    tensor_shape,
)
from sphinx_archviz.capture.keras import (
    dummy_tensor,
    example_argument,
    example_inputs,
    running,
    training,
)
from sphinx_archviz.capture.keras_macs import layer_macs
from sphinx_archviz.errors import describe_exception
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary


def draw(
    model: keras.Model,
    request: CaptureRequest,
    device: str,
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
) -> tuple[str, Summary, Hierarchy | None]:
    trace = trace_model(model, request, device)
    return graph.draw_request(trace, request, model.name, overlay_of, explore=explore)


def draw_partial(model: keras.Model, request: CaptureRequest, device: str) -> PartialDrawing | None:
    """What ran of a model whose call fails, up to the failing layer."""
    trace = trace_model(model, request, device, until_failure=True)
    return graph.draw_partial(trace, request, model.name)


def trace_model(
    model: keras.Model, request: CaptureRequest, device: str = "cpu", *, until_failure: bool = False
) -> Trace:
    """Call the model once on the example input and record its layer calls. With
    ``until_failure``, a call that raises gives the trace of what ran (``Trace.failed`` says
    where it stopped) instead of an error."""
    specs = example_inputs(model, request)
    tensors = [dummy_tensor(spec) for spec in specs]
    argument = example_argument(model, tensors)
    name_of = {
        id(tensor): name
        for tensor, name in zip(tensors, _input_names(model, len(tensors)), strict=True)
    }
    in_call_order = list(_tensors_in(argument))
    recorder = _Recorder(model, [name_of[id(tensor)] for tensor in in_call_order], in_call_order)
    try:
        with running(device):
            if not model.built:  # the first call builds the layers
                with contextlib.suppress(Exception) if until_failure else contextlib.nullcontext():
                    model(argument, training=training(request))
            with recorder.recording():
                output = model(argument, training=training(request))
    except Exception as exc:
        if until_failure:
            recorder.trace.error = describe_exception(exc, request.search_paths)
            return recorder.trace
        raise model_run_failed(specs, exc, request) from exc
    recorder.add_output(list(_tensors_in(output)))
    recorder.trace.trainable = _count(model.trainable_weights)
    recorder.trace.non_trainable = _count(model.non_trainable_weights)
    return recorder.trace


def _input_names(model: keras.Model, count: int) -> list[str]:
    names = [tensor.name for tensor in getattr(model, "inputs", None) or []]
    if len(names) == count and len(set(names)) == count:
        return names
    return default_input_names(count)


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _tensors_in(value: Any) -> Iterator[Any]:
    return tensors_in(value, _is_tensor)


def _building(tensors: list[Any]) -> bool:
    """Whether a layer is called to build the model rather than to run it: on Keras' symbolic
    tensors, or inside a TensorFlow graph (where an unbuilt model works out its shapes)."""
    if any(isinstance(tensor, keras.KerasTensor) for tensor in tensors):
        return True
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.executing_eagerly()


def _count(weights: list[Any]) -> int:
    return sum(int(np.prod(weight.shape)) for weight in weights)


def _size(shape: Shape) -> int:
    return math.prod(1 if size is None else size for size in shape)


def _itemsize(dtype: str) -> int:
    try:
        return np.dtype(dtype).itemsize
    except TypeError:  # a dtype NumPy does not know
        return 0


def _type_path(cls: type) -> str:
    """``keras.layers.Dense`` for Keras' own layers, ``module.Class`` for the user's."""
    name = cls.__qualname__
    if cls.__module__.startswith("keras."):
        if hasattr(keras.layers, name):
            return f"keras.layers.{name}"
        if hasattr(keras, name):
            return f"keras.{name}"
    return f"{cls.__module__}.{name}"


def _attribute_name(owner: keras.Layer, layer: keras.Layer) -> str | None:
    """The attribute of ``owner`` that holds ``layer`` (``dense``, ``blocks.0``), if any."""
    for attribute, value in sorted(vars(owner).items()):
        if attribute.startswith("_"):
            continue
        if value is layer:
            return attribute
        if isinstance(value, list | tuple):
            for number, item in enumerate(value):
                if item is layer:
                    return f"{attribute}.{number}"
    return None


class _Recorder(Recorder):
    def __init__(self, model: keras.Model, input_names: list[str], inputs: list[Any]) -> None:
        super().__init__(Trace([], root=-1, trainable=0, non_trainable=0))
        self.model = model
        self._inputs = inputs
        self._macs = 0
        for name, tensor in zip(input_names, inputs, strict=True):
            self.add_input(name, tensor)

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        layer_class = keras.Layer
        original = layer_class.__call__
        recorder = self

        @functools.wraps(original)
        def traced_call(layer: keras.Layer, *args: Any, **kwargs: Any) -> Any:
            tensors = list(_tensors_in((args, kwargs)))
            if _building(tensors):
                return original(layer, *args, **kwargs)
            recorder.before(layer, tensors)
            output = original(layer, *args, **kwargs)
            recorder.after(layer, list(_tensors_in(output)))
            return output

        layer_class.__call__ = traced_call  # type: ignore[method-assign]
        try:
            yield
        except Exception:
            self.stopped()
            raise
        finally:
            layer_class.__call__ = original  # type: ignore[method-assign]
            self.stack.clear()

    def before(self, layer: keras.Layer, tensors: list[Any]) -> None:
        if self.caller is None and self.trace.root < 0:
            # The model itself: what it receives are the inputs (perhaps converted copies).
            for tensor, original in zip(tensors, self._inputs, strict=False):
                self.producers[id(tensor)] = (tensor, self.producers[id(original)][1])
        name = self._name_of(layer, self.caller)
        self.open_module_call(layer, name, _type_path(type(layer)), tensors)

    def after(self, layer: keras.Layer, outputs: list[Any]) -> None:
        opened = self.trace.calls[self.stack[-1].index]
        self._macs += layer_macs(layer, opened.input_shapes, list(map(tensor_shape, outputs)))
        call, _ = self.close_module_call(outputs)
        call.trainable = _count(layer.trainable_weights)
        call.non_trainable = _count(layer.non_trainable_weights)
        call.weights = [
            Weight(variable.name, "Variable", tuple(variable.shape), trainable)
            for trainable, variables in (
                (True, layer._trainable_variables),
                (False, layer._non_trainable_variables),
            )
            for variable in variables
        ]

    def macs_so_far(self) -> int:
        return self._macs

    def tensor_bytes(self, tensor: Any) -> int:
        return _size(tensor_shape(tensor)) * _itemsize(self.tensor_dtype(tensor))

    def tensor_dtype(self, tensor: Any) -> str:
        return keras.backend.standardize_dtype(tensor.dtype)

    def _name_of(self, layer: keras.Layer, parent: int | None) -> str:
        """The attribute path (``encoder.dense``) where there is one, else the layer's name."""
        if parent is None:
            return layer.name
        name = _attribute_name(self.stack[-1].owner, layer) or layer.name
        owner = self.trace.calls[parent].name if parent != self.trace.root else ""
        return f"{owner}.{name}" if owner else name

    def unseen_source(self, tensor: Any) -> int | None:
        """A tensor made by a TensorFlow op between layers (not seen) comes from the latest
        finished leaf layer (or input) that returned a tensor of its shape."""
        shape = tensor_shape(tensor)
        open_calls = {entry.index for entry in self.stack}
        for call in reversed(self.trace.calls):
            if call.index in open_calls or call.kind == "output":
                continue
            if call.kind == "module" and call.children:
                continue
            if shape in call.output_shapes:
                return call.index
        return None
