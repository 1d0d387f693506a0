"""Siblings too many to read at once, gathered into groups the reader opens: by the scopes of
their names (``conv2_block1_1_conv`` is in ``conv2`` → ``conv2_block1`` → ``conv2_block1_1``), else
where all data passes through one of them (Inception's ``mixed0``), else in even parts.

Works on any flat sequence: a module's calls (:mod:`.explorable`) or the nodes of a picture that
has no modules (``plot_model``'s)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sphinx_archviz.capture.graph.grouping import run_name
from sphinx_archviz.capture.graph.hierarchy import FIRST_SIGHT_NODES

#: More siblings than this are gathered by the scopes of their names.
FLAT = 12

_SCOPE_SEPARATOR = re.compile(r"[_./]")
#: A name ending in a number: what comes before it, and the number.
_NUMBERED = re.compile(r"(.*?)(\d+)")

T = TypeVar("T")
#: Per atom, the atoms its data comes from.
Incoming = dict[int, list[int]]


@dataclass
class Unit:
    """Siblings placed together: one call or node, or a folded repeat's calls."""

    #: The calls (or nodes) it holds, in order.
    members: list[int]
    #: The first member's name and type, and the last member's name.
    name: str
    type_name: str
    last_name: str
    #: The atoms (the nodes of the fully opened picture) inside it, which edges join.
    keys: list[int]
    #: What its caller needs to draw it (a folded repeat's closed node).
    payload: Any = None


@dataclass
class Scope:
    name: str
    items: list[Unit | Scope] = field(default_factory=list)

    def units(self) -> Iterator[Unit]:
        for item in self.items:
            yield from item.units() if isinstance(item, Scope) else [item]


def gather(
    units: list[Unit], edges: Iterable[tuple[int, int]], within: str = ""
) -> list[Unit | Scope]:
    """``units`` as they should be drawn: alone if few, else gathered into scopes. ``within``
    is the name of the module that calls them, if any: a scope of its own name (``features``
    around the layers of ``features.denseblock3``) is named by the run of its members."""
    items: list[Unit | Scope] = list(units)
    if len(items) <= FLAT:
        return items
    incoming: Incoming = {}
    for start, end in edges:
        incoming.setdefault(end, []).append(start)
    return _arranged(_scopes(items, within=within), incoming)


def _arranged(items: list[Unit | Scope], incoming: Incoming) -> list[Unit | Scope]:
    """``items`` with the strays joined to their scopes and, if still too many to read, cut
    where all data passes; the same inside each scope (InceptionResNetV2's ``block35`` holds
    ten blocks ``block35_1`` … with their branches, not 204 layers)."""
    items = _strays_joined(items, incoming)
    if len(items) > FIRST_SIGHT_NODES:
        items = _segments(items, incoming)
    for item in items:
        if isinstance(item, Scope):
            item.items = _arranged(item.items, incoming)
    return items


def _scopes(units: list[Unit | Scope], depth: int = 0, within: str = "") -> list[Unit | Scope]:
    """``units`` with each run of consecutive ones whose names share a scope ``depth`` parts
    deep (``conv2``, then ``conv2_block1``) gathered into a :class:`Scope`, recursively."""
    found: list[Unit | Scope] = []
    for key, members in _runs_by_scope(units, depth):
        if key is None or len(members) < 2:
            found.extend(members)
            continue
        name = _run_of(members) if _is_within(within, key) else key
        found.append(Scope(name, _scopes(members, depth + 1, within)))
    if len(found) == 1 and isinstance(found[0], Scope):
        return found[0].items
    return found


def _runs_by_scope(
    units: list[Unit | Scope], depth: int
) -> list[tuple[str | None, list[Unit | Scope]]]:
    """Runs of consecutive units in one scope; units without a scope between two runs of the
    same scope belong to it (ResNet V2's shortcut ``max_pooling2d``, called between the layers
    of a stage's last block)."""
    runs: list[tuple[str | None, list[Unit | Scope]]] = []
    strays = 0  # the runs without a scope at the end of ``runs``
    for key, run in _plain_runs(units, depth):
        if key is not None and 0 < strays < len(runs) and runs[-1 - strays][0] == key:
            between = [unit for _, stray in runs[-strays:] for unit in stray]
            del runs[-strays:]
            runs[-1][1].extend([*between, *run])
        else:
            runs.append((key, run))
        strays = strays + 1 if key is None else 0
    return runs


