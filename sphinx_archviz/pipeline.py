"""Where the Sphinx build gets a diagram's DOT: the cache if it holds a current entry, else a
framework worker. Counts what each build rendered and reused, across parallel readers too."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sphinx.util import logging

from sphinx_archviz import warm
from sphinx_archviz.cache import DiagramCache
from sphinx_archviz.config import memory_limit
from sphinx_archviz.detect import detect_framework, is_framework_package
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.failures import diagrams_counted
from sphinx_archviz.frameworks import Framework
from sphinx_archviz.journal import diagrams, note
from sphinx_archviz.pool import pool_for, prestart, serve_forked_processes, stop_serving
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import Capture, CaptureRequest
from sphinx_archviz.state import build_state, cache_folder, warm_folder

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

Outcome = Literal["rendered", "cached"]

#: The reference after ``.. archviz::``, a ```` ```{archviz} ```` or a ``:::{archviz}`` fence.
_DIRECTIVE_ARGUMENT = re.compile(
    r"^\s*(?:\.\.\s+archviz::|(?:`{3,}|:{3,})\{archviz\})\s+(\S+)", re.MULTILINE
)


def capture_diagram(
    env: BuildEnvironment, request: CaptureRequest, location: str, timeout: float
) -> Capture:
    folder = cache_folder(env)

    def warn(error: ArchvizError) -> None:
        logger.warning(
            "%s: %s",
            request.reference,
            error.message,
            type="archviz",
            subtype=error.subtype,
            location=location,
        )

    capture, outcome = fetch_capture(
        request,
        timeout,
        DiagramCache(folder) if folder else None,
        lambda message: logger.info("archviz: %s (%s): %s", request.reference, location, message),
        warn,
    )
    measured = {"capture_seconds": round(capture.seconds, 3), "peak_memory": capture.peak_memory}
    if outcome == "cached":
        note(env, env.docname, location, request.reference, capture="cached")
    else:
        note(env, env.docname, location, request.reference, capture="drawn", **measured)
    return capture


def fetch_capture(
    request: CaptureRequest,
    timeout: float,
    cache: DiagramCache | None,
    inform: Callable[[str], None],
    warn: Callable[[ArchvizError], None],
) -> tuple[Capture, Outcome]:
    """The capture from the cache when it holds a current entry, else from a framework worker
    (then stored). The Sphinx build and ``archviz render`` both get diagrams here."""
    key = cache.key(request) if cache else ""
    if cache and (cached := cache.get(key)):
        inform("cached")
        _tell(cached, inform, warn)
        return cached, "cached"
    capture = pool_for(request.framework).capture(request, timeout)
    inform(f"rendered in {capture.seconds:.1f} s")
    _tell(capture, inform, warn)
    if cache:
        try:
            cache.put(key, capture)
        except OSError as exc:
            warn(
                ArchvizError(
                    "cache",
                    f"the diagram could not be stored in {cache.folder} ({exc.strerror}); it is "
                    "shown, but will be captured again next time",
                )
            )
    return capture, "rendered"


def _tell(
    capture: Capture, inform: Callable[[str], None], warn: Callable[[ArchvizError], None]
) -> None:
    """Say the capture's notes: warnings as warnings, the rest to the log."""
    for said in capture.notes:
        if said.subtype is None:
            inform(said.message)
        else:
            warn(ArchvizError(said.subtype, said.message))


def prepare_reading(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Before Sphinx reads (and perhaps forks readers): remember what this build reads, share
    the worker pools with forked readers, and on a cold build start the workers now."""
    build_state(env).read_now = set(docnames)
    memory = memory_limit(app.config.archviz_worker_memory)
    serve_forked_processes(app.parallel if app.is_parallel_allowed("read") else 1, memory)
    warm.configure(
        warm.WarmSettings(
            warm_folder(env),
            app.config.archviz_warm_workers,
            app.config.archviz_warm_idle_timeout,
            memory,
        )
    )
    folder = cache_folder(env)
    if folder is not None and any(folder.glob("*/*.json")):
        # A rebuild: the cache will serve unchanged diagrams, so start workers early only for
        # pages that are read again because a model's source file changed.
        docnames = [name for name in docnames if _a_dependency_changed(env, name)]
    references = _references_in(env, docnames)
    search_paths = tuple(env.config.archviz_sys_path)
    by_framework: dict[Framework, list[Reference]] = {}
    for reference in references:
        with contextlib.suppress(ArchvizError, SyntaxError, OSError, ValueError):
            by_framework.setdefault(detect_framework(reference, search_paths), []).append(reference)
    for framework, found in by_framework.items():
        # Installed packages (torchvision.models) are safe to import early; the docs' own
        # modules are imported afresh for each capture.
        installed = sorted({ref.module for ref in found if is_framework_package(ref.module)})
        prestart(framework, len(found), tuple(installed))


def _a_dependency_changed(env: BuildEnvironment, docname: str) -> bool:
    last_read = env.all_docs.get(docname, 0)  # microseconds, as Sphinx records it
    for dependency in env.dependencies.get(docname, ()):
        with contextlib.suppress(OSError):
            if Path(env.srcdir, dependency).stat().st_mtime_ns // 1_000 > last_read:
                return True
    return False


def _references_in(env: BuildEnvironment, docnames: list[str]) -> list[Reference]:
    """A quick look at the sources: the references of the diagrams about to be read."""
    references = []
    for docname in docnames:
        try:
            text = Path(env.doc2path(docname)).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for match in _DIRECTIVE_ARGUMENT.finditer(text):
            with contextlib.suppress(ArchvizError):
                references.append(parse_reference(match[1]))
    return references


def log_summary(app: Sphinx, exception: BaseException | None) -> None:
    """``archviz: 3 diagrams: 1 rendered, 1 cached, 1 failed``: each diagram of the pages
    read in this build (and any that failed while being written) counted once."""
    counts = {"rendered": 0, "cached": 0, "failed": 0}
    for diagram in diagrams(app.env):
        if diagram.failed:
            counts["failed"] += 1
        elif diagram.capture:
            counts["rendered" if diagram.capture == "drawn" else "cached"] += 1
    if exception is None and any(counts.values()):
        logger.info(
            "archviz: %s: %d rendered, %d cached, %d failed",
            diagrams_counted(sum(counts.values())),
            counts["rendered"],
            counts["cached"],
            counts["failed"],
        )


def setup_pipeline(app: Sphinx) -> None:
    app.connect("env-before-read-docs", prepare_reading)
    app.connect("build-finished", log_summary)
    app.connect("build-finished", lambda _app, _exception: stop_serving())
