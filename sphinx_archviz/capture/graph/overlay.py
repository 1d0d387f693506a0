"""``:overlay:``: numbers the docs' own function gives module paths (measured latency,
sparsity), placed on the nodes and clusters of a grouped graph.

A module's number is the one the function gave its path; a module it gave none has the sum of
the numbers of the modules inside it, if it gave any. A node standing for several modules (a
folded run "× N") has the sum of theirs, each module counted once; ``""`` is the model.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sphinx_archviz.capture.graph.grouping import ModuleGraph
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.errors import one_plain_line

#: The most keys and names a warning lists.
LISTED = 5


@dataclass
class Overlay:
    #: The function's name: the legend's title and the summary column's heading.
    title: str
    #: Module path → number, as the function returned them (checked: finite numbers).
    values: Mapping[str, float]
    #: When it is drawn: what to say of keys that name no module that ran ("" if none).
    unknown: str = ""


#: What gives a diagram's overlay, called once the model has run (a Keras model is built by
#: its first call, a lazy PyTorch module by its first forward pass); None: drawn without.
OverlayOf = Callable[[], Overlay | None]


@dataclass(frozen=True)
class Value:
    """What a node or cluster shows: the number, and how many modules' numbers it adds."""

    number: float
    modules: int = 1


def node_values(graph: ModuleGraph, overlay: Overlay) -> dict[int, Value]:
    """The number of every node and cluster key of ``graph`` whose modules have one; notes the
    overlay's keys that name no module of the trace."""
    trace = graph.trace
    unknown = unknown_keys(trace, overlay.values)
    overlay.unknown = unknown_keys_message(overlay.title, unknown, trace) if unknown else ""
    per_call = call_values(trace, overlay.values)
    found = {}
    for key, measure in graph.measures.items():
        numbers = {
            trace.calls[call].name: number
            for call in sorted(measure.stands_for)
            if (number := per_call[call]) is not None
        }
        if numbers:
            found[key] = Value(sum(numbers.values()), len(numbers))
    return found


def call_values(trace: Trace, values: Mapping[str, float]) -> dict[int, float | None]:
    """Each call's number: its module's own, else the sum of those inside it; None if none."""
    found: dict[int, float | None] = {}
    for call in reversed(trace.calls):  # a call's children come after it
        own = values.get("" if call.index == trace.root else call.name)
        inside = [number for child in call.children if (number := found[child]) is not None]
        if call.kind == "module" and own is not None:
            found[call.index] = own
        else:
            found[call.index] = sum(inside) if inside else None
    return found


def unknown_keys(trace: Trace, values: Mapping[str, float]) -> list[str]:
    """The keys that name no module: neither a module call's path, nor a prefix of one (a
    container such as ``layers``), nor ``""`` (the model), nor a module the tracer knows that
    did not run (it is not drawn)."""
    known = module_paths(trace) | set(trace.module_paths)
    return [key for key in values if key not in known]


def module_paths(trace: Trace) -> set[str]:
    paths = {""}
    for call in trace.calls:
        if call.kind == "module" and call.index != trace.root:
            parts = call.name.split(".")
            paths.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return paths


def unknown_keys_message(title: str, unknown: list[str], trace: Trace) -> str:
    """The warning about keys that name no module, with the names nearest to them."""
    listed = ", ".join(one_plain_line(repr(key), 80) for key in unknown[:LISTED])
    if len(unknown) > LISTED:
        listed += f" and {len(unknown) - LISTED} more"
    names = sorted(module_paths(trace) - {""})
    near: list[str] = []
    for key in unknown[:LISTED]:
        for name in difflib.get_close_matches(key, names, n=2):
            if name not in near:
                near.append(name)
    shown = near[:LISTED] or names[:LISTED]
    kind = (
        ("modules near it" if len(unknown) == 1 else "modules near them")
        if near
        else "modules that ran include"
    )
    noun = "key names" if len(unknown) == 1 else "keys name"
    return (
        f":overlay: {title}(model) returned {len(unknown)} {noun} no module that ran in the "
        f"forward pass: {listed}; {kind}: {', '.join(map(repr, shown))}. The other modules "
        "are coloured"
    )
