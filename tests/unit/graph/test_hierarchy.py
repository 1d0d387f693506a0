"""The explorable hierarchy without a framework: states, their DOT, the first sight."""

from __future__ import annotations

import json
import re

from sphinx_archviz.capture.graph.hierarchy import (
    FIRST_SIGHT_NODES,
    Group,
    Hierarchy,
    Leaf,
    first_sight,
    prune,
    state_dot,
    to_json,
    visible_count,
)
from sphinx_archviz.capture.graph.reduction import (
    DENSE_INPUTS,
    DENSE_NOTE,
    SHARED_NOTE,
    SHARED_OUTPUTS,
    dense_inputs,
    shared_outputs,
)


def stages(blocks: int, ops: int) -> Hierarchy:
    """stem → stage 0, stage 1 → blocks → ops, each op feeding the next."""
    tree = Hierarchy("\tnode [shape=box]")
    previous = tree.add_leaf(Leaf(None, 'label="stem"', "stem"))
    edges = []
    for stage in range(2):
        stage_group = tree.add_group(Group(f"layer{stage}", None, 'label="s"', 'label="s"'))
        for block in range(blocks):
            name = f"layer{stage}.{block}"
            block_group = tree.add_group(Group(name, stage_group, 'label="b"', 'label="b"'))
            for op in range(ops):
                leaf = tree.add_leaf(Leaf(block_group, f'label="op{op}"', f"{name}.op{op}"))
                edges.append((previous, leaf, ""))
                previous = leaf
    tree.edges = edges
    return tree


def test_closed_groups_stand_for_their_leaves_and_edges_inside_vanish() -> None:
    tree = stages(blocks=2, ops=3)
    dot = state_dot(tree, [])
    assert dot.count("->") == 2  # stem → layer0 → layer1
    assert '\tg0 [id="g0" label="s"]' in dot and '\tg3 [id="g3" label="s"]' in dot
    opened = state_dot(tree, [0])
    assert "subgraph cluster_g0 {" in opened
    assert '\t\tg1 [id="g1" label="b"]' in opened and "\tn1 " not in opened


def test_every_group_open_draws_every_leaf_and_edge() -> None:
    tree = stages(blocks=2, ops=3)
    dot = state_dot(tree, range(len(tree.groups)))
    assert dot.count("->") == len(tree.edges) == 12
    assert visible_count(tree, set(range(len(tree.groups)))) == len(tree.leaves) == 13


def test_first_sight_opens_levels_while_the_picture_stays_small() -> None:
    small = stages(blocks=3, ops=4)
    assert first_sight(small) == [0, 4]  # stages open, blocks closed: 1 + 6 nodes
    big = stages(blocks=30, ops=2)
    assert visible_count(big, {0, 31}) > FIRST_SIGHT_NODES
    assert first_sight(big) == []  # 61 blocks would be too many: the two stages, closed
    assert first_sight(big, depth=2) == [0, 31]  # :depth: decides


def test_prune_drops_empty_groups_and_wrappers_of_one_group() -> None:
    tree = Hierarchy("")
    outer = tree.add_group(Group("wrapper", None))
    inner = tree.add_group(Group("inner", outer))
    tree.add_group(Group("empty", None))
    tree.add_leaf(Leaf(inner, 'label="a"'))
    tree.add_leaf(Leaf(inner, 'label="b"'))
    tree.edges = [(0, 1, "")]
    pruned = prune(tree)
    assert [group.name for group in pruned.groups] == ["inner"]
    assert pruned.top == [-1] and pruned.groups[0].children == [0, 1]


def test_the_pages_copy_lists_groups_leaves_and_their_order() -> None:
    tree = stages(blocks=2, ops=2)
    tree.open = first_sight(tree)
    text = to_json(tree)
    data = json.loads(text)
    assert data["groups"][1] == ["layer0.0", 0, 'label="b"', 'label="b"', "", 0]
    assert data["children"][0] == [-2, -3] and data["top"] == [0, -1, -4]
    # The reductions' thresholds and notes, which archviz.js applies as reduction.py does.
    assert data["dense"] == [DENSE_INPUTS, DENSE_NOTE]
    assert data["shared"] == [SHARED_OUTPUTS, SHARED_NOTE]
    assert "font" not in data  # the browser's Graphviz measures text in the page's own fonts


def test_a_depth_opens_every_group_above_it_even_a_layers_own() -> None:
    tree = stages(blocks=2, ops=3)
    assert first_sight(tree, depth=9) == list(range(len(tree.groups)))


def dense_block(layers: int) -> Hierarchy:
    """x → a block of ``layers`` layers, each taking x and every earlier layer's output, and
    a concatenation of all of them (DenseNet's); each layer a group of two ops."""
    tree = Hierarchy("")
    x = tree.add_leaf(Leaf(None, 'label="x"', "x"))
    block = tree.add_group(Group("block", None, 'label="block"', 'label="block"'))
    outputs, edges = [x], []
    for layer in range(layers):
        group = tree.add_group(Group(f"layer{layer}", block, 'label="L"', 'label="L"'))
        conv = tree.add_leaf(Leaf(group, 'label="conv"'))
        relu = tree.add_leaf(Leaf(group, 'label="relu"'))
        edges += [(output, conv, "") for output in outputs] + [(conv, relu, 'label="s"')]
        outputs.append(relu)
    cat = tree.add_leaf(Leaf(block, 'label="cat"'))
    tree.edges = edges + [(output, cat, "") for output in outputs]
    return tree


