"""ONNX files: the backend and the modules view of the ``onnx`` framework.

A file is read with the ``onnx`` package, never run: operators, initializers as parameters,
shapes from shape inference, and module groups from node-name scopes
(``/encoder/layer.0/attention/MatMul``, as PyTorch's exporter names them) or, where the
exporter recorded them, from the ``pkg.torch.onnx`` scope metadata. The framework's own graph
(``:view: autograd``) is every operator, as Netron draws it; :mod:`.onnx_modules` groups them.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import math
from pathlib import Path
from typing import Any

import onnx
from google.protobuf.message import DecodeError
from onnx import shape_inference

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.graph.explorable import modules_hierarchy
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.scoped import Op, Parameter, Scope, ScopedGraph, to_trace
from sphinx_archviz.capture.graph.trace import Shape
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import CaptureRequest

# The backend: a file has no device, mode or randomness -------------------------------------


def reset() -> None:
    pass


def warm_up() -> None:
    pass


def is_model(obj: Any) -> bool:
    return isinstance(obj, ScopedGraph)


def placement(_device: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def in_mode(_model: Any, _mode: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def is_device_failure(_exc: BaseException | None) -> bool:
    return False


def cheap_on_cpu(_model: Any, _request: CaptureRequest) -> bool:
    return False


def fits_on_cpu(_model: Any) -> bool:
    return True  # its weights' values are made on the CPU either way


def one_box_reason(_model: Any) -> str | None:
    return None


def construct(found: Any, _request: CaptureRequest, _device: str) -> ScopedGraph:
    return read(found)


def draw(model: ScopedGraph, request: CaptureRequest, _device: str) -> tuple[str, Hierarchy]:
    """Every operator, ungrouped; the reader explores them grouped by module scopes."""
    flat = dataclasses.replace(model, ops=[dataclasses.replace(op, scopes=()) for op in model.ops])
    dot = graph.draw(to_trace(flat), 1, False, request.rankdir, model.title, explore=False)[0]
    hierarchy = modules_hierarchy(
        to_trace(model), request.rankdir, fold=request.fold, depth=request.explore_depth
    )
    return dot, hierarchy


# Reading -------------------------------------------------------------------------------------

_SCOPE_NAMES = "pkg.torch.onnx.name_scopes"
_SCOPE_TYPES = "pkg.torch.onnx.class_hierarchy"


def read(path: Path) -> ScopedGraph:
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (OSError, ValueError, DecodeError) as exc:
        raise ArchvizError(
            "file", f"cannot read {path.name} as an ONNX model ({type(exc).__name__}: {exc})"
        ) from None
    # Shapes are a nicety: the graph draws without them.
    with contextlib.suppress(shape_inference.InferenceError):
        model = shape_inference.infer_shapes(model)
    return scoped_graph(model, path.stem)


def scoped_graph(model: onnx.ModelProto, title: str) -> ScopedGraph:
    graph = model.graph
    parameters = {tensor.name: Parameter(math.prod(tensor.dims)) for tensor in graph.initializer}
    inputs = [value.name for value in graph.input if value.name not in parameters]
    scoped = ScopedGraph(
        title=graph.name if graph.name and graph.name not in ("main_graph", "torch_jit") else title,
        inputs=inputs,
        outputs=[value.name for value in graph.output],
        ops=[_op(node) for node in graph.node],
        parameters=parameters,
    )
    for value in [*graph.input, *graph.value_info, *graph.output]:
        shape = _shape(value)
        if shape is not None:
            scoped.shapes[value.name] = shape
    return scoped


def _op(node: onnx.NodeProto) -> Op:
    if node.op_type == "Constant":
        inputs: tuple[str, ...] = ()
    else:
        inputs = tuple(node.input)
    return Op(
        type_name=node.op_type,
        scopes=_scopes(node),
        inputs=inputs,
        outputs=tuple(node.output),
        type_path=f"onnx.{node.domain or 'ai.onnx'}.{node.op_type}",
    )


def _scopes(node: onnx.NodeProto) -> tuple[Scope, ...]:
    metadata = {prop.key: prop.value for prop in node.metadata_props}
    if _SCOPE_NAMES in metadata:
        return _scopes_from_metadata(metadata)
    segments = [segment for segment in node.name.split("/")[1:-1] if segment]
    scopes = []
    path = ""
    for segment in segments:
        # Each segment is either a full path (``layer1.0``) or a name under the last one.
        path = segment if not path or segment.startswith(f"{path}.") else f"{path}.{segment}"
        scopes.append(Scope(key=path, path=path))
    return tuple(scopes)


def _scopes_from_metadata(metadata: dict[str, str]) -> tuple[Scope, ...]:
    names = _string_list(metadata.get(_SCOPE_NAMES, "[]"))
    types = _string_list(metadata.get(_SCOPE_TYPES, "[]"))
    scopes = []
    for position, name in enumerate(names):
        if not name:
            continue
        type_path = types[position] if position < len(types) else ""
        scopes.append(Scope(key=name, path=name, type_path=type_path))
    return tuple(scopes)


def _string_list(text: str) -> list[str]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def _shape(value: onnx.ValueInfoProto) -> Shape | None:
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        return None
    return tuple(
        dim.dim_value if dim.HasField("dim_value") else None
        for dim in value.type.tensor_type.shape.dim
    )
