"""The explorable form of a diagram: a tree of groups (module calls, folded repeats, layer-name
scopes) over leaves (the nodes of the fully opened picture), the edges between leaves, and the
DOT of any state, that is, of any set of open groups.

A closed group is drawn as one node standing for everything inside it; an open group is a
cluster around its insides. With every group open the picture is the framework's own (for
PyTorch's autograd view, torchviz's). The page gets the hierarchy as JSON, and archviz.js writes
the DOT of a state exactly as :func:`state_dot` does here, so the build-time SVG of the first
state and the browser's later ones are drawn from the same text.

Attributes are kept as DOT text (``label=<…>, fillcolor="#cfe2f3"``) so that one writer,
``style.py`` and the capture, decides how everything looks, and the browser only joins strings.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sphinx_archviz import style
from sphinx_archviz.capture.graph.dot import HtmlLabel, dot_attributes
from sphinx_archviz.capture.graph.reduction import (
    DENSE_INPUTS,
    DENSE_NOTE,
    SHARED_NOTE,
    SHARED_OUTPUTS,
    Edge,
    drawn_edges,
)

#: About as many nodes as a reader takes in at first sight.
FIRST_SIGHT_NODES = 40


@dataclass
class Group:
    """Something the reader opens: a module call, a folded repeat, a layer-name scope."""

    name: str
    parent: int | None
    #: DOT attributes of the group drawn closed, as one node.
    node: str = ""
    #: DOT attributes of the group drawn open, as a cluster around its insides.
    cluster: str = ""
    #: What search finds it by: name, type.
    text: str = ""
    #: The leaves and groups inside, in drawing order: a leaf ``i`` as ``i``, a group ``g`` as
    #: ``-1 - g``.
    children: list[int] = field(default_factory=list)
    #: For a folded repeat (``layers.0–31 × 32``), how many times its insides repeat (its
    #: children are that many equal runs); 0 for any other group. Its members are structurally
    #: identical, so it stays closed at first sight, as the modules view draws it, and opened it
    #: shows the first member open, which the reader steps through.
    repeats: int = 0

    @property
    def folded(self) -> bool:
        return self.repeats > 1


@dataclass
class Leaf:
    """A node of the fully opened picture."""

    parent: int | None
    #: DOT attributes.
    attributes: str
    #: What search finds it by.
    text: str = ""


@dataclass
class Hierarchy:
    #: DOT statements before the nodes: ``graph [...]``, ``node [...]``, ``edge [...]``.
    defaults: str
    groups: list[Group] = field(default_factory=list)
    leaves: list[Leaf] = field(default_factory=list)
    #: (leaf, leaf, DOT attributes or "").
    edges: list[Edge] = field(default_factory=list)
    #: The top level in drawing order, coded as :attr:`Group.children`.
    top: list[int] = field(default_factory=list)
    #: The groups open at first sight.
    open: list[int] = field(default_factory=list)
    #: Whether a link to a module shows what is inside it (the autograd view: its parameters'
    #: nodes) rather than the node or group that draws it (the modules view).
    reveals_insides: bool = False

    def add_group(self, group: Group) -> int:
        index = len(self.groups)
        self.groups.append(group)
        self._siblings(group.parent).append(-1 - index)
        return index

    def add_leaf(self, leaf: Leaf) -> int:
        index = len(self.leaves)
        self.leaves.append(leaf)
        self._siblings(leaf.parent).append(index)
        return index

    def _siblings(self, parent: int | None) -> list[int]:
        return self.top if parent is None else self.groups[parent].children

    def level(self, group: int) -> int:
        """1 for a group at the top, 2 for one inside it, …"""
        level = 1
        parent = self.groups[group].parent
        while parent is not None:
            level += 1
            parent = self.groups[parent].parent
        return level


def prune(hierarchy: Hierarchy) -> Hierarchy:
    """The same hierarchy without empty groups, and without groups that hold one group and
    nothing else (the inner one is kept: it is the more specific). Groups are numbered again
    in drawing order."""
    keep = {
        index
        for index in range(len(hierarchy.groups))
        if _leaf_count(hierarchy, index) > 0 and not _only_a_group(hierarchy, index)
    }
    result = Hierarchy(hierarchy.defaults, reveals_insides=hierarchy.reveals_insides)
    group_numbers: dict[int, int] = {}
    leaf_numbers: dict[int, int] = {}

    def nearest_kept(parent: int | None) -> int | None:
        while parent is not None and parent not in keep:
            parent = hierarchy.groups[parent].parent
        return None if parent is None else group_numbers[parent]

    def visit(items: list[int]) -> None:
        for item in items:
            if item >= 0:
                leaf = hierarchy.leaves[item]
                leaf_numbers[item] = result.add_leaf(
                    Leaf(nearest_kept(leaf.parent), leaf.attributes, leaf.text)
                )
                continue
            index = -1 - item
            group = hierarchy.groups[index]
            if index in keep:
                group_numbers[index] = result.add_group(
                    Group(
                        group.name,
                        nearest_kept(group.parent),
                        group.node,
                        group.cluster,
                        group.text,
                        repeats=group.repeats,
                    )
                )
            visit(group.children)

    visit(hierarchy.top)
    result.edges = [(leaf_numbers[a], leaf_numbers[b], attrs) for a, b, attrs in hierarchy.edges]
    result.open = sorted(group_numbers[group] for group in hierarchy.open if group in keep)
    return result


def _leaf_count(hierarchy: Hierarchy, group: int) -> int:
    return sum(
        1 if item >= 0 else _leaf_count(hierarchy, -1 - item)
        for item in hierarchy.groups[group].children
    )


def _only_a_group(hierarchy: Hierarchy, group: int) -> bool:
    children = hierarchy.groups[group].children
    return len(children) == 1 and children[0] < 0


def group_attributes(
    *,
    name: str,
    type_name: str,
    is_container: bool,
    details: list[str],
    summary: str,
    font_size: int = style.FONT_SIZE,
) -> dict[str, str]:
    """The DOT attributes of a module's group, closed (``node``) and open (``cluster``): its
    name and type, and ``summary`` (the parameter count) in the label, ``details`` in the
    tooltip; its text ``font_size`` points (a picture with bigger text has bigger groups)."""
    family = style.family_of(type_name, is_container=is_container)
    shown_name, shown_type = html.escape(name), html.escape(type_name)
    lines = [
        f"<B>{shown_name}</B>",
        shown_type,
        *([style.muted(html.escape(summary))] if summary else []),
    ]
    # No class link: a click opens or closes the group.
    common = {"tooltip": "\n".join([name, type_name, *details])}
    node = {
        "label": HtmlLabel(f"<{'<BR/>'.join(lines)}>"),
        **style.node_attributes(family),
        "fontname": style.FONT,
        "fontsize": str(font_size),
        **common,
    }
    cluster = {
        "label": HtmlLabel(f"<<B>{shown_name}</B>&#160;{shown_type}>"),
        **style.cluster_attributes(),
        "fontsize": str(font_size),
        **common,
    }
    return {"node": dot_attributes(node), "cluster": dot_attributes(cluster)}


# States -----------------------------------------------------------------------------------------


def shown_as(hierarchy: Hierarchy, leaf: int, open_groups: set[int]) -> int:
    """What stands for ``leaf`` when ``open_groups`` are open: the leaf itself (``leaf``), or
    its outermost closed group (``-1 - group``)."""
    chain = []
    parent = hierarchy.leaves[leaf].parent
    while parent is not None:
        chain.append(parent)
        parent = hierarchy.groups[parent].parent
    for group in reversed(chain):
        if group not in open_groups:
            return -1 - group
    return leaf


def _name(item: int) -> str:
    return f"n{item}" if item >= 0 else f"g{-1 - item}"


def state_dot(hierarchy: Hierarchy, open_groups: Iterable[int]) -> str:
    """The DOT of the picture with ``open_groups`` open (archviz.js's ``stateDot`` twin)."""
    opened = set(open_groups)
    lines = ["digraph {", hierarchy.defaults]
    lines.extend(_item_lines(hierarchy, hierarchy.top, opened, "\t"))
    for start, end, attributes in drawn_edges(state_edges(hierarchy, opened)):
        extra = f" [{attributes}]" if attributes else ""
        lines.append(f"\t{_name(start)} -> {_name(end)}{extra}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def state_edges(hierarchy: Hierarchy, opened: set[int]) -> list[Edge]:
    """The edges between what is drawn with ``opened`` open (items as :func:`shown_as` names
    them), each once, in the order of the hierarchy's first edge between them."""
    edges = []
    seen: set[tuple[int, int]] = set()
    for start, end, attributes in hierarchy.edges:
        pair = (shown_as(hierarchy, start, opened), shown_as(hierarchy, end, opened))
        if pair[0] != pair[1] and pair not in seen:
            seen.add(pair)
            edges.append((*pair, attributes))
    return edges


def _item_lines(hierarchy: Hierarchy, items: list[int], opened: set[int], indent: str) -> list[str]:
    lines = []
    for item in items:
        if item >= 0:
            lines.append(f'{indent}n{item} [id="n{item}" {hierarchy.leaves[item].attributes}]')
            continue
        group = -1 - item
        if group not in opened:
            lines.append(f'{indent}g{group} [id="g{group}" {hierarchy.groups[group].node}]')
            continue
        lines.append(f"{indent}subgraph cluster_g{group} {{")
        lines.append(f'{indent}\tgraph [id="g{group}" {hierarchy.groups[group].cluster}]')
        lines.extend(
            _item_lines(hierarchy, hierarchy.groups[group].children, opened, indent + "\t")
        )
        lines.append(f"{indent}}}")
    return lines


def visible_count(hierarchy: Hierarchy, open_groups: set[int]) -> int:
    return len({shown_as(hierarchy, leaf, open_groups) for leaf in range(len(hierarchy.leaves))})


def first_sight(
    hierarchy: Hierarchy, depth: int | None = None, *, open_layers: bool = False
) -> list[int]:
    """The groups open at first sight: every group above ``depth`` if given; else level after
    level while the picture keeps to :data:`FIRST_SIGHT_NODES` nodes. Groups of groups (stages,
    blocks) open; a group of leaves only with ``open_layers`` (in the autograd view a layer's
    own ops wait for the reader). A folded repeat stays closed."""
    by_level: dict[int, list[int]] = {}
    for group in range(len(hierarchy.groups)):
        if _in_a_fold(hierarchy, group):
            continue
        if (
            depth is not None
            or open_layers
            or any(child < 0 for child in hierarchy.groups[group].children)
        ):
            by_level.setdefault(hierarchy.level(group), []).append(group)
    opened: set[int] = set()
    for level in sorted(by_level):
        candidate = opened | set(by_level[level])
        if depth is not None:
            if level >= depth:
                break
        elif visible_count(hierarchy, candidate) > FIRST_SIGHT_NODES:
            break
        opened = candidate
    return sorted(opened)


def _in_a_fold(hierarchy: Hierarchy, group: int | None) -> bool:
    """Whether ``group`` is a folded repeat or inside one."""
    while group is not None:
        if hierarchy.groups[group].folded:
            return True
        group = hierarchy.groups[group].parent
    return False


def to_json(hierarchy: Hierarchy) -> str:
    """The page's copy: compact, in a fixed order, so equal hierarchies give equal text."""
    data = {
        "defaults": hierarchy.defaults,
        "groups": [
            [
                group.name,
                -1 if group.parent is None else group.parent,
                group.node,
                group.cluster,
                group.text,
                group.repeats,
            ]
            for group in hierarchy.groups
        ],
        "leaves": [
            [-1 if leaf.parent is None else leaf.parent, leaf.attributes, leaf.text]
            for leaf in hierarchy.leaves
        ],
        "edges": [list(edge) for edge in hierarchy.edges],
        "top": hierarchy.top,
        "children": [group.children for group in hierarchy.groups],
        "open": hierarchy.open,
        "revealsInsides": hierarchy.reveals_insides,
        "dense": [DENSE_INPUTS, DENSE_NOTE],
        "shared": [SHARED_OUTPUTS, SHARED_NOTE],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
