"""Scoped op graphs (torch.export programs, ONNX files) become the trace a live tracer records:
built by hand here, with no framework."""

from __future__ import annotations

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.graph.scoped import Op, Parameter, Scope, ScopedGraph, to_trace

LINEAR = "torch.nn.modules.linear.Linear"
BLOCK = "models.Block"


def _block(number: int, source: str) -> list[Op]:
    """``blocks.N``: a Linear (``blocks.N.fc``) then a relu run by the block's own code."""
    block = Scope(f"blocks.{number}", f"blocks.{number}", BLOCK)
    fc = Scope(f"blocks.{number}.fc", f"blocks.{number}.fc", LINEAR)
    return [
        Op("transpose", (block, fc), (f"w{number}",), (f"wt{number}",)),
        Op("addmm", (block, fc), (f"b{number}", source, f"wt{number}"), (f"fc{number}",)),
        Op("relu", (block,), (f"fc{number}",), (f"relu{number}",)),
    ]


def _chain(blocks: int) -> ScopedGraph:
    ops: list[Op] = []
    source = "x"
    for number in range(blocks):
        ops += _block(number, source)
        source = f"relu{number}"
    ops.append(Op("add", (), (source, "x"), ("sum",)))
    parameters = {}
    for number in range(blocks):
        parameters[f"w{number}"] = Parameter(64)
        parameters[f"b{number}"] = Parameter(8)
    shapes = {name: (1, 8) for op in ops for name in op.outputs} | {"x": (1, 8)}
    return ScopedGraph("Chain", ["x"], ["sum"], ops, shapes, parameters, "models.Chain")


def test_scopes_become_module_calls_and_leaves_hide_their_ops() -> None:
    trace = to_trace(_chain(2))
    modules = [call.name for call in trace.calls if call.kind == "module"]
    assert modules == ["Chain", "blocks.0", "blocks.0.fc", "blocks.1", "blocks.1.fc"]
    fc = next(call for call in trace.calls if call.name == "blocks.0.fc")
    assert (fc.type_name, fc.trainable, fc.children) == ("Linear", 72, [])
    block = next(call for call in trace.calls if call.name == "blocks.1")
    assert [trace.calls[child].name for child in block.children] == ["blocks.1.fc", "relu"]
    # The second block's Linear reads the first block's relu; its input crosses into blocks.1.
    first_block = next(call for call in trace.calls if call.name == "blocks.0")
    relu = next(
        call for call in trace.calls if call.parent == first_block.index and call.name == "relu"
    )
    second_fc = next(call for call in trace.calls if call.name == "blocks.1.fc")
    assert [source for source, _ in second_fc.sources] == [relu.index]
    assert block.input_shapes == [(1, 8)] and block.output_shapes == [(1, 8)]
    assert (trace.trainable, trace.calls[trace.root].trainable) == (144, 144)


def test_values_from_parameters_alone_are_not_drawn() -> None:
    dot, summary, _ = graph.draw(to_trace(_chain(1)), 3, True, "TB", "Chain")
    assert "transpose" not in dot
    assert "addmm" not in dot  # inside the leaf blocks.0.fc
    assert "label=<<B>blocks.0.fc</B><BR/>Linear" in dot
    assert [row.name for row in summary.rows] == ["blocks.0", "blocks.0.fc"]
    assert summary.trainable == 72


def test_identical_scoped_blocks_fold() -> None:
    dot, _, _ = graph.draw(to_trace(_chain(32)), 1, True, "TB", "Chain")
    assert "blocks.0–31" in dot
    assert "Block × 32" in dot
    assert dot.count("->") == 4  # x → blocks × 32 → add → output, and x → add


def test_two_calls_of_one_module_stay_two_calls() -> None:
    relu = "torch.nn.modules.activation.ReLU"
    ops = [
        Op("relu", (Scope("act", "act", relu),), ("x",), ("a",)),
        Op("neg", (), ("a",), ("b",)),
        Op("relu", (Scope("act@1", "act", relu),), ("b",), ("c",)),
    ]
    trace = to_trace(ScopedGraph("Twice", ["x"], ["c"], ops))
    assert [call.name for call in trace.calls if call.kind == "module"] == ["Twice", "act", "act"]
