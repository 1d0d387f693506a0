"""The modules view as a hierarchy, on traces written by hand: which groups there are, what is
inside them, what the first sight opens, and that opening everything gives every atom."""

from __future__ import annotations

import re

import pytest

from sphinx_archviz.capture.graph import heatmap
from sphinx_archviz.capture.graph.dot import shapes_line
from sphinx_archviz.capture.graph.explorable import (
    PictureNode,
    modules_hierarchy,
    picture_hierarchy,
)
from sphinx_archviz.capture.graph.grouping import ModuleGraph
from sphinx_archviz.capture.graph.hierarchy import (
    FIRST_SIGHT_NODES,
    Hierarchy,
    state_dot,
    visible_count,
)
from sphinx_archviz.capture.graph.trace import Trace
from tests.unit.graph.traces import HandTracer, chain_of_blocks, nested, residual


def group_names(hierarchy: Hierarchy) -> list[str]:
    return [group.name for group in hierarchy.groups]


def names_inside(hierarchy: Hierarchy, name: str) -> list[str]:
    """The names of what a group holds, in drawing order (a leaf by its search text's first
    word)."""
    group = group_names(hierarchy).index(name)
    return [
        hierarchy.leaves[item].text.split(" ")[0] if item >= 0 else hierarchy.groups[-1 - item].name
        for item in hierarchy.groups[group].children
    ]


def everything_open(hierarchy: Hierarchy) -> str:
    return state_dot(hierarchy, range(len(hierarchy.groups)))


def test_module_calls_are_groups_and_every_atom_is_a_leaf() -> None:
    trace = nested()
    hierarchy = modules_hierarchy(trace, "TB")
    assert group_names(hierarchy) == ["encoder", "encoder.stem", "encoder.pool"]
    assert names_inside(hierarchy, "encoder.stem") == ["encoder.stem.conv", "encoder.stem.norm"]
    # encoder.pool holds one module, which is kept: it is the group's only content, not a group.
    assert names_inside(hierarchy, "encoder.pool") == ["encoder.pool.max"]
    leaves = [leaf.text.split(" ")[0] for leaf in hierarchy.leaves]
    assert leaves == [
        "x",
        "encoder.stem.conv",
        "encoder.stem.norm",
        "encoder.pool.max",
        "head",
        "output",
    ]
    # Opened everywhere, the picture has the full-depth modules view's nodes and edges.
    whole = ModuleGraph(trace, 10, fold=False)
    dot = everything_open(hierarchy)
    assert len(re.findall(r"^\s*n\d+ \[", dot, re.MULTILINE)) == len(whole.nodes())
    assert len(re.findall(r" -> ", dot)) == len(whole.edges())


def test_shapes_are_drawn_in_the_node_that_passes_them_on_not_on_edges() -> None:
    """An edge label is a node of its own to dot (states with them took seconds to lay out):
    the shapes end the label of the node or closed group they leave, edges are bare."""
    hierarchy = modules_hierarchy(nested(), "TB")
    assert all(attributes == "" for _, _, attributes in hierarchy.edges)
    labels = {leaf.text.split(" ")[0]: leaf.attributes for leaf in hierarchy.leaves}
    assert "→ 1×16×16×16" in labels["encoder.stem.conv"]
    assert "→ 1×16×8×8" in labels["encoder.pool.max"]
    assert "→ 1×1024" in labels["head"]
    # The input's label has its shape already; the output passes nothing on.
    assert "→" not in labels["x"] and "→" not in labels["output"]
    # A closed group: the shapes of what leaves it, not of what passes inside it.
    stem = hierarchy.groups[group_names(hierarchy).index("encoder.stem")]
    assert "→ 1×16×16×16" in stem.node and "→ 1×3×32×32" not in stem.node
    closed = state_dot(hierarchy, [])
    assert re.search(r'^\tg0 \[id="g0" label=<.*→ 1×16×8×8', closed, re.MULTILINE)
    edges = [line for line in closed.splitlines() if " -> " in line]
    assert edges and all(line.strip().count(" ") == 2 for line in edges)  # "g0 -> n4", bare


