"""What a capture needs to know: plain, picklable data with no Sphinx objects in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sphinx_archviz.errors import Subtype
from sphinx_archviz.frameworks import FRAMEWORK_INFO, Framework

#: "autograd": the framework's own graph (torchviz, plot_model); "modules": modules and shapes.
VIEWS = ("autograd", "modules")
#: "train" or "eval" mode for the forward pass; "" leaves the model as its factory returns it.
MODES = ("train", "eval")

#: What ``:color-by:`` can colour the modules view's nodes by.
COLOR_BY = ("params", "macs", "memory")

#: dtype names understood by both PyTorch and Keras.
DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
)


@dataclass(frozen=True)
class ExampleInput:
    shape: tuple[int, ...]
    dtype: str = "float32"

    def __str__(self) -> str:
        return f"({', '.join(map(str, self.shape))}) {self.dtype}"


@dataclass(frozen=True)
class CaptureRequest:
    """Everything that decides one diagram's DOT source."""

    reference: str
    framework: Framework
    #: Empty when the model defines its own example input.
    inputs: tuple[ExampleInput, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rankdir: str = "TB"
    #: Where a PyTorch model is built and run: "meta" (no weight memory, no arithmetic) or "cpu".
    device: str = "meta"
    show_attrs: bool = False
    show_saved: bool = False
    show_shapes: bool = True
    show_layer_names: bool = True
    show_dtype: bool = False
    expand_nested: bool = False
    #: "train" or "eval": the mode the model runs in; "" for the one its factory returns
    #: (PyTorch) or inference (Keras).
    mode: str = ""
    #: Which picture: "autograd" (torchviz's graph, plot_model's for Keras) or "modules".
    view: str = "autograd"
    #: The view was chosen for this diagram (``:view:``) or its framework (``archviz_view``'s
    #: entry). A default autograd view gives way to the modules view for a model it would
    #: draw as one box; a chosen one does not.
    view_chosen: bool = False
    #: Modules view: how many levels of called modules are drawn; deeper ones are collapsed.
    depth: int = 2
    #: In HTML, how many levels of groups are open at first sight (``:depth:``); None: as many
    #: as keep the first sight readable.
    explore_depth: int | None = None
    #: Modules view: draw a run of identical consecutive blocks once, marked "× N".
    fold: bool = True
    #: Modules view: colour the nodes by "params", "macs" or "memory" (none if "").
    color_by: str = ""
    #: Modules view: ``module:function`` that returns a number per module path, which colours
    #: the nodes like ``color_by`` (none if "").
    overlay: str = ""
    #: ``archviz-diff``: the old model's reference; the picture marks what changed since.
    compare_to: str = ""
    #: Also return a table of the modules (in either view).
    summary: bool = False
    #: transformers models: the configuration (a JSON object, ``module:attribute`` or the
    #: path of a ``config.json`` relative to the working directory); None for the class's own.
    config: str | None = None
    #: PyTorch: draw the program ``torch.export`` makes of the model, grouped by module.
    export: bool = False
    #: Absolute folders put in front of ``sys.path`` while the model is imported.
    search_paths: tuple[str, ...] = ()
    #: The working directory while the user's code runs (the Sphinx configuration directory).
    workdir: str = "."

    def files_read(self) -> tuple[str, ...]:
        """Files other than Python modules that decide the diagram: a model file (ONNX), a
        transformers ``config.json``."""
        files = []
        if FRAMEWORK_INFO[self.framework].file_suffix:
            files.append(self.reference)
        if self.config is not None and self.config.endswith(".json"):
            files.append(self.config)
        return tuple(files)


@dataclass(frozen=True)
class SummaryRow:
    """One module or layer of the summary table (a folded run of N blocks is one row)."""

    name: str
    type: str
    output_shape: str
    trainable: int
    non_trainable: int
    #: How deep in the drawing: 0 for the model's children, 1 inside one cluster, …
    level: int = 0
    #: Multiply-accumulates and bytes of outputs of everything the row stands for.
    macs: int = 0
    memory: int = 0
    dtype: str = ""
    #: The ``:overlay:`` function's number for what the row stands for; None if it gave none.
    overlay: float | None = None


@dataclass(frozen=True)
class Summary:
    rows: tuple[SummaryRow, ...]
    #: The whole model's parameters, counted once each.
    trainable: int
    non_trainable: int
    #: The whole model's multiply-accumulates and bytes of outputs (activation memory).
    macs: int = 0
    memory: int = 0
    #: The ``:overlay:`` function's name (the column's heading; "" for no overlay) and its
    #: number for the whole model.
    overlay_title: str = ""
    overlay: float | None = None


@dataclass(frozen=True)
class Change:
    """A module the new model added, removed or changed (type, shapes or parameters)."""

    change: str
    name: str
    #: What changed, old → new: ``Linear → Linear``, ``1×16×4096 → 1×16×5120``.
    type: str
    shape: str
    params_delta: int
    macs_delta: int


@dataclass(frozen=True)
class PartialDrawing:
    """What ran of a model whose forward pass failed, drawn in the modules view."""

    dot: str
    #: The module or op that was running when it failed: ``blocks.2.0``, ``view``.
    stopped_at: str
    #: The error, in one line: ``RuntimeError: mat1 and mat2 shapes cannot be multiplied …``.
    error: str


@dataclass(frozen=True)
class Note:
    """Something the user should hear about a diagram that was drawn: logged, or a warning of
    ``subtype`` at the directive's location. Cached with the diagram, so it is said again."""

    message: str
    subtype: Subtype | None = None


@dataclass(frozen=True)
class Capture:
    """What comes back from a worker."""

    dot: str
    #: Source files of the docs' own modules that the model came from.
    source_files: tuple[str, ...] = ()
    seconds: float = 0.0
    #: Things the user should hear about, such as a fallback from the meta device to the CPU,
    #: or a warning about an ``:overlay:`` drawn without.
    notes: tuple[Note, ...] = ()
    #: The table of modules, when the request asked for one.
    summary: Summary | None = None
    #: The worker's peak resident memory after the capture (its ``ru_maxrss``), in bytes.
    peak_memory: int = 0
    #: ``archviz-diff``: the modules the new model added, removed or changed.
    changes: tuple[Change, ...] = ()
    #: The diagram's hierarchy as JSON for the page (see :mod:`.capture.graph.hierarchy`), and
    #: the DOT of its first sight; empty when the diagram has none.
    hierarchy: str = ""
    first_sight: str = ""


# The worker protocol ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Warmup:
    """Asks a new worker to import its framework, and the installed packages the coming
    diagrams come from (``torchvision.models``), before the first capture arrives."""

    framework: Framework
    modules: tuple[str, ...] = ()


#: The environment variable that tells a worker the most memory (bytes of data) it may take.
MEMORY_VARIABLE = "ARCHVIZ_WORKER_MEMORY"
