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
the :class:`Summary` of one traced forward pass (see :mod:`.graph`).
"""

from __future__ import annotations

import importlib
import resource
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.capture.loading import materialize, resolve, user_code_context
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import Capture, CaptureRequest, Framework, Summary

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
        (*source_files, *request.files_read()),
        time.perf_counter() - started,
        notes,
        summary,
        peak_memory(),
    )


def peak_memory() -> int:
    """This process's peak resident memory so far, in bytes (Linux counts ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _build_and_draw(
    backend: ModuleType, found: object, reference: Reference, request: CaptureRequest, device: str
) -> tuple[str, Summary | None, tuple[str, ...]]:
    """The DOT, the summary if asked for, and notes for the log."""
    with backend.placement(device):
        model = backend.construct(found, request, device)
        if model is None:
            if request.config is not None:
                raise ArchvizError(
                    "option",
                    ":config: applies to Hugging Face transformers model classes "
                    "(PreTrainedModel subclasses and AutoModel classes); give a class or "
                    "factory's arguments with :kwargs:",
                )
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
        dot, summary = _modules_view(request.framework).draw(model, request, device)
    else:
        dot = backend.draw(model, request, device)
        summary = None
        if request.summary:
            summary = _modules_view(request.framework).draw(model, request, device)[1]
    return dot, summary if request.summary else None, notes


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
