"""The ``archviz`` directive: options → a capture request → the diagram node (or a placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.ext.graphviz import figure_wrapper
from sphinx.util.docutils import SphinxDirective

from sphinx_archviz.config import DEVICES, OUTPUT_FORMATS, RANKDIRS
from sphinx_archviz.detect import detect_framework
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.failures import report_failure
from sphinx_archviz.frameworks import FRAMEWORKS
from sphinx_archviz.nodes import archviz, unavailable_node
from sphinx_archviz.options import (
    parse_choice,
    parse_depth,
    parse_flag,
    parse_inputs,
    parse_kwargs,
)
from sphinx_archviz.pipeline import capture_diagram
from sphinx_archviz.reference import parse_reference
from sphinx_archviz.request import VIEWS, CaptureRequest
from sphinx_archviz.summary import summary_table

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec

#: Boolean options and the CaptureRequest field each one sets.
FLAG_OPTIONS = {
    "show-attrs": "show_attrs",
    "show-saved": "show_saved",
    "show-shapes": "show_shapes",
    "show-layer-names": "show_layer_names",
    "show-dtype": "show_dtype",
    "expand-nested": "expand_nested",
    "fold": "fold",
    "summary": "summary",
}
ALIGNMENTS = ("left", "center", "right")


class ArchvizDirective(SphinxDirective):
    """``.. archviz:: module.path:attribute`` draws the referenced model's architecture."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[OptionSpec] = {
        "input-shape": directives.unchanged,
        "input-dtype": directives.unchanged,
        "kwargs": directives.unchanged,
        "framework": directives.unchanged,
        "format": directives.unchanged,
        "rankdir": directives.unchanged,
        "device": directives.unchanged,
        "timeout": directives.unchanged,
        "view": directives.unchanged,
        "depth": directives.unchanged,
        **dict.fromkeys(FLAG_OPTIONS, directives.unchanged),
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "alt": directives.unchanged,
        "align": directives.unchanged,
        "width": directives.unchanged,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        try:
            diagram = self.diagram_node()
            capture = capture_diagram(
                self.env, self.capture_request(), self.get_location(), self.timeout()
            )
        except ArchvizError as error:
            report_failure(
                self.env, self.env.docname, error, self.arguments[0], self.get_location()
            )
            return [self.wrap(unavailable_node(self.arguments[0], error))]
        for path in capture.source_files:
            self.env.note_dependency(path)
        diagram["dot"] = capture.dot
        if capture.summary is None:
            return [self.wrap(diagram)]
        return [self.wrap(diagram), summary_table(capture.summary)]

    def diagram_node(self) -> archviz:
        """The node with everything but the DOT source; checks the display options."""
        node = archviz(
            reference=self.arguments[0],
            format=parse_choice(
                "format",
                self.options.get("format", self.config.archviz_output_format),
                OUTPUT_FORMATS,
            ),
            alt=self.options.get("alt", f"Architecture diagram of {self.arguments[0]}"),
            classes=self.options.get("class", []),
        )
        if "align" in self.options:
            node["align"] = parse_choice("align", self.options["align"], ALIGNMENTS)
        if "width" in self.options:
            node["width"] = _parse_width(self.options["width"])
        self.set_source_info(node)
        return node

    def capture_request(self) -> CaptureRequest:
        reference = parse_reference(self.arguments[0])
        search_paths = tuple(self.config.archviz_sys_path)
        framework = parse_choice(
            "framework", self.options.get("framework", "auto"), ("auto", *FRAMEWORKS)
        )
        flags = {
            field: parse_flag(option, self.options[option])
            for option, field in FLAG_OPTIONS.items()
            if option in self.options
        }
        return CaptureRequest(
            reference=str(reference),
            framework=(
                detect_framework(reference, search_paths) if framework == "auto" else framework  # type: ignore[arg-type]
            ),
            inputs=parse_inputs(self.options.get("input-shape"), self.options.get("input-dtype")),
            kwargs=parse_kwargs(self.options["kwargs"]) if "kwargs" in self.options else {},
            rankdir=parse_choice(
                "rankdir", self.options.get("rankdir", self.config.archviz_rankdir), RANKDIRS
            ),
            device=parse_choice(
                "device", self.options.get("device", self.config.archviz_device), DEVICES
            ),
            view=parse_choice("view", self.options.get("view", self.config.archviz_view), VIEWS),
            depth=(
                parse_depth(self.options["depth"])
                if "depth" in self.options
                else self.config.archviz_depth
            ),
            search_paths=search_paths,
            workdir=str(self.env.srcdir),
            **flags,
        )

    def timeout(self) -> float:
        if "timeout" not in self.options:
            return self.config.archviz_timeout
        try:
            seconds = float(self.options["timeout"])
        except ValueError:
            seconds = 0
        if not seconds > 0:
            raise ArchvizError(
                "option",
                f":timeout: {self.options['timeout']!r} is not a positive number of seconds",
            )
        return seconds

    def wrap(self, node: nodes.Element) -> nodes.Element:
        """Put the node in a figure when there is a caption, and give it its ``:name:``."""
        if "caption" in self.options:
            node = figure_wrapper(self, node, self.options["caption"])  # type: ignore[arg-type]
        self.add_name(node)
        return node


def _parse_width(text: str) -> str:
    try:
        return directives.length_or_percentage_or_unitless(text)
    except ValueError:
        raise ArchvizError(
            "option", f":width: {text!r} is not a length such as 600px, 80% or 12cm"
        ) from None


def setup_directive(app: Sphinx) -> None:
    app.add_directive("archviz", ArchvizDirective)
