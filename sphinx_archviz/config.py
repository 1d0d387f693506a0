"""Every ``archviz_*`` configuration value, declared once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util import logging

from sphinx_archviz.frameworks import FRAMEWORKS, Framework
from sphinx_archviz.request import VIEWS

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

logger = logging.getLogger(__name__)

OUTPUT_FORMATS = ("svg", "png")
DEVICES = ("meta", "cpu")
RANKDIRS = ("TB", "LR", "BT", "RL")
DOWNLOAD_FORMATS = ("svg", "png", "dot")
PRINT_FORMATS = ("pdf", "svg", "png")


def _one_of(choices: tuple[str, ...]) -> tuple[Callable[[Any], bool], str]:
    return (lambda value: value in choices), "one of " + ", ".join(map(repr, choices))


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def memory_limit(value: Any) -> int | None:
    """``archviz_worker_memory`` in bytes: ``"4G"``, ``"512M"``, ``"50%"`` (of this machine's
    memory), a number of bytes, or None / 0 for no limit. ValueError if it is none of those."""
    if value is None or value == 0:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    text = str(value).strip().upper()
    if text.endswith("%") and 0 < float(text[:-1]) <= 100:
        return int(_physical_memory() * float(text[:-1]) / 100)
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    if text[-1:] in units and float(text[:-1]) > 0:
        return int(float(text[:-1]) * units[text[-1]])
    raise ValueError(value)


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _is_memory_limit(value: Any) -> bool:
    try:
        memory_limit(value)
    except (ValueError, TypeError):
        return False
    return True


def _level_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _strings(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


#: ``document:line`` in archviz_expected_failures (a reference's attribute is never digits).
_DOCUMENT_LINE = re.compile(r".+:\d+")
_REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def _diagram_list(value: Any) -> bool:
    return _strings(value) and all(
        _DOCUMENT_LINE.fullmatch(item) or _REFERENCE.fullmatch(item) for item in value
    )


def _download_formats(value: Any) -> bool:
    return _strings(value) and set(value) <= set(DOWNLOAD_FORMATS)


def _print_formats(value: Any) -> bool:
    return _strings(value) and set(value) <= set(PRINT_FORMATS)


def _view_setting(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) <= set(FRAMEWORKS) and all(view in VIEWS for view in value.values())
    return value in VIEWS


def view_for(setting: str | Mapping[str, str], framework: Framework) -> tuple[str, bool]:
    """The ``archviz_view`` of one framework's diagrams, and whether the setting names that
    framework (rather than giving every framework the same default)."""
    if isinstance(setting, str):
        return setting, False
    return setting.get(framework, "autograd"), framework in setting


@dataclass(frozen=True)
class ConfigValue:
    name: str
    default: Any
    types: tuple[type, ...]
    description: str
    check: tuple[Callable[[Any], bool], str] | None = None
    #: What a change of the value makes Sphinx redo ("env": re-read every page).
    rebuild: str = "env"


CONFIG_VALUES = (
    ConfigValue(
        "archviz_output_format",
        "svg",
        (str,),
        "Image format of diagrams in HTML output: 'svg' or 'png'.",
        _one_of(OUTPUT_FORMATS),
    ),
    ConfigValue(
        "archviz_downloads",
        list(DOWNLOAD_FORMATS),
        (list, tuple),
        "Download links under each HTML diagram: any of 'svg', 'png' and 'dot' (the Graphviz "
        "source); [] for none. For SVG diagrams the browser draws the PNG from the SVG.",
        (_download_formats, "a list of 'svg', 'png' and 'dot'"),
        rebuild="html",
    ),
    ConfigValue(
        "archviz_print_downloads",
        [],
        (list, tuple),
        "Download links of the variant for print under each HTML diagram: any of 'pdf' (vector, "
        "fonts embedded), 'svg' (text as outlines) and 'png' (300 dpi), on white paper without "
        "links; [] for none. Graphviz draws each at build time.",
        (_print_formats, "a list of 'pdf', 'svg' and 'png'"),
        rebuild="html",
    ),
    ConfigValue(
        "archviz_interactive",
        True,
        (bool,),
        "Let readers zoom, pan, search and open HTML diagrams full screen (a small script on "
        "pages with diagrams); False shows plain images.",
        rebuild="html",
    ),
    ConfigValue(
        "archviz_sys_path",
        ["."],
        (list, tuple),
        "Folders, relative to the configuration directory, searched for model modules.",
        (_strings, "a list of folder names"),
    ),
    ConfigValue("archviz_dot", "dot", (str,), "Name or path of the Graphviz 'dot' program."),
    ConfigValue(
        "archviz_dot_args",
        [],
        (list, tuple),
        "Extra command-line arguments for every 'dot' run, such as ['-Gdpi=96'].",
        (_strings, "a list of strings"),
    ),
    ConfigValue(
        "archviz_rankdir",
        "TB",
        (str,),
        "Default direction of diagrams: 'TB' (top to bottom), 'LR' (left to right), ...",
        _one_of(RANKDIRS),
    ),
    ConfigValue(
        "archviz_view",
        "autograd",
        (str, dict),
        "Default picture: 'autograd' (torchviz's autograd graph, plot_model's graph for Keras) "
        "or 'modules' (modules or layers with tensor shapes, repeated blocks folded); or a dict "
        "by framework, such as {'keras': 'modules'}. With the site-wide 'autograd', a model "
        "that graph would draw as one box (a subclassed Keras model) gets the modules view.",
        (
            _view_setting,
            "one of 'autograd', 'modules', or a dict of them by framework ('torch', 'keras')",
        ),
    ),
    ConfigValue(
        "archviz_depth",
        2,
        (int,),
        "Modules view: how many levels of nested modules are drawn; deeper modules are drawn "
        "as one node each.",
        (_level_count, "a whole number of levels, 1 or more"),
    ),
    ConfigValue(
        "archviz_cache",
        True,
        (bool,),
        "Keep captured diagrams under the build directory and reuse them while their inputs "
        "are unchanged.",
        rebuild="",
    ),
    ConfigValue(
        "archviz_device",
        "meta",
        (str,),
        "Where PyTorch models are built and run: 'meta' (no weight memory, no arithmetic; "
        "falls back to the CPU per diagram when needed) or 'cpu'.",
        _one_of(DEVICES),
    ),
    ConfigValue(
        "archviz_timeout",
        120,
        (int, float),
        "Seconds one diagram's capture may take before its worker process is stopped.",
        (_positive, "a positive number of seconds"),
        rebuild="",
    ),
    ConfigValue(
        "archviz_layout_timeout",
        20,
        (int, float),
        "Seconds Graphviz may spend laying out one diagram before archviz draws it with a "
        "faster layout instead.",
        (_positive, "a positive number of seconds"),
        rebuild="",
    ),
    ConfigValue(
        "archviz_worker_memory",
        "50%",
        (str, int, type(None)),
        "The most memory one framework worker may take: '4G', '512M', '50%' of this "
        "machine's memory, a number of bytes, or None for no limit.",
        (_is_memory_limit, "a size such as '4G', '512M' or '50%', or None"),
        rebuild="",
    ),
    ConfigValue(
        "archviz_warm_workers",
        False,
        (bool,),
        "Keep the framework processes (one per framework, which imports it once) running "
        "between builds, so that the next build's captures need not import the framework "
        "again; nox -s docs-live turns it on.",
        rebuild="",
    ),
    ConfigValue(
        "archviz_warm_idle_timeout",
        900,
        (int, float),
        "Seconds a framework process kept by archviz_warm_workers waits for the next capture "
        "before it stops.",
        (_positive, "a positive number of seconds"),
        rebuild="",
    ),
    ConfigValue(
        "archviz_fail_on_error",
        False,
        (bool,),
        "Fail the build (exit status 2) when any diagram could not be drawn, even without -W.",
        rebuild="",
    ),
    ConfigValue(
        "archviz_expected_failures",
        [],
        (list, tuple),
        "Diagrams that are meant to fail, by reference ('models:Broken') or as document:line "
        "('troubleshooting.md:42'): their failure is logged instead of warned about (the "
        "placeholder or partial picture still shows), and drawing one of them is a warning.",
        (_diagram_list, "a list of references (module:attribute) or document:line strings"),
    ),
    ConfigValue(
        "archviz_report_page",
        False,
        (bool,),
        "Add a page archviz-report.html to the HTML site with a row per diagram (where, "
        "cached or drawn, capture and layout time, peak memory, outcome); link to it with "
        ":ref:`archviz-report`. archviz-report.json is written in every build either way.",
        rebuild="html",
    ),
)


def register_config(app: Sphinx) -> None:
    for value in CONFIG_VALUES:
        app.add_config_value(
            value.name,
            value.default,
            value.rebuild,
            types=value.types,
            description=value.description,
        )
    app.connect("config-inited", replace_invalid_values)
    app.connect("config-inited", resolve_sys_path)


def replace_invalid_values(_app: Sphinx, config: Config) -> None:
    """Put the default in place of a value that fails its check, with a warning that says so."""
    for value in CONFIG_VALUES:
        if value.check is None:
            continue
        is_valid, requirement = value.check
        current = config[value.name]
        if not is_valid(current):
            logger.warning(
                "%s = %r must be %s; using %r",
                value.name,
                current,
                requirement,
                value.default,
                type="archviz",
                subtype="option",
            )
            config[value.name] = value.default


def resolve_sys_path(app: Sphinx, config: Config) -> None:
    """Make ``archviz_sys_path`` absolute, relative to the configuration directory."""
    config.archviz_sys_path = [
        str((Path(app.confdir) / folder).resolve()) for folder in config.archviz_sys_path
    ]
