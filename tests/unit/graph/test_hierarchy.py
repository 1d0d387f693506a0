"""The explorable hierarchy without a framework: states, their DOT, the first sight."""

from __future__ import annotations

import json

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
    assert data["font"] == "Helvetica,Arial,sans-serif"


def test_a_depth_opens_every_group_above_it_even_a_layers_own() -> None:
    tree = stages(blocks=2, ops=3)
    assert first_sight(tree, depth=9) == list(range(len(tree.groups)))
