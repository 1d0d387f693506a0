"""The diagrams a build could not draw: reported where they happen, recapped at the end.

A failure is a warning at the directive's location, unless ``archviz_expected_failures``
lists the diagram: then it is logged, and it is the diagram's success that warns. Every failure
is noted in the journal (:mod:`.journal`); at the end of the build the journal gives the recap
(and fails the build if ``archviz_fail_on_error``), and at the start of the next build the pages
with failed diagrams are read again, so a fixed problem never leaves a stale placeholder behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.errors import SphinxError
from sphinx.util import logging

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.journal import Diagram, diagrams, location_of, note, start_afresh

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)


class DiagramsFailed(SphinxError):
    category = "archviz: diagrams could not be drawn"


def report_failure(
    env: BuildEnvironment,
    docname: str,
    error: ArchvizError,
    reference: str,
    location: str | nodes.Node,
    *,
    partial: bool = False,
) -> None:
    """Warn at the directive's location (or log, if the failure is expected) and note it."""
    where = location_of(location)
    expected = is_expected(env, docname, where, reference)
    if expected:
        logger.info("archviz: %s (%s): failed as expected: %s", reference, where, error.message)
    else:
        logger.warning(
            "%s: %s",
            reference,
            error.message,
            type="archviz",
            subtype=error.subtype,
            location=location,
        )
    note(
        env,
        docname,
        where,
        reference,
        outcome="expected failure" if expected else "failed",
        subtype=error.subtype,
        partial=partial,
    )


def is_expected(env: BuildEnvironment, docname: str, location: str, reference: str) -> bool:
    """Whether ``archviz_expected_failures`` lists the diagram, by its reference or as
    ``document:line`` (the document with or without its suffix)."""
    source, _, line = location.rpartition(":")
    with_suffix = Path(source).name
    for entry in env.config.archviz_expected_failures:
        document, _, number = entry.rpartition(":")
        if entry == reference:
            return True
        if number == line and document in (docname, _relative(env, source), with_suffix):
            return True
    return False


def _relative(env: BuildEnvironment, source: str) -> str:
    try:
        return Path(source).relative_to(env.srcdir).as_posix()
    except ValueError:
        return source


def failures(env: BuildEnvironment) -> list[Diagram]:
    """The diagrams of this build that could not be drawn and were not expected to fail."""
    return [diagram for diagram in diagrams(env) if diagram.outcome == "failed"]


def reread_failed_pages(
    _app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> set[str]:
    """Pages whose diagrams failed last time (expectedly or not) are read again; the journal
    starts afresh."""
    again = {diagram.docname for diagram in diagrams(env) if diagram.failed}
    start_afresh(env)
    return (again & (env.found_docs - removed)) - added - changed


def recap(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None:
        return
    warn_about_unexpected_successes(app.env)
    failed = failures(app.env)
    if not failed:
        return
    listing = "\n".join(
        f"  {diagram.location}: {diagram.reference} [archviz.{diagram.subtype}]"
        for diagram in failed
    )
    count = diagrams_counted(len(failed))
    logger.info("archviz: %s could not be drawn:\n%s", count, listing)
    if app.config.archviz_fail_on_error:
        raise DiagramsFailed(
            f"{count} could not be drawn (archviz_fail_on_error is on):\n{listing}"
        )


def warn_about_unexpected_successes(env: BuildEnvironment) -> None:
    for diagram in diagrams(env):
        if diagram.failed or not diagram.capture:
            continue
        if is_expected(env, diagram.docname, diagram.location, diagram.reference):
            logger.warning(
                "%s: drawn, but archviz_expected_failures says it fails; remove it from the list",
                diagram.reference,
                type="archviz",
                subtype="unexpected-success",
                location=diagram.location,
            )


def diagrams_counted(count: int) -> str:
    return f"{count} diagram" if count == 1 else f"{count} diagrams"


def setup_failures(app: Sphinx) -> None:
    app.connect("env-get-outdated", reread_failed_pages)
    app.connect("build-finished", recap)
