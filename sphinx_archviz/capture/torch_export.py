"""``torch.export`` programs as a scoped graph: each node's ``nn_module_stack`` names the module
calls it ran in, so an exported program draws in the modules view like a live model."""

from __future__ import annotations

import operator
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind

from sphinx_archviz.capture.graph.scoped import Op, Parameter, Scope, ScopedGraph, to_trace
from sphinx_archviz.capture.graph.trace import Trace, tensor_shape
from sphinx_archviz.capture.torch import prepare
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest

_COUNTED = {InputKind.PARAMETER}
_NOT_COUNTED = {InputKind.BUFFER, InputKind.CONSTANT_TENSOR, InputKind.CUSTOM_OBJ, InputKind.TOKEN}


def trace_program(
    model: torch.nn.Module | ExportedProgram, request: CaptureRequest, device: str
) -> Trace:
    """The modules view's trace of an exported program, or of the program ``torch.export``
    makes of ``model`` on its example input."""
    if isinstance(model, ExportedProgram):
        program, title = model, type(model.module()).__name__
    else:
        model, inputs, _ = prepare(model, request, device)
        program, title = export(model, inputs, request), type(model).__name__
    return to_trace(scoped_graph(program, title))


def export(
    model: torch.nn.Module, inputs: tuple[Any, ...], request: CaptureRequest
) -> ExportedProgram:
    try:
        return torch.export.export(model, inputs, strict=False)
    except Exception as exc:
        raise ArchvizError(
            "export",
            f"torch.export could not export the model: "
            f"{describe_exception(exc, request.search_paths)}; draw it without :export:",
        ) from exc


def scoped_graph(program: ExportedProgram, title: str) -> ScopedGraph:
    state = program.state_dict
    parameters: dict[str, Parameter] = {}
    user_inputs: list[str] = []
    for spec in program.graph_signature.input_specs:
        name = getattr(spec.arg, "name", "")
        if spec.kind == InputKind.USER_INPUT:
            user_inputs.append(name)
        elif spec.kind in _COUNTED:
            tensor = state.get(spec.target or "")
            trainable = tensor is None or bool(getattr(tensor, "requires_grad", True))
            count = tensor.numel() if tensor is not None else 0
            parameters[name] = Parameter(count, trainable)
        elif spec.kind in _NOT_COUNTED:
            parameters[name] = Parameter(0)
    graph = ScopedGraph(title, user_inputs, [], [], parameters=parameters)
    aliases: dict[str, str] = {}
    for node in program.graph.nodes:
        value = node.meta.get("val")
        if hasattr(value, "shape"):
            graph.shapes[node.name] = tensor_shape(value)
        if node.op == "call_function":
            _add_node(graph, node, aliases)
        elif node.op == "output":
            graph.outputs = [
                aliases.get(item.name, item.name)
                for item in _flat(node.args)
                if hasattr(item, "name")
            ]
    return graph


def _add_node(graph: ScopedGraph, node: Any, aliases: dict[str, str]) -> None:
    inputs = tuple(aliases.get(item.name, item.name) for item in node.all_input_nodes)
    if node.target is operator.getitem:  # one output of an op that returns several
        aliases[node.name] = inputs[0]
        if inputs[0] in graph.shapes and node.name in graph.shapes:
            graph.shapes[inputs[0]] = graph.shapes[node.name]
        return
    name = _op_name(node.target)
    graph.ops.append(
        Op(
            type_name=name,
            scopes=_scopes(node.meta.get("nn_module_stack") or {}),
            inputs=inputs,
            outputs=(node.name,),
            type_path=f"torch.{name}" if hasattr(torch, name) else "",
        )
    )


def _scopes(stack: dict[str, tuple[str, Any]]) -> tuple[Scope, ...]:
    scopes = []
    for key, (path, type_) in stack.items():
        if not path:  # the model's own call
            continue
        type_path = type_ if isinstance(type_, str) else f"{type_.__module__}.{type_.__qualname__}"
        scopes.append(Scope(key, path, type_path))
    return tuple(scopes)


def _op_name(target: Any) -> str:
    """``conv2d`` for ``aten.conv2d.default``; ``relu`` for ``aten.relu_.default``."""
    name = getattr(target, "__name__", str(target)).split(".")[0]
    return name.rstrip("_") or name


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [item for part in value for item in _flat(part)]
    if isinstance(value, dict):
        return [item for part in value.values() for item in _flat(part)]
    return [value]
