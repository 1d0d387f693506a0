"""The modules view of a Flax NNX model: the jaxpr of one call, grouped by the module calls
its equations ran in (see :mod:`sphinx_archviz.capture.flax`)."""

from __future__ import annotations

from flax import nnx

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.flax import scoped_graph
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.scoped import to_trace
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary


def draw(
    model: nnx.Module,
    request: CaptureRequest,
    device: str,
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
) -> tuple[str, Summary, Hierarchy | None]:
    trace = trace_model(model, request, device)
    title = type(model).__name__
    return graph.draw_request(trace, request, title, overlay_of, explore=explore)


def trace_model(model: nnx.Module, request: CaptureRequest, _device: str) -> Trace:
    return to_trace(scoped_graph(model, request))


def draw_partial(
    _model: nnx.Module, _request: CaptureRequest, _device: str
) -> PartialDrawing | None:
    """Nothing: a call that fails while JAX traces it leaves no equations behind."""
    return None
