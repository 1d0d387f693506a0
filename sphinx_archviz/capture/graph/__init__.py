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

import re

from sphinx_archviz.capture.graph.dot import to_dot
from sphinx_archviz.capture.graph.grouping import ModuleGraph
from sphinx_archviz.capture.graph.summary import summary
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.request import CaptureRequest, PartialDrawing, Summary


def draw(trace: Trace, depth: int, fold: bool, rankdir: str, title: str) -> tuple[str, Summary]:
    graph = ModuleGraph(trace, depth, fold)
    return to_dot(graph, rankdir, title), summary(graph)


def draw_partial(trace: Trace, request: CaptureRequest, title: str) -> PartialDrawing | None:
    """The part of a failed forward pass that ran, the call it stopped in marked; None if it
    did not stop inside the model."""
    if trace.failed is None or trace.root < 0:
        return None
    trace.error = one_line(trace.error)
    graph = ModuleGraph(trace, request.depth, request.fold)
    stopped_at = trace.calls[trace.failed].name
    return PartialDrawing(to_dot(graph, request.rankdir, title), stopped_at, trace.error)


_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")
#: The most of an error a partial drawing quotes.
ERROR_LIMIT = 300


def one_line(text: str, limit: int = ERROR_LIMIT) -> str:
    """An error for a tooltip or a banner: one line, at most ``limit`` characters."""
    text = " ".join(_TERMINAL_COLOURS.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
