"""Capture a model's graph as DOT text: what a framework worker runs for each request.

This package is exactly what runs in a worker process; the Sphinx process never imports it. A
capture loads the docs' code (:mod:`.loading`), builds the model with the framework's
:class:`~.backend.Backend` and draws it with the backend or the framework's
:class:`~.backend.ModulesView` (:mod:`.graph`). Nothing here imports a framework at module
level: :func:`load_backend` imports the one a request needs.
"""

from __future__ import annotations

import dataclasses
import importlib
import resource
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from sphinx_archviz.capture.backend import Backend, ModulesView
from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.capture.graph.diff import diff as graph_diff
from sphinx_archviz.capture.graph.hierarchy import Hierarchy, state_dot, to_json
from sphinx_archviz.capture.loading import materialize, resolve, user_code_context
from sphinx_archviz.capture.overlay import OverlayCall
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORK_INFO, Framework
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import (
    Capture,
    CaptureRequest,
    Change,
    Note,
    PartialDrawing,
    Summary,
)


def capture(request: CaptureRequest) -> Capture:
    """Build the referenced model, run it on the example input and return its graph.

    A PyTorch model that cannot run on the meta device is built and run again on the CPU, and
    so is a small one whose forward pass fails there, for the CPU's clearer message.
    """
    started = time.perf_counter()
    backend = load_backend(request.framework)
    notes: tuple[Note, ...] = ()
    summary: Summary | None = None
    changes: tuple[Change, ...] = ()
    with user_code_context(request.search_paths, request.workdir) as source_files:
        backend.reset()
        reference, found = _find(request)
        if request.compare_to:
            dot, changes = _diff(backend, found, reference, request)
            hierarchy = None
        else:
            try:
                dot, summary, notes, hierarchy = _build_and_draw(
                    backend, found, reference, request, request.device
                )
            except _TryTheCpu as meta:
                backend.reset()
                dot, summary, notes, hierarchy = _build_and_draw(
                    backend, found, reference, request, "cpu"
                )
                where = FRAMEWORK_INFO[request.framework].shapes_only
                notes = (
                    Note(f"cannot run {where} ({meta.reason}); drawn on the CPU instead"),
                    *notes,
                )
    explorable = hierarchy is not None and bool(hierarchy.groups)  # else a plain picture
    return Capture(
        canonical_node_ids(dot),
        (*source_files, *request.files_read()),
        time.perf_counter() - started,
        notes,
        summary,
        peak_memory(),
        changes,
        hierarchy=to_json(hierarchy) if explorable else "",
        first_sight=state_dot(hierarchy, hierarchy.open) if explorable else "",
    )


def _find(request: CaptureRequest) -> tuple[Reference, Any]:
    """What the request's reference names: a model file's path, or the docs' object."""
    if FRAMEWORK_INFO[request.framework].file_suffix:
        return Reference(request.reference, ""), Path(request.reference)
    reference = parse_reference(request.reference)
    return reference, resolve(reference, request.search_paths)


def _diff(
    backend: Backend, found: object, reference: Reference, request: CaptureRequest
) -> tuple[str, tuple[Change, ...]]:
    """The new model's modules view with what changed since the old one (``compare_to``)."""
    old_reference = parse_reference(request.compare_to)
    old_found = resolve(old_reference, request.search_paths)
    view = load_modules_view(request.framework)
    traces = []
    for each, ref in ((old_found, old_reference), (found, reference)):
        with backend.placement(request.device):
            model = materialize(each, request.kwargs, backend.is_model, ref, request.search_paths)
        traces.append(view.trace_model(model, request, request.device))
    dot, changes = graph_diff(*traces, request.depth, request.rankdir, str(reference))
    return dot, tuple(changes)


