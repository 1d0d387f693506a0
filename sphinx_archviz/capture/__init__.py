"""Capture a model's graph as DOT text: what a framework worker runs for each request.

This package is exactly what runs in a worker process; the Sphinx process never imports it. A
capture loads the docs' code (:mod:`.loading`), builds the model with the framework's
:class:`~.backend.Backend` and draws it with the backend or the framework's
:class:`~.backend.ModulesView` (:mod:`.graph`). Nothing here imports a framework at module
level: :func:`load_backend` imports the one a request needs.
"""

from __future__ import annotations

import importlib
import resource
import time
from types import ModuleType

from sphinx_archviz.capture.backend import Backend, ModulesView
from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.capture.loading import materialize, resolve, user_code_context
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORK_INFO, Framework
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import Capture, CaptureRequest, Summary


def capture(request: CaptureRequest) -> Capture:
    """Build the referenced model, run it on the example input and return its graph.

    A PyTorch model that cannot run on the meta device is built and run again on the CPU.
    """
    started = time.perf_counter()
    backend = load_backend(request.framework)
    reference = parse_reference(request.reference)
    notes: tuple[str, ...] = ()
    summary: Summary | None = None
    with user_code_context(request.search_paths, request.workdir) as source_files:
        backend.reset()
        found = resolve(reference, request.search_paths)
        try:
            dot, summary, notes = _build_and_draw(
                backend, found, reference, request, request.device
            )
        except ArchvizError as error:
            if request.device == "cpu" or not backend.is_device_failure(error.__cause__):
                raise
            backend.reset()
            dot, summary, notes = _build_and_draw(backend, found, reference, request, "cpu")
            reason = str(error.__cause__).strip().splitlines()[0]
            notes = (
                f"cannot run on the meta device ({reason}); drawn on the CPU instead",
                *notes,
            )
    return Capture(
        canonical_node_ids(dot),
        tuple(source_files),
        time.perf_counter() - started,
        notes,
        summary,
        peak_memory(),
    )


def peak_memory() -> int:
    """This process's peak resident memory so far, in bytes (Linux counts ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _build_and_draw(
    backend: Backend, found: object, reference: Reference, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[str, ...]]:
    """The DOT, the summary if asked for, and notes for the log."""
    with backend.placement(device):
        model = materialize(
            found, request.kwargs, backend.is_model, reference, request.search_paths
        )
    view, notes = request.view, ()
    if view == "autograd" and not request.view_chosen:
        reason = backend.one_box_reason(model)
        if reason is not None:
            view = "modules"
            notes = (
                f"{reason}, so it is drawn in the modules view (:view: autograd keeps the box)",
            )
    if view == "modules":
        dot, summary = load_modules_view(request.framework).draw(model, request, device)
    else:
        dot = backend.draw(model, request, device)
        summary = None
        if request.summary:
            summary = load_modules_view(request.framework).draw(model, request, device)[1]
    return dot, summary if request.summary else None, notes


def load_backend(framework: Framework) -> Backend:
    """The framework's backend; an ArchvizError saying what to install if it cannot load."""
    backend = _import(FRAMEWORK_INFO[framework].backend, framework)
    assert isinstance(backend, Backend)
    return backend


def load_modules_view(framework: Framework) -> ModulesView:
    view = _import(FRAMEWORK_INFO[framework].modules_view, framework)
    assert isinstance(view, ModulesView)
    return view


def _import(module: str, framework: Framework) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        hint = FRAMEWORK_INFO[framework].install_hints.get(missing)
        if hint is None:
            raise
        raise ArchvizError(
            "dependency",
            f"{missing} is not installed, so this diagram cannot be drawn: {hint}",
        ) from None