def arrows(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^\t+(\w+) -> (\w+)", dot, re.MULTILINE)


def test_a_dense_block_is_drawn_as_a_chain_saying_what_it_hides() -> None:
    tree = dense_block(layers=8)
    layers = set(range(1, 9))  # the block open, its layers closed: x → g1 … g8 → cat
    dot = state_dot(tree, {0})
    chain = [(f"g{n}", f"g{n + 1}") for n in range(1, 8)]
    # Layer 2 takes x and layer 1 (one would be hidden): both are drawn.
    assert arrows(dot) == [("n0", "g1"), ("n0", "g2"), *chain, ("g8", "n17")]
    assert '\tg7 -> g8 [xlabel="+ 7 earlier inputs"' in dot
    assert dot.count("earlier inputs, not drawn") == 7  # layers 3 … 8 and the concatenation
    assert '\tg8 -> n17 [xlabel="+ 8 earlier inputs"' in dot
    assert dense_inputs([(a, b) for a, b in [(0, 1), (0, 2), (1, 2)]]) == {}
    # Opened fully, the layers' own edges keep their attributes, and still one edge per input.
    opened = state_dot(tree, {0} | layers)
    assert '\tn1 -> n2 [label="s"]' in opened
    assert len(arrows(opened)) == 8 + 1 + 2 + 6 + 1  # conv → relu; into layers 1, 2, 3 … 8; cat


def test_a_picture_without_dense_connections_is_drawn_whole() -> None:
    """A residual sum (the skip reaches it through the block too), a small dense block (no
    node with :data:`DENSE_INPUTS` inputs that reach it otherwise) and NASNet-like cells keep
    every edge."""
    residual = Hierarchy("")
    for name in ("x", "conv", "relu", "add", "out"):
        residual.add_leaf(Leaf(None, f'label="{name}"'))
    residual.edges = [(0, 1, ""), (1, 2, ""), (2, 3, ""), (0, 3, ""), (3, 4, "")]
    assert len(arrows(state_dot(residual, []))) == 5
    layers = DENSE_INPUTS - 1  # the concatenation takes x and every layer: all but one hidden
    small = state_dot(dense_block(layers), {0})
    assert len(arrows(small)) == sum(range(1, layers + 1)) + layers + 1
    assert "earlier inputs" not in small
    assert "earlier inputs" in state_dot(dense_block(layers + 1), {0})
    nasnet_like = [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3), (1, 3), (0, 4), (3, 4), (2, 4), (1, 4)]
    assert dense_inputs(nasnet_like) == {}  # 4 hidden at most: not dense


def decoder(layers: int) -> Hierarchy:
    """x → layer 0 → … → layer n-1, each layer's attention taking the rotary embedding too."""
    tree = Hierarchy("")
    previous = tree.add_leaf(Leaf(None, 'label="x"'))
    rope = tree.add_leaf(Leaf(None, 'label="rope"'))
    edges = []
    for layer in range(layers):
        group = tree.add_group(Group(f"layers.{layer}", None, 'label="L"', 'label="L"'))
        attention = tree.add_leaf(Leaf(group, 'label="attention"'))
        edges += [(previous, attention, ""), (rope, attention, "")]
        previous = attention
    tree.edges = edges
    return tree


def test_an_output_every_closed_layer_takes_goes_into_the_first_saying_so() -> None:
    tree = decoder(layers=8)
    dot = state_dot(tree, [])
    assert arrows(dot) == [("n0", "g0"), ("n1", "g0"), *((f"g{n}", f"g{n + 1}") for n in range(7))]
    assert '\tn1 -> g0 [xlabel="+ 7 later groups"' in dot
    assert dot.count("later groups, not drawn") == 1
    # An open layer's op keeps its edge; the closed layers before and after it do not.
    opened = state_dot(tree, {3})
    assert ("n1", "n5") in arrows(opened) and ("n1", "g0") in arrows(opened)
    assert sum(start == "n1" for start, _ in arrows(opened)) == 2
    assert "+ 6 later groups" in opened


def test_an_output_few_closed_groups_take_is_drawn_into_each() -> None:
    """Up to :data:`SHARED_OUTPUTS` closed layers after the first, or a residual block's skip,
    keep every edge; the leaves of an open group always do."""
    few = state_dot(decoder(layers=SHARED_OUTPUTS), [])
    assert sum(start == "n1" for start, _ in arrows(few)) == SHARED_OUTPUTS
    assert "later groups" not in few
    assert "later groups" in state_dot(decoder(layers=SHARED_OUTPUTS + 1), [])
    all_open = state_dot(decoder(layers=8), range(8))
    assert sum(start == "n1" for start, _ in arrows(all_open)) == 8
    assert shared_outputs([(0, -1), (-1, -2), (0, -2)]) == {}


def test_a_dense_node_with_two_inputs_drawn_is_noted_once() -> None:
    tree = dense_block(layers=6)
    cat = len(tree.leaves) - 1
    bias = tree.add_leaf(Leaf(None, 'label="bias"'))
    tree.edges.append((bias, cat, ""))  # reaches the concatenation by no other way
    into_cat = [line for line in state_dot(tree, {0}).splitlines() if f"-> n{cat}" in line]
    assert len(into_cat) == 2 and sum("+ 6 earlier inputs" in line for line in into_cat) == 1