def _plain_runs(
    units: list[Unit | Scope], depth: int
) -> Iterator[tuple[str | None, list[Unit | Scope]]]:
    key: str | None = None
    run: list[Unit | Scope] = []
    for unit in units:
        assert isinstance(unit, Unit)
        unit_key = _scope_of(_scope_name(unit), depth)
        if run and (unit_key != key or key is None):
            yield key, run
            run = []
        key = unit_key
        run.append(unit)
    if run:
        yield key, run


def _scope_name(unit: Unit) -> str:
    """The unit's name, or "" where it was made from its type (Keras names a
    ``BatchNormalization`` layer ``batch_normalization_11``), which says nothing of scope."""
    made = _snake_case(unit.type_name)
    return "" if re.fullmatch(rf"{re.escape(made)}(_\d+)?", unit.name) else unit.name


def _scope_of(name: str, depth: int) -> str | None:
    """The scope ``depth + 1`` parts long of a name, if it has one: a name's last part is never
    a scope, nor a prefix followed only by digits (``dense`` of ``dense_1`` is Keras numbering
    the second ``dense``)."""
    parts = _SCOPE_SEPARATOR.split(name)
    if len(parts) <= depth + 1 or all(part.isdigit() for part in parts[depth + 1 :]):
        return None
    length = sum(len(part) + 1 for part in parts[: depth + 1]) - 1
    return name[:length]


def _strays_joined(items: list[Unit | Scope], incoming: Incoming) -> list[Unit | Scope]:
    """Items without a scope joined to the scope they belong with, in their order: those that
    lie with one scope alone between two places where all data passes (a shortcut's
    ``conv2d`` and ``batch_normalization`` called before ``block2``'s layers, and the ``add``
    joining them), and those right after a scope that take data from it alone (the same
    shortcut called among ``block2``'s layers, as Keras orders Xception's, leaves its
    ``batch_normalization`` and ``add`` after it). Never everything into one scope (a dense
    block's layers and the ``cat`` of their outputs)."""
    position = _positions(items)
    sources = _sources(position, incoming)
    joined: list[Unit | Scope] = []
    first = 0
    for segment in _segment_runs(items, incoming, position):
        numbers = range(first, first + len(segment))
        first += len(segment)
        scopes = [item for item in segment if isinstance(item, Scope)]
        if len(segment) in (1, len(items)):
            joined.extend(segment)
        elif len(scopes) == 1:
            inside = [part for item in segment for part in _inside(item, scopes[0])]
            joined.append(Scope(scopes[0].name, inside))
        elif (
            not scopes
            and joined
            and isinstance(joined[-1], Scope)
            and _a_shortcut(numbers, sources)
        ):
            joined[-1] = Scope(joined[-1].name, [*joined[-1].items, *segment])
        else:
            joined.extend(segment)
    return joined


def _inside(item: Unit | Scope, scope: Scope) -> list[Unit | Scope]:
    return scope.items if item is scope else [item]


def _sources(position: dict[int, int], incoming: Incoming) -> dict[int, set[int]]:
    """Per item (by number), the items its data comes from (-1: from outside them)."""
    sources: dict[int, set[int]] = {}
    for start, end in _edges_into(position, incoming):
        sources.setdefault(position[end], set()).add(position.get(start, -1))
    return sources


def _edges_into(position: dict[int, int], incoming: Incoming) -> Iterator[tuple[int, int]]:
    """The edges that end at the atoms ``position`` places (each scope looks at its own only:
    a model of 1,600 experts has 1,600 scopes)."""
    for end in position:
        for start in incoming.get(end, ()):
            yield start, end


