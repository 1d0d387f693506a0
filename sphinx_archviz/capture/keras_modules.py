"""The modules view of a Keras model: one call on the example input, traced layer by layer.

``plot_model`` draws a subclassed model, or a custom layer, as one box; here ``Layer.__call__``
is wrapped while the model runs once, so every layer called inside (however deeply) is seen
with its input and output shapes, and the layers' outputs are followed by identity to the
layers that consume them. The wrapper is removed when the call ends, however it ends.

TensorFlow ops written between layers in a ``call`` method (``x + y``) are not layers and are
not seen; a layer whose input came from such an op is joined to the latest layer whose output
has the same shape.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from sphinx_archviz.capture import module_graph
from sphinx_archviz.capture.keras import _dummy_tensor
from sphinx_archviz.capture.module_graph import Call, OpenCall, Shape, Trace
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest, ExampleInput, Summary


def draw(model: keras.Model, request: CaptureRequest, _device: str) -> tuple[str, Summary]:
    trace = trace_model(model, request)
    return module_graph.draw(trace, request.depth, request.fold, request.rankdir, model.name)


def trace_model(model: keras.Model, request: CaptureRequest) -> Trace:
    specs = request.inputs or _own_inputs(model)
    tensors = [_dummy_tensor(spec) for spec in specs]
    argument = tensors[0] if len(tensors) == 1 else tensors
    recorder = _Recorder(model, _input_names(model, len(tensors)), tensors)
    try:
        if not model.built:  # the first call builds the layers, perhaps symbolically
            model(argument, training=False)
        with recorder.recording():
            output = model(argument, training=False)
    except Exception as exc:
        raise ArchvizError(
            "forward",
            f"running the model on input {'; '.join(map(str, specs))} raised "
            f"{describe_exception(exc, request.search_paths)}; check :input-shape: "
            "and :input-dtype:",
        ) from exc
    recorder.add_output(list(_tensors_in(output)))
    recorder.trace.trainable = _count(model.trainable_weights)
    recorder.trace.non_trainable = _count(model.non_trainable_weights)
    return recorder.trace


def _own_inputs(model: keras.Model) -> tuple[ExampleInput, ...]:
    if not model.built or not getattr(model, "inputs", None):
        raise ArchvizError(
            "input",
            "the model has no defined inputs (it is subclassed or not yet built); add "
            ":input-shape: with the batch size first, for example 1, 110, 110, 3",
        )
    return tuple(
        ExampleInput(tuple(1 if size is None else int(size) for size in tensor.shape), tensor.dtype)
        for tensor in model.inputs
    )


def _input_names(model: keras.Model, count: int) -> list[str]:
    names = [tensor.name for tensor in getattr(model, "inputs", None) or []]
    if len(names) == count and len(set(names)) == count:
        return names
    return ["input"] if count == 1 else [f"input {number + 1}" for number in range(count)]


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _tensors_in(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _tensors_in(item)
    elif _is_tensor(value):
        yield value


def _shape(tensor: Any) -> Shape:
    return tuple(None if size is None else int(size) for size in tensor.shape)


def _count(weights: list[Any]) -> int:
    return sum(int(np.prod(weight.shape)) for weight in weights)


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


class _Recorder:
    def __init__(self, model: keras.Model, input_names: list[str], inputs: list[Any]) -> None:
        self.model = model
        self.trace = Trace([], root=-1, trainable=0, non_trainable=0)
        self._producers: dict[int, tuple[Any, int]] = {}
        self._stack: list[OpenCall] = []
        self._inputs = inputs
        for name, tensor in zip(input_names, inputs, strict=True):
            call = self.trace.add(
                Call(len(self.trace.calls), "input", name, output_shapes=[_shape(tensor)])
            )
            self._producers[id(tensor)] = (tensor, call.index)

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        layer_class = keras.Layer
        original = layer_class.__call__
        recorder = self

        @functools.wraps(original)
        def traced_call(layer: keras.Layer, *args: Any, **kwargs: Any) -> Any:
            tensors = list(_tensors_in((args, kwargs)))
            if any(isinstance(tensor, keras.KerasTensor) for tensor in tensors):
                return original(layer, *args, **kwargs)  # a symbolic call: building, not running
            recorder.before(layer, tensors)
            output = original(layer, *args, **kwargs)
            recorder.after(layer, list(_tensors_in(output)))
            return output

        layer_class.__call__ = traced_call  # type: ignore[method-assign]
        try:
            yield
        finally:
            layer_class.__call__ = original  # type: ignore[method-assign]
            self._stack.clear()

    def before(self, layer: keras.Layer, tensors: list[Any]) -> None:
        parent = self._stack[-1].index if self._stack else None
        if self._stack:
            self._stack[-1].called_a_module = True
        if parent is None and self.trace.root < 0:
            # The model itself: what it receives are the inputs (perhaps converted copies).
            for tensor, original in zip(tensors, self._inputs, strict=False):
                self._producers[id(tensor)] = (tensor, self._producers[id(original)][1])
        call = self.trace.add(
            Call(
                index=len(self.trace.calls),
                kind="module",
                name=self._name_of(layer, parent),
                type_name=type(layer).__name__,
                type_path=_type_path(type(layer)),
                parent=parent,
                sources=self._sources(tensors),
                input_shapes=[_shape(tensor) for tensor in tensors],
            )
        )
        if parent is None and self.trace.root < 0:
            self.trace.root = call.index
        self._stack.append(OpenCall(call.index, layer))

    def after(self, layer: keras.Layer, outputs: list[Any]) -> None:
        closed = self._stack.pop()
        index = closed.index
        call = self.trace.calls[index]
        call.output_shapes = [_shape(tensor) for tensor in outputs]
        call.trainable = _count(layer.trainable_weights)
        call.non_trainable = _count(layer.non_trainable_weights)
        if not closed.called_a_module:  # a leaf: what it returns comes from it
            for tensor in outputs:
                self._producers[id(tensor)] = (tensor, index)

    def _name_of(self, layer: keras.Layer, parent: int | None) -> str:
        """The attribute path (``encoder.dense``) where there is one, else the layer's name."""
        if parent is None:
            return layer.name
        name = _attribute_name(self._stack[-1].owner, layer) or layer.name
        owner = self.trace.calls[parent].name if parent != self.trace.root else ""
        return f"{owner}.{name}" if owner else name

    def _sources(self, tensors: list[Any]) -> list[tuple[int, Shape]]:
        sources = []
        for tensor in tensors:
            produced = self._producers.get(id(tensor))
            if produced is not None and produced[0] is tensor:
                sources.append((produced[1], _shape(tensor)))
            elif (guess := self._latest_with_shape(_shape(tensor))) is not None:
                sources.append((guess, _shape(tensor)))
        return sources

    def _latest_with_shape(self, shape: Shape) -> int | None:
        """The latest finished leaf layer (or input) that returned a tensor of ``shape``."""
        open_calls = {entry.index for entry in self._stack}
        for call in reversed(self.trace.calls):
            if call.index in open_calls or call.kind == "output":
                continue
            if call.kind == "module" and call.children:
                continue
            if shape in call.output_shapes:
                return call.index
        return None

    def add_output(self, tensors: list[Any]) -> None:
        self.trace.add(
            Call(
                len(self.trace.calls),
                "output",
                "output",
                sources=self._sources(tensors),
                input_shapes=[_shape(tensor) for tensor in tensors],
            )
        )
