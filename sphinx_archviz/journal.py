"""What happened to each diagram in this build: captured by a worker or taken from the cache,
laid out, failed; how long each step took and how much memory the worker had used.

Diagrams are captured by readers and laid out by writers, which may be forked processes, so
each process appends what it learns to a journal file of its own under the doctree folder;
at the end of the build the lines are merged per diagram (by its source file and line) in the
order they were written. The journal starts afresh with every build.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from sphinx_archviz.state import journal_folder

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.environment import BuildEnvironment

Capture = Literal["drawn", "cached", ""]
Outcome = Literal["ok", "failed", "expected failure"]


@dataclass
class Diagram:
    """One diagram of the build, as the journal knows it."""

    docname: str
    #: ``/path/to/page.rst:12``: where the directive is.
    location: str
    reference: str
    #: "drawn" by a framework worker, "cached" from an earlier build, "" if never captured.
    capture: Capture = ""
    capture_seconds: float | None = None
    #: The worker's peak resident memory (its ``ru_maxrss``) after the capture, in bytes.
    peak_memory: int | None = None
    layout_seconds: float | None = None
    outcome: Outcome = "ok"
    #: The warning's subtype, for a failure.
    subtype: str = ""
    #: Whether the picture shows the part of the model that ran before it failed.
    partial: bool = False

    @property
    def line(self) -> int:
        return int(self.location.rpartition(":")[2] or 0)

    @property
    def failed(self) -> bool:
        return self.outcome != "ok"


def location_of(where: str | nodes.Node) -> str:
    """A directive's location string (``get_location()``) or a node's, in the same form."""
    return where if isinstance(where, str) else f"{where.source}:{where.line}"


def note(env: BuildEnvironment, docname: str, location: str, reference: str, **facts: Any) -> None:
    """Add ``facts`` (fields of :class:`Diagram`) about one diagram to this process's journal."""
    entry = {
        "time": time.time(),
        "docname": docname,
        "location": location,
        "reference": reference,
        **facts,
    }
    with contextlib.suppress(OSError):
        folder = journal_folder(env)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(entry) + "\n")


def diagrams(env: BuildEnvironment) -> list[Diagram]:
    """Every diagram the journal has heard of in this build, by document and line."""
    entries = []
    for path in journal_folder(env).glob("*.jsonl"):
        with contextlib.suppress(OSError, ValueError):
            entries += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    known = {field.name for field in fields(Diagram)}
    merged: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda entry: entry.get("time", 0)):
        facts = {name: value for name, value in entry.items() if name in known}
        merged.setdefault(entry.get("location", ""), {}).update(facts)
    found = []
    for facts in merged.values():
        with contextlib.suppress(TypeError):
            found.append(Diagram(**facts))
    return sorted(found, key=natural_order)


def natural_order(diagram: Diagram) -> tuple[list[str | int], int]:
    """By document, then line: ``index.rst:6`` before ``index.rst:55``, ``part2`` before
    ``part10``."""
    words = re.split(r"(\d+)", diagram.docname)
    return [int(word) if word.isdigit() else word for word in words], diagram.line


def start_afresh(env: BuildEnvironment) -> None:
    shutil.rmtree(journal_folder(env), ignore_errors=True)
