"""Multiply-accumulates of a Keras layer call, from the layer's weights and the call's shapes.

Keras has no counter like PyTorch's ``FlopCounterMode``, so the layers that do the arithmetic
count it by formula: convolutions (plain, transposed, depthwise, separable), dense and
einsum-dense layers, attention and recurrent layers. Like PyTorch's counter, element-wise work
(activations, normalisation, pooling, additions) counts zero. A layer that calls other layers
counts only its own work here; the tracer adds its sublayers' counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import keras

from sphinx_archviz.capture.graph.trace import Shape


def layer_macs(layer: keras.Layer, inputs: list[Shape], outputs: list[Shape]) -> int:
    """The layer's own multiply-accumulates for one call on ``inputs`` returning ``outputs``."""
    if not inputs or not outputs:
        return 0
    for layer_type, formula in _FORMULAS:
        if isinstance(layer, layer_type):
            return formula(layer, inputs, outputs)
    return 0


def _size(shape: Shape) -> int:
    return math.prod(1 if size is None else size for size in shape)


def _kernel(layer: keras.Layer, name: str = "kernel") -> Shape:
    return tuple(int(size) for size in getattr(layer, name).shape)


def _conv(layer: keras.Layer, _inputs: list[Shape], outputs: list[Shape]) -> int:
    # kernel: (*window, input channels per group, output channels)
    return _size(outputs[0]) * math.prod(_kernel(layer)[:-1])


def _conv_transpose(layer: keras.Layer, inputs: list[Shape], _outputs: list[Shape]) -> int:
    # kernel: (*window, output channels, input channels); each input value is spread.
    kernel = _kernel(layer)
    return _size(inputs[0]) * math.prod(kernel[:-1])


def _depthwise(layer: keras.Layer, _inputs: list[Shape], outputs: list[Shape]) -> int:
    # kernel: (*window, input channels, depth multiplier): one window per output value.
    return _size(outputs[0]) * math.prod(_kernel(layer)[:-2])


def _separable(layer: keras.Layer, _inputs: list[Shape], outputs: list[Shape]) -> int:
    depthwise = _kernel(layer, "depthwise_kernel")  # (*window, in, multiplier)
    pointwise = _kernel(layer, "pointwise_kernel")  # (*1, in × multiplier, out)
    positions = _size(outputs[0]) // pointwise[-1]
    middle = pointwise[-2]
    return positions * middle * math.prod(depthwise[:-2]) + positions * middle * pointwise[-1]


def _dense(layer: keras.Layer, _inputs: list[Shape], outputs: list[Shape]) -> int:
    return _size(outputs[0]) * _kernel(layer)[0]


def _einsum_dense(layer: keras.Layer, inputs: list[Shape], _outputs: list[Shape]) -> int:
    """One multiply-accumulate per combination of the equation's letters."""
    match = re.fullmatch(r"(\w+),(\w+)->(\w+)", layer.equation.replace(" ", ""))
    if match is None or "." in layer.equation:
        return 0
    sizes: dict[str, int] = {}
    for letters, shape in ((match[1], inputs[0]), (match[2], _kernel(layer))):
        for letter, size in zip(letters, shape, strict=False):
            sizes[letter] = 1 if size is None else size
    return math.prod(sizes.values())


def _attention(layer: keras.Layer, inputs: list[Shape], _outputs: list[Shape]) -> int:
    """Scores and weighted values (the projections are sublayers, counted as such)."""
    query, value = inputs[0], inputs[1] if len(inputs) > 1 else inputs[0]
    batch = _size(query[:-2])
    heads = layer.num_heads
    key_dim = layer.key_dim
    value_dim = layer.value_dim or key_dim
    return batch * heads * _size(query[-2:-1]) * _size(value[-2:-1]) * (key_dim + value_dim)


def _recurrent(gates: int) -> Callable[[keras.Layer, list[Shape], list[Shape]], int]:
    def formula(layer: keras.Layer, inputs: list[Shape], _outputs: list[Shape]) -> int:
        *batch, steps, features = inputs[0]
        units = layer.units
        return _size(tuple(batch)) * (steps or 1) * gates * units * ((features or 0) + units)

    return formula


_FORMULAS: tuple[tuple[type, Callable[[keras.Layer, list[Shape], list[Shape]], int]], ...] = (
    (keras.layers.SeparableConv1D, _separable),
    (keras.layers.SeparableConv2D, _separable),
    (keras.layers.DepthwiseConv1D, _depthwise),
    (keras.layers.DepthwiseConv2D, _depthwise),
    (keras.layers.Conv1DTranspose, _conv_transpose),
    (keras.layers.Conv2DTranspose, _conv_transpose),
    (keras.layers.Conv3DTranspose, _conv_transpose),
    (keras.layers.Conv1D, _conv),
    (keras.layers.Conv2D, _conv),
    (keras.layers.Conv3D, _conv),
    (keras.layers.Dense, _dense),
    (keras.layers.EinsumDense, _einsum_dense),
    (keras.layers.MultiHeadAttention, _attention),
    (keras.layers.LSTM, _recurrent(4)),
    (keras.layers.GRU, _recurrent(3)),
    (keras.layers.SimpleRNN, _recurrent(1)),
)