class _TryTheCpu(Exception):
    """The model failed on the meta device, and the CPU may draw it or say more clearly why
    it fails."""

    def __init__(self, error: ArchvizError) -> None:
        super().__init__(error.message)
        cause = error.__cause__ or error
        self.reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def peak_memory() -> int:
    """This process's peak resident memory so far, in bytes (Linux counts ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _build_and_draw(
    backend: Backend, found: object, reference: Reference, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[Note, ...], Hierarchy | None]:
    """The model's DOT, its summary if asked for, notes for the log and its hierarchy, on
    ``device``. If its
    forward pass fails, the error says so and carries the picture of what ran
    (``ArchvizError.partial``)."""
    on_meta = device == "meta"
    try:
        with backend.placement(device):
            model = _build(backend, found, reference, request, device)
    except ArchvizError as error:
        if on_meta and backend.is_device_failure(error.__cause__):
            raise _TryTheCpu(error) from None
        raise
    try:
        with backend.in_mode(model, request.mode):
            return _draw(backend, model, request, device)
    except ArchvizError as error:
        if on_meta and backend.is_device_failure(error.__cause__):
            if backend.fits_on_cpu(model):
                raise _TryTheCpu(error) from None
            error = _too_large_for_the_cpu(error, request)
        elif error.subtype != "forward":
            raise
        if on_meta and backend.cheap_on_cpu(model, request):
            raise _TryTheCpu(error) from None
        with backend.in_mode(model, request.mode):
            error.partial = _partial(model, request, device)
        raise error from None


def _too_large_for_the_cpu(error: ArchvizError, request: CaptureRequest) -> ArchvizError:
    """The error for a model that cannot run from shapes alone and is too large to build on
    the CPU: what ran is drawn (``partial``), the reason is said."""
    reason = _TryTheCpu(error).reason
    shapes_only = FRAMEWORK_INFO[request.framework].shapes_only
    return ArchvizError(
        "device",
        f"the model cannot run {shapes_only} ({reason}) and is too large to be built on the "
        "CPU instead; give a smaller configuration (fewer layers or experts) to draw all of it",
    )


def _build(
    backend: ModuleType, found: object, reference: Reference, request: CaptureRequest, device: str
) -> Any:
    """The model: one the backend builds itself (a transformers class from ``:config:``), or
    the docs' own instance, class or factory's."""
    model = backend.construct(found, request, device)
    if model is not None:
        return model
    if request.config is not None:
        raise ArchvizError(
            "option",
            ":config: applies to Hugging Face transformers model classes (PreTrainedModel "
            "subclasses and AutoModel classes); give a class or factory's arguments with :kwargs:",
        )
    return materialize(found, request.kwargs, backend.is_model, reference, request.search_paths)


def _draw(
    backend: Backend, model: Any, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[Note, ...], Hierarchy | None]:
    view, notes = request.view, []
    if view == "autograd" and not request.view_chosen:
        reason = backend.one_box_reason(model)
        if reason is not None:
            view = "modules"
            notes.append(
                Note(
                    f"{reason}, so it is drawn in the modules view (:view: autograd keeps the box)"
                )
            )
    hierarchy = None
    if view == "modules":
        overlay = OverlayCall(model, request) if request.overlay else None
        view_module = load_modules_view(request.framework)
        dot, summary, hierarchy = view_module.draw(model, request, device, overlay)
        notes += overlay.notes() if overlay else []
    else:
        dot, hierarchy = backend.draw(model, request, device)
        summary = None
        if request.summary:
            view_module = load_modules_view(request.framework)
            summary = view_module.draw(model, request, device, explore=False)[1]
    return dot, summary if request.summary else None, tuple(notes), hierarchy


def _partial(model: Any, request: CaptureRequest, device: str) -> PartialDrawing | None:
    """The modules view of what ran before the forward pass failed, if it can be drawn."""
    try:
        drawing = load_modules_view(request.framework).draw_partial(model, request, device)
    except Exception:  # the picture is a bonus: the failure is reported either way
        return None
    if drawing is None:
        return None
    return dataclasses.replace(drawing, dot=canonical_node_ids(drawing.dot))


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
