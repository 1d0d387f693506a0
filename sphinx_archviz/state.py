"""What archviz keeps for a build besides the pages: its folders under the doctree folder, the
one recipe by which kept outputs are named, and what it remembers while one build runs.

Everything archviz stores between builds lives under the doctree folder (``-d``), which Sphinx
keeps apart from the output: the diagram cache, the journal of this build's diagrams, the
locks that keep parallel writers from rendering the same image at once, and the sockets of the
framework processes kept warm between builds.

Kept outputs (cached DOT, rendered images) are named by a hash of everything that decides them,
archviz's own code included (:func:`code_digest`), so a change to that code is never answered
with an output it would no longer make.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

_PACKAGE = Path(__file__).parent


def cache_folder(env: BuildEnvironment) -> Path | None:
    """The captured diagrams (:mod:`sphinx_archviz.cache`); None when ``archviz_cache`` is off."""
    return Path(env.doctreedir) / "archviz" if env.config.archviz_cache else None


def lock_folder(env: BuildEnvironment) -> Path:
    """The locks under which images are rendered (:mod:`sphinx_archviz.graphviz`)."""
    return Path(env.doctreedir, "archviz", "locks")


def journal_folder(env: BuildEnvironment) -> Path:
    """Each process's journal of the diagrams it handled (:mod:`sphinx_archviz.journal`)."""
    return Path(env.doctreedir) / "archviz-journal"


def warm_folder(env: BuildEnvironment) -> Path:
    """The sockets of the framework processes kept between builds (:mod:`sphinx_archviz.warm`)."""
    return Path(env.doctreedir) / "archviz-warm"


@functools.cache
def code_digest(*modules: str) -> str:
    """Hash of archviz's code: the named modules (paths relative to the package, such as
    ``graphviz.py``), or all of it."""
    paths = [_PACKAGE / module for module in modules] or sorted(_PACKAGE.rglob("*.py"))
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


@dataclass
class BuildState:
    """What archviz remembers while one build runs (not saved with the environment)."""

    #: The pages this build reads (the others keep their diagrams from earlier builds).
    read_now: set[str] = field(default_factory=set)


_STATES: WeakKeyDictionary[BuildEnvironment, BuildState] = WeakKeyDictionary()


def build_state(env: BuildEnvironment) -> BuildState:
    return _STATES.setdefault(env, BuildState())
