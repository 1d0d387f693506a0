"""The modules view, whatever the framework: a trace of one forward pass (which module called
which, which functional ops ran between them, which output fed which input) becomes the DOT a
person would draw on a whiteboard, and the rows of the summary table.

The package imports no framework, so its parts are tested on traces built by hand:

- :mod:`.trace`: what a tracer (``torch_modules``, ``keras_modules``) records, in call order;
- :mod:`.grouping`: the trace seen at one depth, with repeats folded (:class:`ModuleGraph`);
- :mod:`.dot`: the grouped graph as DOT;
- :mod:`.summary`: the grouped graph as the rows of the summary table.
"""

from __future__ import annotations

from sphinx_archviz.capture.graph.dot import heat_scale, to_dot
from sphinx_archviz.capture.graph.explorable import modules_hierarchy
from sphinx_archviz.capture.graph.grouping import ModuleGraph
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.summary import summary
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.errors import one_plain_line
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary


def draw(
    trace: Trace,
    depth: int,
    fold: bool,
    rankdir: str,
    title: str,
    color_by: str = "",
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
    explore_depth: int | None = None,
) -> tuple[str, Summary, Hierarchy | None]:
    """The modules view at ``depth`` as DOT, its summary rows, and (with ``explore``) the
    hierarchy the reader explores it by, open at first sight to ``explore_depth`` levels (else
    as far as reads well); ``overlay_of`` is asked for an overlay now that the model has run."""
    graph = ModuleGraph(trace, depth, fold)
    overlay = overlay_of() if overlay_of else None
    hierarchy = None
    if explore:
        hierarchy = modules_hierarchy(
            trace,
            rankdir,
            fold=fold,
            scale=heat_scale(graph, color_by, overlay),
            overlay=overlay,
            depth=explore_depth,
        )
    dot = to_dot(graph, rankdir, title, color_by, overlay=overlay)
    return dot, summary(graph, overlay), hierarchy


def draw_request(
    trace: Trace,
    request: CaptureRequest,
    title: str,
    overlay_of: OverlayOf | None = None,
    *,
    explore: bool = True,
) -> tuple[str, Summary, Hierarchy | None]:
    """:func:`draw` as the request asks."""
    return draw(
        trace,
        request.depth,
        request.fold,
        request.rankdir,
        title,
        request.color_by,
        overlay_of,
        explore=explore,
        explore_depth=request.explore_depth,
    )


#: The most of an error a partial drawing quotes (in a tooltip and over the picture).
ERROR_LIMIT = 300


def draw_partial(trace: Trace, request: CaptureRequest, title: str) -> PartialDrawing | None:
    """The part of a failed forward pass that ran, the call it stopped in marked; None if it
    did not stop inside the model."""
    if trace.failed is None or trace.root < 0:
        return None
    trace.error = one_plain_line(trace.error, ERROR_LIMIT)
    graph = ModuleGraph(trace, request.depth, request.fold)
    stopped_at = trace.calls[trace.failed].name
    return PartialDrawing(to_dot(graph, request.rankdir, title), stopped_at, trace.error)
