"""Capture a model's graph as DOT text: the plain function that framework workers run.

Nothing here imports a framework at module level; :func:`capture` imports the one backend a
request needs. Each backend module provides:

``reset() -> None``
    Make the next model build reproducible (seeds, name counters).
``is_model(obj) -> bool``
    Whether ``obj`` is a model of that framework.
``placement(device) -> context manager``
    While a model is built inside it, put its weights on ``device`` ("meta" or "cpu").
``is_device_failure(exc) -> bool``
    Whether an exception means the model cannot run on the meta device.
``in_mode(model, mode) -> context manager``
    Run the model in ``mode`` ("train", "eval"; "" as it is) inside it, and restore it after.
``cheap_on_cpu(model, request) -> bool``
    Whether running the model on the CPU costs little, so that a forward pass that failed on
    the meta device is run there again for the CPU's clearer error message.
``draw(model, request, device) -> str``
    Run the model on the example input on ``device`` and return the graph as DOT.
``one_box_reason(model) -> str | None``
    Why ``draw`` would show the model as one opaque box (plot_model and a subclassed Keras
    model), or None. Such a model gets the modules view unless the view was chosen.
``warm_up() -> None``
    In a framework process about to fork a child per capture: do now, once, what every first
    capture would do (lazy imports), without starting a thread pool.

The modules view (``:view: modules``) and the summary table come from a second module per
framework, ``<framework>_modules``, whose ``draw(model, request, device)`` returns the DOT and
the :class:`Summary` of one traced forward pass (see :mod:`.graph`), and whose
``draw_partial(model, request, device)`` draws what ran of a forward pass that fails.
"""

from __future__ import annotations

import dataclasses
import importlib
import resource
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.capture.graph.diff import diff as graph_diff
from sphinx_archviz.capture.loading import materialize, resolve, user_code_context
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import (
    Capture,
    CaptureRequest,
    Change,
    Framework,
    PartialDrawing,
    Summary,
)

#: What to install when a backend's import fails, by the missing top-level module.
_INSTALL_HINTS = {
    "torch": "pip install 'sphinx-archviz[torch]'",
    "torchvision": "pip install 'sphinx-archviz[torch]'",
    "torchviz": "pip install 'sphinx-archviz[torch]' (or pip install torchviz)",
    "distutils": "pip install setuptools (torchviz needs it on Python 3.12 and later)",
    "tensorflow": "pip install 'sphinx-archviz[tensorflow]'",
    "keras": "pip install 'sphinx-archviz[tensorflow]'",
    "pydot": "pip install 'sphinx-archviz[tensorflow]' (or pip install pydot)",
}


def capture(request: CaptureRequest) -> Capture:
    """Build the referenced model, run it on the example input and return its graph.

    A PyTorch model that cannot run on the meta device is built and run again on the CPU, and
    so is a small one whose forward pass fails there, for the CPU's clearer message.
    """
    started = time.perf_counter()
    backend = load_backend(request.framework)
    reference = parse_reference(request.reference)
    notes: tuple[str, ...] = ()
    summary: Summary | None = None
    changes: tuple[Change, ...] = ()
    with user_code_context(request.search_paths, request.workdir) as source_files:
        backend.reset()
        found = resolve(reference, request.search_paths)
        if request.compare_to:
            dot, changes = _diff(backend, found, reference, request)
        else:
            try:
                dot, summary, notes = _build_and_draw(
                    backend, found, reference, request, request.device
                )
            except _TryTheCpu as meta:
                backend.reset()
                dot, summary, notes = _build_and_draw(backend, found, reference, request, "cpu")
                notes = (
                    f"cannot run on the meta device ({meta.reason}); drawn on the CPU instead",
                    *notes,
                )
    return Capture(
        canonical_node_ids(dot),
        (*source_files, *request.files_read()),
        time.perf_counter() - started,
        notes,
        summary,
        peak_memory(),
        changes,
    )


def _diff(
    backend: ModuleType, found: object, reference: Reference, request: CaptureRequest
) -> tuple[str, tuple[Change, ...]]:
    """The new model's modules view with what changed since the old one (``compare_to``)."""
    old_reference = parse_reference(request.compare_to)
    old_found = resolve(old_reference, request.search_paths)
    view = _modules_view(request.framework)
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
    backend: ModuleType, found: object, reference: Reference, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[str, ...]]:
    """The model's DOT, its summary if asked for, and notes for the log, on ``device``. If its
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
            raise _TryTheCpu(error) from None
        if error.subtype != "forward":
            raise
        if on_meta and backend.cheap_on_cpu(model, request):
            raise _TryTheCpu(error) from None
        with backend.in_mode(model, request.mode):
            error.partial = _partial(model, request, device)
        raise


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
    backend: ModuleType, model: Any, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[str, ...]]:
    view, notes = request.view, ()
    if view == "autograd" and not request.view_chosen:
        reason = backend.one_box_reason(model)
        if reason is not None:
            view = "modules"
            notes = (
                f"{reason}, so it is drawn in the modules view (:view: autograd keeps the box)",
            )
    if view == "modules":
        dot, summary = _modules_view(request.framework).draw(model, request, device)
    else:
        dot = backend.draw(model, request, device)
        summary = None
        if request.summary:
            summary = _modules_view(request.framework).draw(model, request, device)[1]
    return dot, summary if request.summary else None, notes


def _partial(model: Any, request: CaptureRequest, device: str) -> PartialDrawing | None:
    """The modules view of what ran before the forward pass failed, if it can be drawn."""
    try:
        drawing = _modules_view(request.framework).draw_partial(model, request, device)
    except Exception:  # the picture is a bonus: the failure is reported either way
        return None
    if drawing is None:
        return None
    return dataclasses.replace(drawing, dot=canonical_node_ids(drawing.dot))


def _modules_view(framework: Framework) -> ModuleType:
    return importlib.import_module(f"sphinx_archviz.capture.{framework}_modules")


def load_backend(framework: Framework) -> ModuleType:
    try:
        return importlib.import_module(f"sphinx_archviz.capture.{framework}")
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        hint = _INSTALL_HINTS.get(missing)
        if hint is None:
            raise
        raise ArchvizError(
            "dependency",
            f"{missing} is not installed, so this diagram cannot be drawn: {hint}",
        ) from None


def tensors_in(value: Any, is_tensor: Callable[[Any], bool]) -> Iterator[Any]:
    """The tensors in what a model takes or returns (nested in tuples, lists and dicts), in
    order; for the backends, which each know what a tensor is."""
    if is_tensor(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item, is_tensor)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from tensors_in(item, is_tensor)
