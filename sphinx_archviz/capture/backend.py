"""The contract between :func:`sphinx_archviz.capture.capture` and each framework, and the
framework-free helpers the frameworks' modules share.

A framework has two modules under ``capture/``, named in its row of
:data:`sphinx_archviz.frameworks.FRAMEWORK_INFO`: its :class:`Backend` (``torch.py``,
``keras.py``) draws the framework's own graph, and its :class:`ModulesView` (``torch_modules.py``,
``keras_modules.py``) traces one forward pass for the modules view and the summary table. Each
module is itself the implementation: its functions are the protocol's methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.overlay import OverlayOf
from sphinx_archviz.capture.graph.trace import Trace
from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.request import CaptureRequest, ExampleInput, PartialDrawing, Summary


@runtime_checkable
class Backend(Protocol):
    """What :func:`~sphinx_archviz.capture.capture` needs from a framework."""

    def reset(self) -> None:
        """Make the next model build reproducible (seeds, name counters)."""

    def is_model(self, obj: Any) -> bool:
        """Whether ``obj`` is a model of this framework."""

    def construct(self, found: Any, request: CaptureRequest, device: str) -> Any | None:
        """A model the backend builds itself from what the reference names (a transformers
        class from ``:config:``, an ONNX file); None for the docs' own classes, factories and
        instances."""

    def placement(self, device: str) -> AbstractContextManager[None]:
        """While a model is built inside it, put its weights on ``device`` ("meta" or "cpu")."""

    def is_device_failure(self, exc: BaseException | None) -> bool:
        """Whether ``exc`` means the model cannot run on the meta device (not a bug in it)."""

    def in_mode(self, model: Any, mode: str) -> AbstractContextManager[None]:
        """Run the model in ``mode`` ("train", "eval"; "" as it is) inside it; restore after."""

    def cheap_on_cpu(self, model: Any, request: CaptureRequest) -> bool:
        """Whether running the model on the CPU costs little, so that a forward pass that
        failed on the meta device is run there again for the CPU's clearer error message."""

    def fits_on_cpu(self, model: Any) -> bool:
        """Whether the model's weights fit comfortably on the CPU, so that a model which
        cannot run from shapes alone is built and run there instead."""

    def one_box_reason(self, model: Any) -> str | None:
        """Why :meth:`draw` would show the model as one opaque box (plot_model and a subclassed
        Keras model), or None. Such a model gets the modules view unless a view was chosen."""

    def warm_up(self) -> None:
        """In a framework process about to fork a child per capture: do now, once, what every
        first capture would do (lazy imports), without starting a thread pool."""

    def draw(
        self, model: Any, request: CaptureRequest, device: str
    ) -> tuple[str, Hierarchy | None]:
        """Run the model on the example input on ``device``; the framework's graph as DOT, and
        the hierarchy the reader explores it by (:mod:`.graph.hierarchy`), if there is one."""


@runtime_checkable
class ModulesView(Protocol):
    """The modules view of a framework's models (see :mod:`sphinx_archviz.capture.graph`)."""

    def draw(
        self,
        model: Any,
        request: CaptureRequest,
        device: str,
        overlay_of: OverlayOf | None = None,
        *,
        explore: bool = True,
    ) -> tuple[str, Summary, Hierarchy | None]:
        """Trace one forward pass; the modules view as DOT, the summary table's rows and, with
        ``explore``, the hierarchy the reader explores it by; with the numbers of the overlay
        ``overlay_of`` gives, if any."""

    def draw_partial(
        self, model: Any, request: CaptureRequest, device: str
    ) -> PartialDrawing | None:
        """The modules view of what ran of a forward pass that fails, if anything ran."""

    def trace_model(self, model: Any, request: CaptureRequest, device: str) -> Trace:
        """The trace of one forward pass, for comparing two models (``archviz-diff``)."""


def tensors_in(value: Any, is_tensor: Callable[[Any], bool]) -> Iterator[Any]:
    """The tensors in what a model takes or returns (nested in tuples, lists and dicts), in
    order; each framework's modules say what a tensor is."""
    if is_tensor(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item, is_tensor)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from tensors_in(item, is_tensor)


def model_run_failed(
    inputs: Iterable[ExampleInput],
    exc: BaseException,
    request: CaptureRequest,
    advice: str = "check :input-shape: and :input-dtype:",
) -> ArchvizError:
    """The error for a model that raised while it ran on the example input."""
    return ArchvizError(
        "forward",
        f"running the model on input {'; '.join(map(str, inputs))} raised "
        f"{describe_exception(exc, request.search_paths)}; {advice}",
    )
