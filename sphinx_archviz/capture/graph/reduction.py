"""Edges a state of an explorable diagram leaves out because other edges already say them:
a dense block's connections from every earlier layer (DenseNet), and an output every closed
layer takes one after another (a transformer's rotary embedding). What a transitive reduction
would drop, but only where there are many; the edge kept beside them says how many.

archviz.js's ``drawnEdges`` is :func:`drawn_edges`'s twin.
"""

from __future__ import annotations

from sphinx_archviz import style
from sphinx_archviz.capture.graph.dot import dot_attributes

#: An edge: from, to (leaves ``i``, groups ``-1 - g``), its DOT attributes.
Edge = tuple[int, int, str]


def _edge_note(xlabel: str, tooltip: str) -> str:
    """An edge's note on edges left out beside it, ``{hidden}`` standing for their number."""
    return dot_attributes(
        {
            "xlabel": xlabel,
            "fontname": style.FONT,
            "fontsize": str(style.FONT_SIZE - 2),
            "fontcolor": style.EDGE_FONT_COLOUR,
            "tooltip": tooltip,
        }
    )


#: A picture is dense when a node has this many inputs that also reach it through another of
#: its inputs: DenseNet's, not NASNet's cells (4 at most) nor a residual sum (1). See
#: :func:`dense_inputs`.
DENSE_INPUTS = 5
#: What the edge into a node whose dense connections are not drawn adds to its attributes.
#: The page's copy of a hierarchy carries it.
DENSE_NOTE = _edge_note(
    "+ {hidden} earlier inputs",
    "+ {hidden} earlier inputs, not drawn: each layer of a dense block takes the outputs of all"
    " the layers before it",
)
#: A node's output is shared when this many closed groups take it that also follow another
#: group or op taking it: a transformer's rotary embedding or attention mask, which every layer
#: takes. See :func:`shared_outputs`.
SHARED_OUTPUTS = 5
#: What the first edge out of a node whose shared output is not drawn into every group adds to
#: its attributes.
SHARED_NOTE = _edge_note(
    "+ {hidden} later groups",
    "This output also goes into {hidden} later groups, not drawn: each of them comes after one"
    " that takes it (an input every layer shares)",
)


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


def dense_inputs(edges: list[tuple[int, int]]) -> dict[int, set[int]]:
    """The dense connections of a picture whose ``edges`` are given: per node, its inputs
    that also reach it through another of its inputs (what a transitive reduction drops).

    A picture is dense when some node has :data:`DENSE_INPUTS` such inputs or more (every
    layer of DenseNet's blocks takes the outputs of all the layers before it); then each node
    with two or more of them gets them here, and they are not drawn. A residual block's sum
    has one (the skip) and is always drawn whole; so is every picture that is not dense."""
    inputs = _linked(edges, backwards=True)
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
    outputs = _linked(edges, backwards=False)
    found = {}
    for node, targets in outputs.items():
        if len(targets) > SHARED_OUTPUTS:
            later = _reaching(outputs, targets, node)
            dropped = {target for target in targets if target < 0 and target in later}
            if len(dropped) >= SHARED_OUTPUTS:
                found[node] = dropped
    return found


def _linked(edges: list[tuple[int, int]], *, backwards: bool) -> dict[int, list[int]]:
    """Per node, the nodes its ``edges`` come from (``backwards``) or go to."""
    links: dict[int, list[int]] = {}
    for start, end in edges:
        first, second = (end, start) if backwards else (start, end)
        links.setdefault(first, []).append(second)
    return links


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
