"""What the graph core draws of a forward pass that stopped: what ran, the call it stopped in
marked at every depth, and nothing of what never ran. Hand-written traces, no framework."""

from __future__ import annotations

import re

from sphinx_archviz.capture.graph import ERROR_LIMIT, draw_partial
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.request import CaptureRequest
from tests.unit.graph.traces import HandTracer

ERROR = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x16 and 32x16)"


def stopped_in_block_3() -> Trace:
    """Four blocks; the third's Linear raises, so its call (and the blocks') never returns."""
    tracer = HandTracer()
    x = tracer.input(1, 16)
    tracer.open_module_call(type("Net", (), {})(), "Net", "models.Net", [x])
    for number in range(2):
        with tracer.container(f"blocks.{number}", "Block", x) as block:
            x = tracer.leaf(f"blocks.{number}.linear", "Linear", x, params=272)
            block.append(x)
    tracer.open_module_call(type("Block", (), {})(), "blocks.2", "models.Block", [x])
    tracer.open_module_call(type("Linear", (), {})(), "blocks.2.linear", "torch.nn.Linear", [x])
    tracer.stopped()
    tracer.trace.error = ERROR
    return tracer.trace


def request(depth: int) -> CaptureRequest:
    return CaptureRequest("models:Net", "torch", view="modules", depth=depth)


def failed_nodes(dot: str) -> list[str]:
    """The names of the nodes and clusters marked failed."""
    node_or_cluster = r'(?:node\d+|subgraph "cluster_\d+" \{\n\s*graph)'
    return re.findall(rf"{node_or_cluster} \[label=<(?:<B>)?([\w.]+)[^\n]*archviz-failed", dot)


def test_the_call_it_stopped_in_is_marked_with_the_error() -> None:
    drawing = draw_partial(stopped_in_block_3(), request(depth=2), "Net")
    assert drawing is not None
    assert drawing.stopped_at == "blocks.2.linear"
    assert failed_nodes(drawing.dot) == ["blocks.2.linear"]
    assert f"stopped here: {ERROR}" in drawing.dot
    assert "<B>output</B>" not in drawing.dot  # the model never returned


def test_at_a_shallower_depth_the_module_around_it_is_marked() -> None:
    drawing = draw_partial(stopped_in_block_3(), request(depth=1), "Net")
    assert drawing is not None
    assert failed_nodes(drawing.dot) == ["blocks.2"]
    assert "blocks.0–1" in drawing.dot  # what ran before folds as usual


def test_a_failed_op_is_drawn_though_its_result_reaches_nothing() -> None:
    tracer = HandTracer()
    x = tracer.input(1, 8)
    tracer.open_module_call(type("Net", (), {})(), "Net", "models.Net", [x])
    y = tracer.leaf("fc", "Linear", x, params=72)
    tracer.trace.failed = tracer.add_function("view", "torch.Tensor.view", [y], []).index
    tracer.stopped()
    drawing = draw_partial(tracer.trace, request(depth=2), "Net")
    assert drawing is not None
    assert drawing.stopped_at == "view"
    assert re.search(r"label=<view<BR/>.*archviz-op archviz-failed", drawing.dot)


def test_a_long_error_is_one_bounded_line() -> None:
    trace = stopped_in_block_3()
    trace.error = "\x1b[1mValueError\x1b[0m: " + "x" * 5000 + "\nsecond line"
    drawing = draw_partial(trace, request(depth=2), "Net")
    assert drawing is not None
    assert len(drawing.error) <= ERROR_LIMIT and "\n" not in drawing.error
    assert drawing.error.startswith("ValueError: xxx") and "characters cut" in drawing.error


def test_a_pass_that_did_not_stop_inside_the_model_draws_nothing() -> None:
    tracer = HandTracer()
    tracer.input(1, 8)
    tracer.stopped()
    assert draw_partial(tracer.trace, request(depth=2), "Net") is None