def test_a_node_lists_the_distinct_shapes_it_passes_on_three_at_most() -> None:
    assert shapes_line([(1, 16, 128), (1, 16, 128)]) == "→ 1×16×128"  # cos and sin
    assert shapes_line([(1, n) for n in range(5)]) == "→ 1×0, 1×1, 1×2, …"
    assert shapes_line([()]) == "→ scalar"


def test_a_folded_run_is_a_group_of_its_members_closed_at_first_sight() -> None:
    hierarchy = modules_hierarchy(chain_of_blocks(32), "TB")
    assert group_names(hierarchy)[0] == "layers.0–31"
    fold = hierarchy.groups[0]
    assert fold.folded and fold.repeats == 32
    assert names_inside(hierarchy, "layers.0–31") == [f"layers.{n}" for n in range(32)]
    assert names_inside(hierarchy, "layers.7") == ["layers.7.linear", "layers.7.act"]
    assert "× 32" in fold.node and "32 structurally identical repeats" in fold.cluster
    # First sight: the input, the fold, the output; the reader opens the fold to step through.
    assert hierarchy.open == []
    assert visible_count(hierarchy, set()) == 3
    assert len(hierarchy.leaves) == 2 + 32 * 2


def test_without_folding_the_blocks_are_siblings() -> None:
    hierarchy = modules_hierarchy(chain_of_blocks(4), "TB", fold=False)
    assert group_names(hierarchy) == [f"layers.{n}" for n in range(4)]
    assert not any(group.folded for group in hierarchy.groups)


def test_a_small_model_opens_fully_and_explicit_depth_is_obeyed() -> None:
    hierarchy = modules_hierarchy(nested(), "TB")
    assert sorted(group_names(hierarchy)[group] for group in hierarchy.open) == [
        "encoder",
        "encoder.pool",
        "encoder.stem",
    ]
    one_level = modules_hierarchy(nested(), "TB", depth=2)
    assert [one_level.groups[group].name for group in one_level.open] == ["encoder"]


def flat(names_and_types: list[tuple[str, str]]) -> Trace:
    """A Keras-like flat model: every layer a leaf of the model, each feeding the next, each
    different (nothing folds)."""
    tracer = HandTracer()
    x = tracer.input(1, 8)
    with tracer.model("Functional", x) as returned:
        for number, (name, type_name) in enumerate(names_and_types):
            x = tracer.leaf(name, type_name, x, params=number + 1)
        returned.append(x)
    return tracer.trace


def test_a_flat_model_is_grouped_by_the_scopes_of_its_layer_names() -> None:
    layers = [("conv1_conv", "Conv2D"), ("conv1_bn", "BatchNormalization")]
    for block in (1, 2):
        for step in (1, 2):
            prefix = f"conv2_block{block}_{step}"
            layers += [(f"{prefix}_conv", "Conv2D"), (f"{prefix}_bn", "BatchNormalization")]
        layers.append((f"conv2_block{block}_out", "Activation"))
    layers += [
        ("dense", "Dense"),
        ("dense_1", "Dense"),
        ("batch_normalization_3", "BatchNormalization"),
    ]
    layers += [("batch_normalization_4", "BatchNormalization")]
    hierarchy = modules_hierarchy(flat(layers), "TB")
    names = group_names(hierarchy)
    assert names == [
        "conv1",
        "conv2",
        "conv2_block1",
        "conv2_block1_1",
        "conv2_block1_2",
        "conv2_block2",
        "conv2_block2_1",
        "conv2_block2_2",
    ]
    assert names_inside(hierarchy, "conv2_block1") == [
        "conv2_block1_1",
        "conv2_block1_2",
        "conv2_block1_out",
    ]
    # Keras numbering the second dense layer, and type-made names, are no scopes.
    top = [hierarchy.leaves[item].text.split(" ")[0] for item in hierarchy.top if item >= 0]
    assert top == [
        "x",
        "dense",
        "dense_1",
        "batch_normalization_3",
        "batch_normalization_4",
        "output",
    ]
    # A scope's closed node counts the parameters inside it.
    conv2 = hierarchy.groups[names.index("conv2")]
    assert f"{sum(range(3, 13))} params" in conv2.node


