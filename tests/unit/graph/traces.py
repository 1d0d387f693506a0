"""Traces written by hand, the way the PyTorch and Keras tracers write them (through the
shared :class:`Recorder`), with stand-in tensors that have nothing but a shape: the traces of
the models in tests/models/hand_traced.py (test_module_view.py checks that PyTorch records the
same)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from sphinx_archviz.capture.graph.trace import Recorder, Shape, Trace


class Tensor:
    def __init__(self, *shape: int) -> None:
        self.shape: Shape = shape


class HandTracer(Recorder):
    """``with tracer.model("Net", x) as returned:`` opens the model's call; inside it,
    :meth:`leaf`, :meth:`op` and nested :meth:`container` calls record what ``forward`` does;
    appending to ``returned`` says what the call returns."""

    def __init__(self) -> None:
        super().__init__(Trace([], root=-1, trainable=0, non_trainable=0))
        self.macs = 0

    # Every tensor is float32; a leaf's multiply-accumulates are given (PyTorch's count).

    def macs_so_far(self) -> int:
        return self.macs

    def tensor_bytes(self, tensor: Tensor) -> int:
        return 4 * math.prod(tensor.shape)

    def tensor_dtype(self, _tensor: Tensor) -> str:
        return "float32"

    def input(self, *shape: int, name: str = "x") -> Tensor:
        tensor = Tensor(*shape)
        self.add_input(name, tensor)
        return tensor

    @contextmanager
    def model(self, type_name: str, *inputs: Tensor) -> Iterator[list[Tensor]]:
        with self.container(type_name, type_name, *inputs) as returned:
            yield returned
        self.add_output(returned)
        root = self.trace.calls[self.trace.root]
        self.trace.trainable = root.trainable

    @contextmanager
    def container(self, name: str, type_name: str, *inputs: Tensor) -> Iterator[list[Tensor]]:
        returned: list[Tensor] = []
        self.open_module_call(_module(type_name), name, f"models.{type_name}", list(inputs))
        yield returned
        call, _ = self.close_module_call(returned)
        call.trainable = sum(
            self.trace.calls[child].trainable
            for child in call.children
            if self.trace.calls[child].kind == "module"
        )

    def leaf(
        self, name: str, type_name: str, x: Tensor, *shape: int, params: int = 0, macs: int = 0
    ) -> Tensor:
        """A module that calls no other module (``nn.Linear``), returning a ``shape`` tensor."""
        module_type = f"torch.nn.{type_name}"
        self.open_module_call(_module(type_name), name, module_type, [x], trainable=params)
        result = Tensor(*(shape or x.shape))
        self.macs += macs
        self.close_module_call([result])
        return result

    def op(self, name: str, *inputs: Tensor, shape: Shape | None = None) -> Tensor:
        """A functional op (``add``, ``relu``) run by the enclosing container's own code."""
        result = Tensor(*(inputs[0].shape if shape is None else shape))
        self.add_function(name, f"torch.{name}", list(inputs), [result])
        return result


def _module(type_name: str) -> object:
    """An object whose class is called ``type_name``, as the recorder names calls by class."""
    return type(type_name, (), {})()


# The traces of tests/models/hand_traced.py --------------------------------------------------------


def chain_of_blocks(count: int) -> Trace:
    """``count`` identical blocks (Linear, then ReLU), each feeding the next."""
    tracer = HandTracer()
    x = tracer.input(1, 16)
    with tracer.model("Chain", x) as returned:
        for number in range(count):
            with tracer.container(f"layers.{number}", "Block", x) as block:
                x = tracer.leaf(f"layers.{number}.linear", "Linear", x, params=272, macs=16 * 16)
                x = tracer.leaf(f"layers.{number}.act", "ReLU", x)
                block.append(x)
        returned.append(x)
    return tracer.trace


def residual() -> Trace:
    tracer = HandTracer()
    x = tracer.input(1, 8, 32, 32)
    with tracer.model("Residual", x) as returned:
        y = tracer.leaf("conv", "Conv2d", x, params=584, macs=8 * 32 * 32 * 8 * 3 * 3)
        y = tracer.op("add", x, y)
        returned.append(tracer.leaf("head", "ReLU", y))
    return tracer.trace


def linear_relu_times_4() -> Trace:
    """``for layer in self.layers: x = F.relu(layer(x))`` with four Linear layers."""
    tracer = HandTracer()
    x = tracer.input(1, 32)
    with tracer.model("MLP", x) as returned:
        for number in range(4):
            x = tracer.op(
                "relu", tracer.leaf(f"layers.{number}", "Linear", x, params=1056, macs=32 * 32)
            )
        returned.append(x)
    return tracer.trace


def checked(with_a_sum: bool = True) -> Trace:
    """A check in ``forward`` whose result reaches nothing (``x.sum()``), then a layer."""
    tracer = HandTracer()
    x = tracer.input(1, 16)
    with tracer.model("Checked", x) as returned:
        if with_a_sum:
            tracer.op("sum", x, shape=())
        returned.append(tracer.leaf("fc", "Linear", x, 1, 4, params=68, macs=16 * 4))
    return tracer.trace


def nested() -> Trace:
    """``encoder`` holds two different stages, each holding leaves: three levels deep."""
    tracer = HandTracer()
    x = tracer.input(1, 3, 32, 32)
    with tracer.model("Nested", x) as returned:
        with tracer.container("encoder", "Encoder", x) as encoder:
            with tracer.container("encoder.stem", "Stem", x) as stem:
                x = tracer.leaf(
                    "encoder.stem.conv",
                    "Conv2d",
                    x,
                    1,
                    16,
                    16,
                    16,
                    params=448,
                    macs=16 * 16 * 16 * 3 * 3 * 3,
                )
                x = tracer.leaf("encoder.stem.norm", "BatchNorm2d", x, params=32)
                stem.append(x)
            with tracer.container("encoder.pool", "Pool", x) as pool:
                x = tracer.leaf("encoder.pool.max", "MaxPool2d", x, 1, 16, 8, 8)
                pool.append(x)
            encoder.append(x)
        returned.append(tracer.leaf("head", "Flatten", x, 1, 1024))
    return tracer.trace
