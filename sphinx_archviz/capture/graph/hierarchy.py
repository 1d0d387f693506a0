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

#: An edge: from, to (leaves ``i``, groups ``-1 - g``), its DOT attributes.
Edge = tuple[int, int, str]
#: About as many nodes as a reader takes in at first sight.
FIRST_SIGHT_NODES = 40
#: A picture is dense when a node has this many inputs that also reach it through another of
#: its inputs: DenseNet's, not NASNet's cells (4 at most) nor a residual sum (1). See
#: :func:`dense_inputs`.
DENSE_INPUTS = 5
#: What the edge into a node whose dense connections are not drawn adds to its attributes,
#: ``{hidden}`` standing for their number. The page's copy of a hierarchy carries it.
DENSE_NOTE = dot_attributes(
    {
        "xlabel": "+ {hidden} earlier inputs",
        "fontname": style.FONT,
        "fontsize": str(style.FONT_SIZE - 2),
        "fontcolor": style.EDGE_FONT_COLOUR,
        "tooltip": "+ {hidden} earlier inputs, not drawn: each layer of a dense block takes"
        " the outputs of all the layers before it",
    }
)
#: A node's output is shared when this many closed groups take it that also follow another
#: group or op taking it: a transformer's rotary embedding or attention mask, which every layer
#: takes. See :func:`shared_outputs`.
SHARED_OUTPUTS = 5
#: What the first edge out of a node whose shared output is not drawn into every group adds to
#: its attributes, ``{hidden}`` standing for the groups left out.
SHARED_NOTE = dot_attributes(
    {
        "xlabel": "+ {hidden} later groups",
        "fontname": style.FONT,
        "fontsize": str(style.FONT_SIZE - 2),
        "fontcolor": style.EDGE_FONT_COLOUR,
        "tooltip": "This output also goes into {hidden} later groups, not drawn: each of them"
        " comes after one that takes it (an input every layer shares)",
    }
)


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


def drawn_edges(edges: list[Edge]) -> list[Edge]:
    """``edges`` less the dense connections (:func:`dense_inputs`) and then the shared outputs
    (:func:`shared_outputs`) they have, with a note on the first edge drawn into a node whose
    inputs were left out and on the first edge drawn out of a node whose outputs were."""
    hidden = dense_inputs([(start, end) for start, end, _ in edges])
    edges = [edge for edge in edges if edge[0] not in hidden.get(edge[1], ())]
    shared = shared_outputs([(start, end) for start, end, _ in edges])
    edges = [edge for edge in edges if edge[1] not in shared.get(edge[0], ())]
    into: set[int] = set()
    out_of: set[int] = set()
    drawn = []
    for start, end, attributes in edges:
        if end in hidden and end not in into:
            into.add(end)
            attributes = _with_note(attributes, DENSE_NOTE, len(hidden[end]))
        if start in shared and start not in out_of:
            out_of.add(start)
            attributes = _with_note(attributes, SHARED_NOTE, len(shared[start]))
        drawn.append((start, end, attributes))
    return drawn


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


def dense_inputs(edges: list[tuple[int, int]]) -> dict[int, set[int]]:
    """The dense connections of a picture whose ``edges`` are given: per node, its inputs
    that also reach it through another of its inputs (what a transitive reduction drops).

    A picture is dense when some node has :data:`DENSE_INPUTS` such inputs or more (every
    layer of DenseNet's blocks takes the outputs of all the layers before it); then each node
    with two or more of them gets them here, and they are not drawn. A residual block's sum
    has one (the skip) and is always drawn whole; so is every picture that is not dense."""
    inputs: dict[int, list[int]] = {}
    for start, end in edges:
        inputs.setdefault(end, []).append(start)
    found = {}
    for node, sources in inputs.items():
        if len(sources) > 2:
            earlier = _reaching(inputs, sources, node)
            dropped = {source for source in sources if source in earlier}
            if len(dropped) >= 2:
                found[node] = dropped
    return found if any(len(dropped) >= DENSE_INPUTS for dropped in found.values()) else {}


def shared_outputs(edges: list[tuple[int, int]]) -> dict[int, set[int]]:
    """The shared outputs of a picture whose ``edges`` are given: per node, the closed groups
    (items below 0) taking its output that another item taking it reaches, for nodes with
    :data:`SHARED_OUTPUTS` of them or more (what a transitive reduction drops). A rotary
    embedding feeding 32 closed layers then goes into the first, the others following it;
    edges into the ops of open groups are always drawn, and so is a residual block's skip."""
    outputs: dict[int, list[int]] = {}
    for start, end in edges:
        outputs.setdefault(start, []).append(end)
    found = {}
    for node, targets in outputs.items():
        if len(targets) > SHARED_OUTPUTS:
            later = _reaching(outputs, targets, node)
            dropped = {target for target in targets if target < 0 and target in later}
            if len(dropped) >= SHARED_OUTPUTS:
                found[node] = dropped
    return found


def _reaching(links: dict[int, list[int]], items: list[int], node: int) -> set[int]:
    """What one of ``items`` leads to through at least one of ``links``, not through
    ``node``: with the inputs of each node as links, what reaches them; with the outputs,
    what they reach."""
    found: set[int] = set()
    stack = [linked for item in items for linked in links.get(item, [])]
    while stack:
        item = stack.pop()
        if item != node and item not in found:
            found.add(item)
            stack.extend(links.get(item, []))
    return found


def _with_note(attributes: str, note: str, hidden: int) -> str:
    """An edge's ``attributes`` with ``note`` saying that ``hidden`` edges are not drawn."""
    note = note.replace("{hidden}", str(hidden))
    return f"{attributes}, {note}" if attributes else note


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
        # For the browser's Graphviz, which sizes text by tables of a few fonts.
        "font": style.FONT,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
