"""The diagrams a build could not draw: reported where they happen, recapped at the end.

Failures happen in readers (capture) and in writers (Graphviz), which may be forked processes,
so each process appends them to a journal file of its own under the doctree folder. At the end
of the build the journal gives the recap (and fails the build if ``archviz_fail_on_error``);
at the start of the next build its pages are read again, so a fixed problem never leaves a
stale placeholder behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.errors import SphinxError
from sphinx.util import logging

from sphinx_archviz.errors import ArchvizError

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


class DiagramsFailed(SphinxError):
    category = "archviz: diagrams could not be drawn"


@dataclass(frozen=True)
class Failure:
    docname: str
    location: str
    reference: str
    subtype: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reference} [archviz.{self.subtype}]"


def report_failure(
    env: BuildEnvironment,
    docname: str,
    error: ArchvizError,
    reference: str,
    location: str | nodes.Node,
) -> None:
    """Warn at the directive's location and note the failure in this process's journal."""
    logger.warning(
        "%s: %s",
        reference,
        error.message,
        type="archviz",
        subtype=error.subtype,
        location=location,
    )
    where = location if isinstance(location, str) else f"{location.source}:{location.line}"
    failure = Failure(docname, where, reference, error.subtype)
    with contextlib.suppress(OSError):
        folder = _journal(env)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(asdict(failure)) + "\n")


def failures(env: BuildEnvironment) -> list[Failure]:
    found = []
    for path in sorted(_journal(env).glob("*.jsonl")):
        with contextlib.suppress(OSError, ValueError, TypeError):
            for line in path.read_text(encoding="utf-8").splitlines():
                found.append(Failure(**json.loads(line)))
    return sorted(set(found), key=lambda failure: (failure.docname, failure.location))


def reread_failed_pages(
    _app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> set[str]:
    """Pages whose diagrams failed last time are read again; the journal starts afresh."""
    again = {failure.docname for failure in failures(env)} & (env.found_docs - removed)
    shutil.rmtree(_journal(env), ignore_errors=True)
    return again - added - changed


def recap(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None:
        return
    failed = failures(app.env)
    if not failed:
        return
    listing = "\n".join(f"  {failure}" for failure in failed)
    logger.info("archviz: %d diagrams could not be drawn:\n%s", len(failed), listing)
    if app.config.archviz_fail_on_error:
        raise DiagramsFailed(
            f"{len(failed)} diagrams could not be drawn (archviz_fail_on_error is on):\n{listing}"
        )


def _journal(env: BuildEnvironment) -> Path:
    return Path(env.doctreedir) / "archviz-failures"


def setup_failures(app: Sphinx) -> None:
    app.connect("env-get-outdated", reread_failed_pages)
    app.connect("build-finished", recap)
