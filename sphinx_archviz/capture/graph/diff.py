"""``archviz-diff``: the modules view of a new model with what changed since an old one marked.

Both traces are seen at the same depth without folding, and their nodes are matched by name
(a module's attribute path; the N-th op of a name). A node of the new model is *added* if the
old one has no node of its name, *changed* if its type, shapes or parameters differ; a node only
the old model has is *removed* and drawn dashed beside the new picture, joined to its old
neighbours. The picture is the new model's, folded as usual (a changed block differs from its
neighbours, so it is not folded with them), so the diff is laid out once and no bigger.
"""

from __future__ import annotations

from collections import Counter

from sphinx_archviz.capture.graph.dot import edge_line, removed_node_line, to_dot
from sphinx_archviz.capture.graph.formatting import format_shapes
from sphinx_archviz.capture.graph.grouping import GraphNode, ModuleGraph
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.request import Change

Name = tuple[str, int]


def diff(old: Trace, new: Trace, depth: int, rankdir: str, title: str) -> tuple[str, list[Change]]:
    """The new model's DOT with changes marked, and the table of changes."""
    old_graph, new_graph = ModuleGraph(old, depth, False), ModuleGraph(new, depth, False)
    drawn = ModuleGraph(new, depth, True)
    old_nodes, new_nodes = _by_name(old_graph.nodes()), _by_name(new_graph.nodes())
    marks: dict[int, str] = {}
    changes: list[Change] = []
    for name, node in new_nodes.items():
        before = old_nodes.get(name)
        change = "added" if before is None else "changed" if _looks(before) != _looks(node) else ""
        if change:
            key = _drawn_key(drawn, node.key)
            marks[key] = "changed" if marks.get(key, change) != change else change
            changes.append(_change(change, before, node))
    removed = [node for name, node in old_nodes.items() if name not in new_nodes]
    changes += [_change("removed", node, None) for node in removed]
    dot = to_dot(drawn, rankdir, title, marks=marks)
    lines = _removed_lines(old_graph, old_nodes, drawn, new_nodes, removed)
    return dot.removesuffix("}\n") + "".join(f"{line}\n" for line in lines) + "}\n", changes


def _drawn_key(drawn: ModuleGraph, key: int) -> int:
    """The key of the node that stands for call ``key`` in the folded picture."""
    atoms = drawn.atoms_under(key)
    return drawn.drawn_as(atoms[0]) if atoms else key


def _by_name(nodes: list[GraphNode]) -> dict[Name, GraphNode]:
    seen: Counter[str] = Counter()
    named = {}
    for node in nodes:
        named[(node.name, seen[node.name])] = node
        seen[node.name] += 1
    return named


def _looks(node: GraphNode) -> tuple:
    """What a reader sees change: the type, the shapes in and out, the parameters."""
    shapes = (tuple(node.input_shapes), tuple(node.output_shapes))
    return node.kind, node.type_name, shapes, node.trainable + node.non_trainable


def _change(change: str, old: GraphNode | None, new: GraphNode | None) -> Change:
    either = new or old
    assert either is not None

    def params(node: GraphNode | None) -> int:
        return 0 if node is None else node.trainable + node.non_trainable

    def macs(node: GraphNode | None) -> int:
        return 0 if node is None else node.measure.macs

    def both(text: str | None, other: str | None) -> str:
        return text or "" if text == other or other is None else f"{text or '–'} → {other}"

    return Change(
        change=change,
        name=either.name,
        type=both(old and old.type_name, new and new.type_name),
        shape=both(
            old and format_shapes(old.output_shapes), new and format_shapes(new.output_shapes)
        ),
        params_delta=params(new) - params(old),
        macs_delta=macs(new) - macs(old),
    )


def _removed_lines(
    old_graph: ModuleGraph,
    old_nodes: dict[Name, GraphNode],
    drawn: ModuleGraph,
    new_nodes: dict[Name, GraphNode],
    removed: list[GraphNode],
) -> list[str]:
    """The old model's nodes that are gone, and their old edges to what is still drawn."""
    if not removed:
        return []
    new_ids = {node.key: f"node{number}" for number, node in enumerate(drawn.nodes())}
    name_of = {node.key: name for name, node in old_nodes.items()}
    gone = {node.key: f"removed{number}" for number, node in enumerate(removed)}

    def drawn_id(old_key: int) -> str | None:
        if old_key in gone:
            return gone[old_key]
        kept = new_nodes.get(name_of.get(old_key, ("", -1)))
        return None if kept is None else new_ids.get(_drawn_key(drawn, kept.key))

    lines = [removed_node_line(node, gone[node.key]) for node in removed]
    for start, end, shapes in old_graph.edges():
        if start not in gone and end not in gone:
            continue
        start_id, end_id = drawn_id(start), drawn_id(end)
        if start_id and end_id:
            lines.append(edge_line(start_id, end_id, shapes))
    return lines
