"""A diagram's options, declared once: the directive's ``:options:``, the command line's
``--flags`` and the Python API's keyword arguments all come from :data:`DIAGRAM_OPTIONS`, and
their text becomes a :class:`CaptureRequest` and a :class:`Display` here, with the same error
messages wherever it was written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sphinx_archviz.config import DEVICES, OUTPUT_FORMATS, RANKDIRS, view_for
from sphinx_archviz.detect import detect_framework
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORKS, framework_of_file
from sphinx_archviz.reference import parse_reference
from sphinx_archviz.request import (
    COLOR_BY,
    DTYPES,
    MODES,
    VIEWS,
    CaptureRequest,
    ExampleInput,
)

TRUE_WORDS = ("true", "yes", "on", "1", "")
FALSE_WORDS = ("false", "no", "off", "0")
ALIGNMENTS = ("left", "center", "right")

#: "capture": decides the DOT (part of the request); "display": how the picture is shown.
Role = Literal["capture", "display"]


@dataclass(frozen=True)
class DiagramOption:
    """One option: ``:name: value`` in a page, ``--name VALUE`` on the command line."""

    name: str
    help: str
    metavar: str = "VALUE"
    role: Role = "capture"
    #: A true/false option (``:fold: false``; ``--fold`` / ``--no-fold``).
    flag: bool = False
    choices: tuple[str, ...] = ()

    @property
    def keyword(self) -> str:
        """The Python API's keyword argument (``input_shape``; ``classes`` for ``class``)."""
        return "classes" if self.name == "class" else self.name.replace("-", "_")


def _flag(name: str, help: str) -> DiagramOption:
    return DiagramOption(name, help, "", flag=True)


DIAGRAM_OPTIONS: tuple[DiagramOption, ...] = (
    DiagramOption(
        "input-shape",
        "shape of the dummy input, sizes separated by commas (1,3,224,224); several inputs "
        "separated by ';'",
        "SHAPE",
    ),
    DiagramOption(
        "input-dtype", f"dtype of the dummy input, one of {', '.join(DTYPES)} (float32)", "DTYPE"
    ),
    DiagramOption(
        "kwargs",
        'keyword arguments for the class or factory, a JSON object ({"num_classes": 4})',
        "JSON",
    ),
    DiagramOption(
        "config",
        "transformers models: the configuration, a JSON object, a module:attribute naming a "
        "PretrainedConfig, or the path of a config.json (the class's default configuration)",
        "CONFIG",
    ),
    DiagramOption(
        "framework",
        "the model's framework (auto: read from the source)",
        "NAME",
        choices=("auto", *FRAMEWORKS),
    ),
    DiagramOption("view", "which picture (autograd)", "VIEW", choices=VIEWS),
    DiagramOption(
        "mode",
        "train or eval: the mode the model runs in (the one its factory returns)",
        "MODE",
        choices=MODES,
    ),
    DiagramOption("depth", "modules view: levels of modules drawn (2)", "LEVELS"),
    DiagramOption("rankdir", "direction of the graph (TB)", "DIR", choices=RANKDIRS),
    DiagramOption(
        "device", "PyTorch: device the model is built and run on (meta)", "DEVICE", choices=DEVICES
    ),
    DiagramOption("timeout", "seconds the capture may take (120)", "SECONDS"),
    _flag("export", "PyTorch: draw the torch.export program of the model (off)"),
    _flag("fold", "modules view: draw repeated blocks once, marked × N (on)"),
    DiagramOption(
        "color-by",
        "modules view: colour the nodes by their parameters, MACs or output memory, with a legend",
        "METRIC",
        choices=COLOR_BY,
    ),
    DiagramOption(
        "overlay",
        "modules view: colour the nodes by the numbers a function of yours gives each module "
        "path, called with the model (module:function)",
        "FUNCTION",
    ),
    _flag("summary", "also make the table of modules and parameters (off)"),
    _flag("show-attrs", "PyTorch: show the autograd nodes' attributes (off)"),
    _flag("show-saved", "PyTorch: show tensors saved for backward (off)"),
    _flag("show-shapes", "Keras: show each layer's input and output shapes (on)"),
    _flag("show-layer-names", "Keras: show layer names (on)"),
    _flag("show-dtype", "Keras: show each layer's dtype (off)"),
    _flag("expand-nested", "Keras: draw nested models expanded (off)"),
    DiagramOption(
        "format", "image format shown in HTML (svg)", "FORMAT", "display", choices=OUTPUT_FORMATS
    ),
    DiagramOption("caption", "caption under the picture", "TEXT", "display"),
    DiagramOption("name", "label for references to the figure", "LABEL", "display"),
    DiagramOption("alt", "alternative text of the picture", "TEXT", "display"),
    DiagramOption("align", "alignment (center)", "WHERE", "display", choices=ALIGNMENTS),
    DiagramOption("width", "width, such as 600px, 80% or 12cm", "LENGTH", "display"),
    DiagramOption("class", "CSS classes of the picture", "NAMES", "display"),
)