def test_a_layer_without_a_scope_between_two_runs_of_one_scope_belongs_to_it() -> None:
    """ResNet50V2 calls its shortcut ``max_pooling2d`` between the layers of each stage's last
    block: one ``conv2`` (and one ``conv2_block3``) around it, not two beside it."""
    layers = [("conv1_conv", "Conv2D")]
    for block in (1, 2, 3):
        layers += [
            (f"conv2_block{block}_1_conv", "Conv2D"),
            (f"conv2_block{block}_2_conv", "Conv2D"),
        ]
        if block == 3:
            layers.append(("max_pooling2d", "MaxPooling2D"))
        layers.append((f"conv2_block{block}_out", "Add"))
    layers += [("conv3_block1_1_conv", "Conv2D"), ("conv3_block1_out", "Add")]
    layers += [("flatten", "Flatten"), ("predictions", "Dense")]
    hierarchy = modules_hierarchy(flat(layers), "TB")
    names = group_names(hierarchy)
    assert names.count("conv2") == 1 and names.count("conv2_block3") == 1
    assert names_inside(hierarchy, "conv2_block3") == [
        "conv2_block3_1_conv",
        "conv2_block3_2_conv",
        "max_pooling2d",
        "conv2_block3_out",
    ]
    # Not flanked by one scope: still at the top.
    top = [hierarchy.leaves[item].text.split(" ")[0] for item in hierarchy.top if item >= 0]
    assert top == ["x", "conv1_conv", "flatten", "predictions", "output"]


NORM = "BatchNormalization"


def xception_like(shortcut_first: bool) -> Trace:
    """Blocks of two layers and a pooling, each beside a shortcut (a ``conv2d`` and a
    ``batch_normalization`` without a scope) that an ``add`` joins; the shortcut's layers are
    called before the block's (``shortcut_first``) or, as Keras orders Xception's, the
    ``conv2d`` among them and the ``batch_normalization`` after."""
    tracer = HandTracer()
    x = tracer.input(1, 8)
    with tracer.model("Functional", x) as returned:
        x = tracer.leaf("block1_conv1", "Conv2D", x, params=11)
        x = tracer.leaf("block1_conv2", "Conv2D", x, params=12)
        for block in (2, 3, 4):
            if shortcut_first:
                shortcut = tracer.leaf(f"conv2d_{block}", "Conv2D", x, params=block)
                shortcut = tracer.leaf(f"batch_normalization_{block}", NORM, shortcut)
            main = tracer.leaf(f"block{block}_sepconv", "SeparableConv2D", x, params=block)
            main = tracer.leaf(f"block{block}_bn", NORM, main, params=block)
            if not shortcut_first:
                shortcut = tracer.leaf(f"conv2d_{block}", "Conv2D", x, params=block)
            main = tracer.leaf(f"block{block}_pool", "MaxPooling2D", main)
            if not shortcut_first:
                shortcut = tracer.leaf(f"batch_normalization_{block}", NORM, shortcut)
            x = tracer.op("add", main, shortcut)
        x = tracer.leaf("avg_pool", "GlobalAveragePooling2D", x)
        returned.append(tracer.leaf("predictions", "Dense", x, params=5))
    return tracer.trace


