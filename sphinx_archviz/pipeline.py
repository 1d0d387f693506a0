"""Where the Sphinx build gets a diagram's DOT: the cache if it holds a current entry, else a
framework worker. Counts what each build rendered and reused, across parallel readers too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sphinx.util import logging

from sphinx_archviz.cache import DiagramCache
from sphinx_archviz.request import Capture, CaptureRequest
from sphinx_archviz.worker import worker_for

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

Outcome = Literal["rendered", "cached", "failed"]


def capture_diagram(env: BuildEnvironment, request: CaptureRequest, location: str) -> Capture:
    cache = DiagramCache(Path(env.doctreedir) / "archviz") if env.config.archviz_cache else None
    key = cache.key(request) if cache else ""
    cached = cache.get(key) if cache else None
    if cached is not None:
        logger.info("archviz: %s (%s): cached", request.reference, location)
        record_outcome(env, "cached")
        return cached
    capture = worker_for(request.framework).capture(request, env.config.archviz_timeout)
    logger.info(
        "archviz: %s (%s): rendered in %.1f s", request.reference, location, capture.seconds
    )
    for note in capture.notes:
        logger.info("archviz: %s (%s): %s", request.reference, location, note)
    record_outcome(env, "rendered")
    if cache:
        try:
            cache.put(key, capture)
        except OSError as exc:
            logger.warning(
                "%s: the diagram could not be stored in %s (%s); it is shown, but will be "
                "captured again in the next build",
                request.reference,
                cache.folder,
                exc.strerror,
                type="archviz",
                subtype="cache",
                location=location,
            )
    return capture


def record_outcome(env: BuildEnvironment, outcome: Outcome) -> None:
    outcomes: dict[str, list[str]] = env.__dict__.setdefault("archviz_outcomes", {})
    outcomes.setdefault(env.docname, []).append(outcome)


def forget_document(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    env.__dict__.get("archviz_outcomes", {}).pop(docname, None)


def merge_outcomes(
    _app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    ours = env.__dict__.setdefault("archviz_outcomes", {})
    theirs = other.__dict__.get("archviz_outcomes", {})
    ours.update({docname: theirs[docname] for docname in docnames if docname in theirs})


def remember_documents_to_read(_app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    env.__dict__["archviz_read_now"] = set(docnames)


def log_summary(app: Sphinx, exception: BaseException | None) -> None:
    env = app.env
    outcomes = env.__dict__.get("archviz_outcomes", {})
    read_now = env.__dict__.pop("archviz_read_now", set())
    counts = {"rendered": 0, "cached": 0, "failed": 0}
    for docname in read_now:
        for outcome in outcomes.get(docname, []):
            counts[outcome] += 1
    if exception is None and any(counts.values()):
        logger.info(
            "archviz: %d diagrams: %d rendered, %d cached, %d failed",
            sum(counts.values()),
            counts["rendered"],
            counts["cached"],
            counts["failed"],
        )


def setup_pipeline(app: Sphinx) -> None:
    app.connect("env-purge-doc", forget_document)
    app.connect("env-merge-info", merge_outcomes)
    app.connect("env-before-read-docs", remember_documents_to_read)
    app.connect("build-finished", log_summary)