def parse_choice(option: str, text: str, choices: tuple[str, ...]) -> str:
    value = text.strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ArchvizError("option", f":{option}: {value!r} is not one of {', '.join(choices)}")


def parse_flag(option: str, text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ArchvizError("option", f":{option}: {text.strip()!r} is not true or false")


def parse_depth(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ArchvizError(
            "option", f":depth: {text.strip()!r} is not a whole number of levels (1 or more)"
        )
    return value


def parse_kwargs(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchvizError(
            "option",
            f":kwargs: is not valid JSON ({exc.msg} at column {exc.colno}); "
            'write an object such as {"num_classes": 4}',
        ) from None
    if not isinstance(value, dict):
        raise ArchvizError(
            "option",
            f':kwargs: must be a JSON object such as {{"num_classes": 4}}, '
            f"not {type(value).__name__}",
        )
    return value


def parse_inputs(shape_text: str | None, dtype_text: str | None) -> tuple[ExampleInput, ...]:
    """``"1, 3, 32, 32; 1, 10"`` and ``"float32; int64"`` → one ExampleInput per input."""
    if shape_text is None:
        if dtype_text is not None:
            raise ArchvizError("input", ":input-dtype: needs :input-shape: as well")
        return ()
    shapes = [_parse_shape(part) for part in shape_text.split(";")]
    dtypes = _parse_dtypes(dtype_text or "float32", len(shapes))
    return tuple(ExampleInput(shape, dtype) for shape, dtype in zip(shapes, dtypes, strict=True))


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.replace("×", ",").split(",")]
    if parts == [""]:
        raise ArchvizError(
            "input", ":input-shape: is empty; write sizes separated by commas, e.g. 1, 3, 224, 224"
        )
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise ArchvizError(
            "input",
            f":input-shape: {text.strip()!r} is not a list of whole numbers; "
            "write sizes separated by commas, e.g. 1, 3, 224, 224 (inputs separated by ;)",
        ) from None
    if any(size <= 0 for size in shape):
        raise ArchvizError(
            "input", f":input-shape: {text.strip()!r} has a size below 1; every size must be ≥ 1"
        )
    return shape


def _parse_dtypes(text: str, count: int) -> list[str]:
    dtypes = [part.strip() for part in text.split(";")]
    for dtype in dtypes:
        if dtype not in DTYPES:
            raise ArchvizError(
                "input", f":input-dtype: {dtype!r} is not one of {', '.join(DTYPES)}"
            )
    if len(dtypes) == 1:
        return dtypes * count
    if len(dtypes) != count:
        raise ArchvizError(
            "input",
            f":input-dtype: gives {len(dtypes)} dtypes for {count} inputs; "
            "give one for all inputs or one per input",
        )
    return dtypes


@dataclass(frozen=True)
class Display:
    """How a diagram is shown (HTML); nothing here changes its DOT."""

    reference: str
    format: str
    alt: str
    align: str | None = None
    width: str | None = None
    classes: tuple[str, ...] = ()
    caption: str | None = None
    name: str | None = None


def capture_request(
    reference: str, options: Mapping[str, str], config: Mapping[str, Any], workdir: str
) -> CaptureRequest:
    """The request for the diagram of ``reference`` with these option texts; ``config`` gives
    the defaults (``archviz_view`` …, ``archviz_sys_path`` already absolute)."""
    search_paths = tuple(config["archviz_sys_path"])
    framework = parse_choice("framework", options.get("framework", "auto"), ("auto", *FRAMEWORKS))
    file_framework = framework_of_file(reference)
    if file_framework is not None:
        reference, framework = model_file(reference, workdir), file_framework
    else:
        parsed = parse_reference(reference)
        reference = str(parsed)
        if framework == "auto":
            framework = detect_framework(parsed, search_paths)
    view, view_chosen = view_for(config["archviz_view"], framework)  # type: ignore[arg-type]
    if "view" in options:
        view, view_chosen = parse_choice("view", options["view"], VIEWS), True
    color_by = (
        parse_choice("color-by", options["color-by"], COLOR_BY) if "color-by" in options else ""
    )
    overlay = parse_overlay(options["overlay"]) if "overlay" in options else ""
    if color_by and overlay:
        raise ArchvizError("option", ":color-by: and :overlay: both colour the nodes; keep one")
    colour = f":color-by: {color_by}" if color_by else f":overlay: {overlay}" if overlay else ""
    if colour and "view" not in options:
        view, view_chosen = "modules", True  # only the modules view has nodes to colour
    if colour and view != "modules":
        raise ArchvizError(
            "option", f"{colour} colours the modules view; remove :view: or write :view: modules"
        )
    flags = {
        option.keyword: parse_flag(option.name, options[option.name])
        for option in DIAGRAM_OPTIONS
        if option.flag and option.name in options
    }
    return CaptureRequest(
        reference=reference,
        framework=framework,  # type: ignore[arg-type]
        inputs=parse_inputs(options.get("input-shape"), options.get("input-dtype")),
        kwargs=parse_kwargs(options["kwargs"]) if "kwargs" in options else {},
        config=_config(options["config"], workdir) if "config" in options else None,
        rankdir=_choice(options, config, "rankdir", RANKDIRS),
        device=_choice(options, config, "device", DEVICES),
        view=view,
        view_chosen=view_chosen,
        color_by=color_by,
        overlay=overlay,
        mode=parse_choice("mode", options["mode"], MODES) if "mode" in options else "",
        depth=parse_depth(options["depth"]) if "depth" in options else config["archviz_depth"],
        explore_depth=parse_depth(options["depth"]) if "depth" in options else None,
        search_paths=search_paths,
        workdir=workdir,
        **flags,
    )


def parse_overlay(text: str) -> str:
    """The ``module:function`` of ``:overlay:``, checked for form only (a worker imports it)."""
    try:
        return str(parse_reference(text))
    except ArchvizError:
        raise ArchvizError(
            "option",
            f":overlay: {text.strip()!r} is not a reference of the form module.path:function "
            "(for example overlays:weight_sparsity)",
        ) from None


def model_file(reference: str, workdir: str) -> str:
    """A model file's absolute path (relative paths are from ``workdir``); it must exist."""
    path = Path(workdir, reference.strip())
    if not path.is_file():
        raise ArchvizError(
            "file",
            f"no model file {reference.strip()}: paths are relative to the page, then to the "
            "folder of conf.py",
        )
    return str(path.resolve())


def _config(text: str, workdir: str) -> str:
    """A transformers configuration; a ``config.json`` path made absolute (from ``conf.py``)."""
    text = text.strip()
    return str(Path(workdir, text)) if text.endswith(".json") else text


def _choice(
    options: Mapping[str, str], config: Mapping[str, Any], name: str, choices: tuple[str, ...]
) -> str:
    return parse_choice(name, options.get(name, config[f"archviz_{name}"]), choices)


def capture_timeout(options: Mapping[str, str], config: Mapping[str, Any]) -> float:
    if "timeout" not in options:
        return config["archviz_timeout"]
    try:
        seconds = float(options["timeout"])
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise ArchvizError(
            "option", f":timeout: {options['timeout']!r} is not a positive number of seconds"
        )
    return seconds


def display(reference: str, options: Mapping[str, Any], config: Mapping[str, Any]) -> Display:
    """The display options, checked; ``class`` may be a list already (the directive's)."""
    classes = options.get("class", ())
    return Display(
        reference=reference,
        format=parse_choice(
            "format", options.get("format", config["archviz_output_format"]), OUTPUT_FORMATS
        ),
        alt=options.get("alt", f"Architecture diagram of {reference}"),
        align=parse_choice("align", options["align"], ALIGNMENTS) if "align" in options else None,
        width=parse_width(options["width"]) if "width" in options else None,
        classes=tuple(classes.split() if isinstance(classes, str) else classes),
        caption=options.get("caption"),
        name=options.get("name"),
    )


def parse_width(text: str) -> str:
    from docutils.parsers.rst import directives

    try:
        return directives.length_or_percentage_or_unitless(text)
    except ValueError:
        raise ArchvizError(
            "option", f":width: {text!r} is not a length such as 600px, 80% or 12cm"
        ) from None