@pytest.mark.parametrize("shortcut_first", [True, False])
def test_layers_without_a_scope_beside_a_block_join_it(shortcut_first: bool) -> None:
    """Xception's shortcut ``conv2d`` and ``batch_normalization`` and the ``add`` joining them
    to ``block2`` are drawn inside ``block2``, not loose between the blocks."""
    hierarchy = modules_hierarchy(xception_like(shortcut_first), "TB")
    assert group_names(hierarchy) == ["block1", "block2", "block3", "block4"]
    inside = [hierarchy.leaves[item].text.split(" ")[0] for item in hierarchy.groups[1].children]
    shortcut = ["conv2d_2", "batch_normalization_2"]
    block = ["block2_sepconv", "block2_bn", "block2_pool"]
    if shortcut_first:
        assert inside == [*shortcut, *block, "add"]
    else:
        assert inside == [*block[:2], shortcut[0], block[2], shortcut[1], "add"]
    top = [hierarchy.leaves[item].text.split(" ")[0] for item in hierarchy.top if item >= 0]
    assert top == ["x", "avg_pool", "predictions", "output"]


def test_a_scope_opens_on_its_blocks_with_their_branches() -> None:
    """InceptionResNetV2-like: each ``block35_k`` is preceded by branches without a scope,
    concatenated into its ``conv``; ``block35`` opens on its blocks, each holding its
    branches, not on every layer of them all."""
    tracer = HandTracer()
    x = tracer.input(1, 8)
    with tracer.model("Functional", x) as returned:
        x = tracer.leaf("stem_conv", "Conv2D", x, params=1)
        for block in range(1, 7):
            left = tracer.leaf(f"conv2d_{block}0", "Conv2D", x, params=block * 10)
            right = tracer.leaf(f"conv2d_{block}1", "Conv2D", x, params=block * 10 + 1)
            right = tracer.leaf(f"conv2d_{block}2", "Conv2D", right, params=block * 10 + 2)
            mixed = tracer.op("cat", left, right)
            conv = tracer.leaf(f"block35_{block}_conv", "Conv2D", mixed, params=block * 10 + 3)
            x = tracer.leaf(f"block35_{block}_ac", "Activation", tracer.op("add", x, conv))
        returned.append(tracer.leaf("predictions", "Dense", x, params=5))
    hierarchy = modules_hierarchy(tracer.trace, "TB")
    blocks = [f"block35_{block}" for block in range(1, 7)]
    assert names_inside(hierarchy, "block35") == blocks
    assert names_inside(hierarchy, "block35_2") == [
        "conv2d_20",
        "conv2d_21",
        "conv2d_22",
        "cat",
        "block35_2_conv",
        "add",
        "block35_2_ac",
    ]


def branching(blocks: int) -> Trace:
    """Inception-like: blocks of two branches joined by a concatenation, with layer names
    that share no scope (``conv2d_7``), five calls to a block."""
    tracer = HandTracer()
    x = tracer.input(1, 8)
    number = 0
    with tracer.model("Functional", x) as returned:
        for _ in range(blocks):
            branches = []
            for _ in range(2):
                y = x
                for _ in range(2):
                    y = tracer.leaf(f"conv2d_{number}", "Conv2D", y, params=number + 1)
                    number += 1
                branches.append(y)
            x = tracer.op("cat", *branches, shape=(1, 8))
        returned.append(x)
    return tracer.trace


def test_siblings_too_many_to_read_are_grouped_where_the_branches_join() -> None:
    hierarchy = modules_hierarchy(branching(10), "TB")
    assert group_names(hierarchy)[:2] == ["conv2d_0 … cat", "conv2d_4 … cat"]
    assert names_inside(hierarchy, "conv2d_0 … cat") == [
        "conv2d_0",
        "conv2d_1",
        "conv2d_2",
        "conv2d_3",
        "cat",
    ]
    assert visible_count(hierarchy, set(hierarchy.open)) <= FIRST_SIGHT_NODES


def test_a_very_long_flat_chain_is_cut_into_even_parts() -> None:
    hierarchy = modules_hierarchy(flat([(f"layer{n}", "Dense") for n in range(400)]), "TB")
    assert len(hierarchy.top) <= FIRST_SIGHT_NODES
    assert group_names(hierarchy)[0] == "layer0 … layer19"
    assert len(hierarchy.leaves) == 402