def _a_shortcut(numbers: range, sources: dict[int, set[int]]) -> bool:
    """Whether the items ``numbers`` take data only from the item before them and each other,
    the last taking the item before's own output too: the tail of a shortcut joining it (a
    ``batch_normalization`` and an ``add``), not a block of its own after it (Inception's
    ``mixed_6a``, whose branches end in a pooling of their own)."""
    before = numbers.start - 1
    allowed = {before, *numbers}
    only_these = all(sources.get(number, set()) <= allowed for number in numbers)
    return only_these and before in sources.get(numbers[-1], set())


def _segments(items: list[Unit | Scope], incoming: Incoming) -> list[Unit | Scope]:
    """Those between two places where all data passes through one of them (the ``mixed0``
    joining a block's branches) make a group; if still too many, runs of them are gathered
    into :data:`FIRST_SIGHT_NODES` ``// 2`` groups."""
    segments = _segment_runs(items, incoming, _positions(items))
    if len(segments) > FIRST_SIGHT_NODES:
        segments = [[item for segment in chunk for item in segment] for chunk in _chunks(segments)]
    return [_span(segment) for segment in segments]


def _segment_runs(
    items: list[Unit | Scope], incoming: Incoming, position: dict[int, int]
) -> list[list[Unit | Scope]]:
    """``items`` cut where all data passes through one of them (``position``: where each atom
    is, as :func:`_positions` finds)."""
    reach = list(range(len(items)))
    from_outside = -1  # how far what comes from outside (the inputs) reaches
    for start, end in _edges_into(position, incoming):
        if start in position:
            reach[position[start]] = max(reach[position[start]], position[end])
        else:
            from_outside = max(from_outside, position[end])
    segments: list[list[Unit | Scope]] = []
    furthest = from_outside  # how far the items before the previous one reach
    for number, item in enumerate(items):
        if not segments or furthest <= number - 1:
            segments.append([])
        segments[-1].append(item)
        if number:
            furthest = max(furthest, reach[number - 1])
    return segments


def _positions(items: list[Unit | Scope]) -> dict[int, int]:
    """Where each atom inside ``items`` is: the number of the item holding it."""
    return {
        key: number
        for number, item in enumerate(items)
        for unit in _units_of(item)
        for key in unit.keys
    }


def _span(items: list[Unit | Scope]) -> Unit | Scope:
    """One item for ``items``: a group of them, itself in groups if they are too many."""
    if len(items) == 1:
        return items[0]
    if len(items) > FIRST_SIGHT_NODES:
        items = [_span(chunk) for chunk in _chunks(items)]
    first, last = next(_units_of(items[0])), list(_units_of(items[-1]))[-1]
    return Scope(run_name(first.name, last.last_name), items)


def _is_within(name: str, scope: str) -> bool:
    """Whether ``name`` is ``scope`` or inside it."""
    return name.startswith(scope) and (
        len(name) == len(scope) or _SCOPE_SEPARATOR.match(name, len(scope)) is not None
    )


def _run_of(items: list[Unit | Scope]) -> str:
    """``features.denseblock3.denselayer1–48`` for the layers ``…denselayer1`` to
    ``…denselayer48``; else as :func:`run_name` names a run."""
    first, last = next(_units_of(items[0])).name, list(_units_of(items[-1]))[-1].last_name
    numbered, last_number = _NUMBERED.fullmatch(first), _NUMBERED.fullmatch(last)
    if numbered and last_number and numbered[1] == last_number[1] and first != last:
        return f"{first}–{last_number[2]}"
    return run_name(first, last)


def _chunks(items: list[T]) -> list[list[T]]:
    """``items`` in :data:`FIRST_SIGHT_NODES` ``// 2`` runs of about the same length."""
    size = -(-len(items) // (FIRST_SIGHT_NODES // 2))
    return [items[at : at + size] for at in range(0, len(items), size)]


def _snake_case(name: str) -> str:
    """``batch_normalization`` for ``BatchNormalization``, ``conv2d`` for ``Conv2D``."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def _units_of(item: Unit | Scope) -> Iterator[Unit]:
    return item.units() if isinstance(item, Scope) else iter([item])
