"""PyTorch backend: torchviz's autograd graph of the model's output. The only module that
imports torch and torchviz."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torchviz import make_dot

from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest, ExampleInput


def reset() -> None:
    torch.manual_seed(0)


def is_model(obj: Any) -> bool:
    return isinstance(obj, torch.nn.Module)


def draw(model: torch.nn.Module, request: CaptureRequest) -> str:
    inputs = example_inputs(model, request)
    try:
        output = model(*inputs)
    except Exception as exc:
        raise ArchvizError(
            "forward",
            f"running the model on input {_describe(inputs)} raised "
            f"{describe_exception(exc, request.search_paths)}; check :input-shape: "
            "and :input-dtype:",
        ) from None
    tensors = tuple(_tensors_in(output))
    if not tensors:
        raise ArchvizError(
            "forward",
            f"the model returned {type(output).__name__}, which holds no tensor to draw the "
            "graph from",
        )
    graph = make_dot(
        tensors if len(tensors) > 1 else tensors[0],
        params=dict(model.named_parameters()),
        show_attrs=request.show_attrs,
        show_saved=request.show_saved,
    )
    if request.rankdir != "TB":  # Graphviz's default; leaving it out keeps torchviz's DOT as is
        graph.graph_attr["rankdir"] = request.rankdir
    return graph.source


def example_inputs(model: torch.nn.Module, request: CaptureRequest) -> tuple[torch.Tensor, ...]:
    if request.inputs:
        return tuple(_dummy_tensor(spec) for spec in request.inputs)
    own = getattr(model, "example_input_array", None)
    if isinstance(own, torch.Tensor):
        return (own,)
    if isinstance(own, tuple | list) and all(isinstance(t, torch.Tensor) for t in own):
        return tuple(own)
    raise ArchvizError(
        "input",
        "PyTorch models need :input-shape: (for example :input-shape: 1, 3, 224, 224) "
        "unless they have an example_input_array attribute",
    )


def _dummy_tensor(spec: ExampleInput) -> torch.Tensor:
    dtype = getattr(torch, spec.dtype)
    if dtype.is_floating_point:
        return torch.randn(spec.shape, dtype=dtype)
    return torch.zeros(spec.shape, dtype=dtype)


def _tensors_in(output: Any) -> Iterator[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        yield output
    elif isinstance(output, dict):
        for value in output.values():
            yield from _tensors_in(value)
    elif isinstance(output, tuple | list):
        for value in output:
            yield from _tensors_in(value)


def _describe(inputs: tuple[torch.Tensor, ...]) -> str:
    return "; ".join(
        f"({', '.join(map(str, t.shape))}) {str(t.dtype).removeprefix('torch.')}" for t in inputs
    )
