"""The graph core on traces written by hand: no torch, no Keras, no Sphinx, no Graphviz. What
the modules view draws for a chain of identical blocks, a residual add, a repeated pattern of
calls, a dead-end op, and a model nested three levels deep; golden DOT in golden/*.gv
(``pytest --overwrite`` rewrites them)."""

from __future__ import annotations

import re

import pytest

from sphinx_archviz.capture.graph import draw
from sphinx_archviz.capture.graph.trace import Trace, Weight
from tests.golden import Golden
from tests.unit.graph.traces import (
    HandTracer,
    chain_of_blocks,
    checked,
    linear_relu_times_4,
    nested,
    residual,
)


def dot_of(trace: Trace, depth: int = 1, fold: bool = True) -> str:
    return draw(trace, depth, fold, "TB", trace.calls[trace.root].name)[0]


def node_labels(dot: str) -> list[str]:
    """The bold first line of every node's label (its name), in DOT order."""
    return re.findall(r"^\s*node\d+ \[label=<<B>(.*?)</B>", dot, flags=re.MULTILINE)


def test_a_chain_of_32_identical_blocks_folds_to_one_node_times_32(golden: Golden) -> None:
    dot = dot_of(chain_of_blocks(32))
    assert node_labels(dot) == ["x", "layers.0–31", "output"]
    assert "Block × 32" in dot
    assert "8,704 params, 272 each" in dot  # the tooltip: 32 × 272
    golden("chain-of-32-blocks.gv", dot)


def test_a_folded_block_opened_one_level_deeper_shows_its_insides_once(golden: Golden) -> None:
    dot = dot_of(chain_of_blocks(32), depth=2)
    assert node_labels(dot) == ["x", "layers.0.linear", "layers.0.act", "output"]
    assert "<B>layers.0–31</B>&#160;Block&#160;<B>× 32</B>" in dot  # the cluster around them
    golden("chain-of-32-blocks-depth-2.gv", dot)


def test_without_folding_every_block_is_drawn() -> None:
    labels = node_labels(dot_of(chain_of_blocks(32), fold=False))
    assert labels == ["x", *(f"layers.{number}" for number in range(32)), "output"]


def test_blocks_that_do_not_feed_each_other_are_not_folded() -> None:
    tracer = HandTracer()
    x = tracer.input(1, 16)
    with tracer.model("Branches", x) as returned:
        first = tracer.leaf("left", "Linear", x, params=272)
        second = tracer.leaf("right", "Linear", x, params=272)
        returned.append(tracer.op("add", first, second))
    assert node_labels(dot_of(tracer.trace)) == ["x", "left", "right", "output"]


def test_a_residual_add_takes_the_input_and_the_branch(golden: Golden) -> None:
    dot = dot_of(residual())
    ids = dict(re.findall(r"^\s*(node\d+) \[label=<(?:<B>)?([\w.]+)", dot, flags=re.MULTILINE))
    edges = {(ids[start], ids[end]) for start, end in re.findall(r"(node\d+) -> (node\d+)", dot)}
    assert edges == {
        ("x", "conv"),
        ("x", "add"),
        ("conv", "add"),
        ("add", "head"),
        ("head", "output"),
    }
    golden("residual-add.gv", dot)


def test_a_linear_relu_pattern_repeated_4_times_is_drawn_once_in_a_cluster(golden: Golden) -> None:
    dot = dot_of(linear_relu_times_4())
    assert node_labels(dot) == ["x", "layers.0", "output"]
    assert dot.count("[label=<relu>") == 1
    assert "<B>layers.0–3</B>&#160;Linear → relu&#160;<B>× 4</B>" in dot
    golden("linear-relu-times-4.gv", dot)


def test_a_dead_end_op_is_not_drawn() -> None:
    assert "sum" not in dot_of(checked())
    assert dot_of(checked()) == dot_of(checked(with_a_sum=False))


@pytest.mark.parametrize(
    ("depth", "names"),
    [
        (1, ["x", "encoder", "head", "output"]),
        (2, ["x", "encoder.stem", "encoder.pool", "head", "output"]),
        (3, ["x", "encoder.stem.conv", "encoder.stem.norm", "encoder.pool.max", "head", "output"]),
        (9, ["x", "encoder.stem.conv", "encoder.stem.norm", "encoder.pool.max", "head", "output"]),
    ],
)
def test_depth_decides_which_modules_are_nodes(
    depth: int, names: list[str], golden: Golden
) -> None:
    dot = dot_of(nested(), depth=depth)
    assert node_labels(dot) == names
    assert dot.count("subgraph") == {1: 0, 2: 1, 3: 3, 9: 3}[depth]
    if depth <= 3:
        golden(f"nested-depth-{depth}.gv", dot)


def test_a_module_drawn_as_one_node_counts_the_parameters_inside_it() -> None:
    dot = dot_of(nested(), depth=1)
    assert "480 params" in dot  # encoder: 448 + 32


def test_the_summary_has_a_row_per_module_drawn_with_its_insides_counted() -> None:
    _, table, _ = draw(nested(), 2, True, "TB", "Nested")
    rows = [(row.name, row.type, row.output_shape, row.trainable, row.level) for row in table.rows]
    assert rows == [
        ("encoder", "Encoder", "1×16×8×8", 480, 0),
        ("encoder.stem", "Stem", "1×16×16×16", 480, 1),
        ("encoder.pool", "Pool", "1×16×8×8", 0, 1),
        ("head", "Flatten", "1×1024", 0, 0),
    ]
    assert table.trainable == 480
    _, folded, _ = draw(chain_of_blocks(32), 1, True, "TB", "Chain")
    assert [(row.name, row.type, row.trainable) for row in folded.rows] == [
        ("layers.0–31", "Block × 32", 8704)
    ]


def test_weights_a_module_holds_itself_get_rows_so_each_level_adds_up() -> None:
    trace = chain_of_blocks(4)
    for call in trace.calls:
        if call.type_name == "Block":  # each block holds a gain of its own
            call.weights = [Weight("gain", "Parameter", (16,), True)]
            call.trainable += 16
    root = trace.calls[trace.root]
    root.weights = [Weight("position", "Parameter", (1, 16), True)]
    root.trainable = trace.trainable = 4 * (272 + 16) + 16
    _, table, _ = draw(trace, 2, True, "TB", "Chain")
    rows = [(row.name, row.type, row.output_shape, row.trainable, row.level) for row in table.rows]
    assert rows == [
        ("position", "Parameter", "1×16", 16, 0),
        ("layers.0–3", "Block × 4", "1×16", 1152, 0),
        ("layers.0.gain", "Parameter", "16", 16, 1),  # inside a folded run: its first block
        ("layers.0.linear", "Linear", "1×16", 272, 1),
        ("layers.0.act", "ReLU", "1×16", 0, 1),
    ]
    assert sum(row.trainable for row in table.rows if row.level == 0) == table.trainable
    assert sum(row.trainable for row in table.rows if row.level == 1) == 1152 / 4
