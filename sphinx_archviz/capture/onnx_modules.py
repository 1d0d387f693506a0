"""The modules view of an ONNX file: its operators grouped by the module scopes in their names
(see :mod:`.onnx_file`)."""

from __future__ import annotations

from typing import Any

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.scoped import ScopedGraph, to_trace
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary


def draw(
    model: ScopedGraph,
    request: CaptureRequest,
    _device: str,
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
) -> tuple[str, Summary, Hierarchy | None]:
    trace = trace_model(model, request)
    return graph.draw_request(trace, request, model.title, overlay_of, explore=explore)


def trace_model(model: ScopedGraph, _request: CaptureRequest, _device: str = "") -> Trace:
    return to_trace(model)


def draw_partial(_model: Any, _request: CaptureRequest, _device: str) -> PartialDrawing | None:
    return None  # a file is read whole or not at all
