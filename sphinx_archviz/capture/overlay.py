"""``:overlay: module:function``: import the docs' function in the worker, call it with the
model, and check that it returned a mapping of module paths to finite numbers.

The function is called once, with the model as it is drawn (built on the meta device unless
``:device: cpu``, in the mode ``:mode:`` gives), after the forward pass is traced (so a Keras
model is built). Whatever goes wrong is one :class:`~sphinx_archviz.request.Note` with a
warning subtype, and the diagram is drawn without the overlay.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sphinx_archviz.capture.graph.overlay import LISTED, Overlay
from sphinx_archviz.capture.loading import module_files, note_files, resolve
from sphinx_archviz.errors import ArchvizError, describe_exception, one_plain_line
from sphinx_archviz.reference import parse_reference
from sphinx_archviz.request import CaptureRequest, Note

#: The most of an exception the warning quotes.
QUOTED = 300
#: What the warnings end with.
WITHOUT = "the diagram is drawn without the overlay"


class OverlayCall:
    """The request's overlay of ``model``, made when the drawing asks for it (an
    :data:`~.graph.overlay.OverlayOf`); :meth:`notes` says what went wrong, once drawn."""

    def __init__(self, model: Any, request: CaptureRequest) -> None:
        self.model = model
        self.request = request
        self.overlay: Overlay | None = None
        self.error: ArchvizError | None = None

    def __call__(self) -> Overlay | None:
        try:
            self.overlay = load_overlay(self.model, self.request)
        except ArchvizError as error:
            self.error = error
        return self.overlay

    def notes(self) -> list[Note]:
        if self.error is not None:
            return [Note(self.error.message, self.error.subtype)]
        if self.overlay is not None and self.overlay.unknown:
            return [Note(self.overlay.unknown, "overlay-keys")]
        return []


def load_overlay(model: Any, request: CaptureRequest) -> Overlay:
    """The overlay the request's function gives the model; an ArchvizError (``overlay`` or
    ``overlay-values``) says what is wrong with it."""
    reference = parse_reference(request.overlay)
    try:
        function = resolve(reference, request.search_paths)
    except ArchvizError as error:
        if error.subtype == "import":  # redo the diagram when the module appears or changes
            note_files(module_files(reference.module, request.search_paths))
        raise ArchvizError("overlay", f":overlay: {error.message}; {WITHOUT}") from None
    title = reference.attribute.rpartition(".")[2]
    if not callable(function):
        raise ArchvizError(
            "overlay",
            f":overlay: {reference} is a {type(function).__name__}, not a function; give a "
            f"function that takes the model and returns {{module path: number}}; {WITHOUT}",
        )
    try:
        returned = function(model)
    except Exception as exc:
        described = one_plain_line(describe_exception(exc, request.search_paths), QUOTED)
        raise ArchvizError(
            "overlay", f":overlay: calling {title}(model) raised {described}; {WITHOUT}"
        ) from None
    return Overlay(title, checked(returned, title))


def checked(returned: object, title: str) -> dict[str, float]:
    """What the function returned as ``{module path: number}``, or an ArchvizError saying
    which entries are not a path and a finite number."""
    if not isinstance(returned, Mapping):
        raise ArchvizError(
            "overlay-values",
            f":overlay: {title}(model) returned a {type(returned).__name__}, not a mapping of "
            f"module paths to numbers such as {{'layer1.0.conv1': 0.5}}; {WITHOUT}",
        )
    numbers: dict[str, float] = {}
    bad: list[str] = []
    for key, value in returned.items():
        number = _number(value)
        if not isinstance(key, str) or number is None:
            bad.append(f"{one_plain_line(repr(key), 60)}: {one_plain_line(repr(value), 60)}")
        else:
            numbers[key] = number
    if bad:
        listed = ", ".join(bad[:LISTED])
        if len(bad) > LISTED:
            listed += f" and {len(bad) - LISTED} more"
        if "device='meta'" in listed:
            listed += "; the model is on the meta device: draw it with :device: cpu to compute "
            listed += "with its weights"
        raise ArchvizError(
            "overlay-values",
            f":overlay: {title}(model) returned {len(bad)} of {len(returned)} entries that are "
            f"not a module path and a finite number: {listed}; {WITHOUT}",
        )
    return numbers


def _number(value: object) -> float | None:
    """A finite number as a float (a NumPy scalar or a one-element tensor too); None for
    anything else: text, True/False, NaN, infinity."""
    if isinstance(value, str | bytes | bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except Exception:  # whatever the value's own __float__ raises
        return None
    return number if math.isfinite(number) else None