def test_the_heatmap_colours_the_hierarchy_on_the_modules_views_scale() -> None:
    trace = residual()
    scale = heatmap.scale(heatmap.METRICS["macs"], ModuleGraph(trace, 2, True).nodes())
    hierarchy = modules_hierarchy(trace, "TB", scale=scale)
    legend = hierarchy.leaves[-1]
    assert 'class="archviz-legend"' in legend.attributes and "MACs" in legend.attributes
    conv = next(leaf for leaf in hierarchy.leaves if leaf.text.startswith("conv "))
    assert "archviz-heat" in conv.attributes


def test_a_model_that_calls_no_module_is_one_node_between_its_inputs_and_output() -> None:
    tracer = HandTracer()
    x, mask = tracer.input(1, 4), tracer.input(1, 4, name="mask")
    with tracer.model("Masked", x, mask) as returned:
        returned.append(tracer.op("mul", x, mask))
    hierarchy = modules_hierarchy(tracer.trace, "TB")
    assert [leaf.text for leaf in hierarchy.leaves] == ["x", "mask", "Masked", "output"]
    assert hierarchy.groups == []
    assert len(hierarchy.edges) == 3


def test_a_flat_picture_keeps_its_own_nodes_and_edges_gathered_by_name() -> None:
    convs = [f"block{b}_conv{c}" for b in (1, 2, 3, 4) for c in (1, 2, 3)]
    names = ["input_layer", *convs, "head"]
    nodes = [PictureNode(name, "Conv2D", f'label="{name}", shape=record') for name in names]
    edges = [(at, at + 1, "penwidth=2") for at in range(len(nodes) - 1)]
    hierarchy = picture_hierarchy("node [shape=record];", nodes, edges)
    assert group_names(hierarchy) == ["block1", "block2", "block3", "block4"]
    assert names_inside(hierarchy, "block2") == ["block2_conv1", "block2_conv2", "block2_conv3"]
    assert "3 layers" in hierarchy.groups[0].node
    # Opened fully, it is the picture: the same node attributes and edges, in order.
    dot = everything_open(hierarchy)
    leaves = [line for line in dot.splitlines() if re.match(r"\s*n\d+ \[", line)]
    assert [line.split(" [", 1)[1] for line in leaves] == [
        f'id="n{at}" label="{name}", shape=record]' for at, name in enumerate(names)
    ]
    assert dot.count("[penwidth=2]") == len(edges)


def dense_block(layers: int) -> Trace:
    """DenseNet's ``features.denseblock3``: each layer concatenates the block's input and the
    outputs of all the layers before it; the block returns them all concatenated."""
    tracer = HandTracer()
    x = tracer.input(1, 8)
    with tracer.model("DenseNet", x) as returned:
        with tracer.container("features.denseblock3", "_DenseBlock", x) as block:
            features = [x]
            for number in range(1, layers + 1):
                name = f"features.denseblock3.denselayer{number}"
                with tracer.container(name, "_DenseLayer", *features) as layer:
                    joined = tracer.op("cat", *features)
                    layer.append(tracer.leaf(f"{name}.conv", "Conv2d", joined, params=number))
                features.append(layer[0])
            block.append(tracer.op("cat", *features))
        returned.append(block[0])
    return tracer.trace


def test_a_dense_blocks_layers_are_gathered_under_their_run_and_drawn_as_a_chain() -> None:
    """More layers than read at once are gathered under the run of their names, not under
    ``features`` (the scope of the block's own name); opened, they are a chain whose edges say
    how many earlier inputs each layer also takes."""
    hierarchy = modules_hierarchy(dense_block(14), "TB")
    names = group_names(hierarchy)
    assert names[:2] == ["features.denseblock3", "features.denseblock3.denselayer1–14"]
    assert names_inside(hierarchy, "features.denseblock3") == [
        "features.denseblock3.denselayer1–14",
        "cat",
    ]
    dot = state_dot(hierarchy, {0, 1})
    assert "+ 13 earlier inputs" in dot and "+ 14 earlier inputs" in dot  # layer 14, cat
    assert dot.count(" -> ") <= 14 + 4
