"""The ``archviz`` directive: options → a capture request → the diagram node (or a placeholder)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.ext.graphviz import figure_wrapper
from sphinx.util.docutils import SphinxDirective

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.failures import report_failure
from sphinx_archviz.frameworks import framework_of_file
from sphinx_archviz.nodes import archviz, partial_node, unavailable_node
from sphinx_archviz.options import DIAGRAM_OPTIONS, capture_request, capture_timeout, display
from sphinx_archviz.pipeline import capture_diagram
from sphinx_archviz.reference import parse_reference
from sphinx_archviz.request import Capture, CaptureRequest, PartialDrawing
from sphinx_archviz.summary import changes_table, summary_table

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import OptionSpec


class ArchvizDirective(SphinxDirective):
    """``.. archviz:: module.path:attribute`` draws the referenced model's architecture."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[OptionSpec] = {
        option.name: directives.class_option if option.name == "class" else directives.unchanged
        for option in DIAGRAM_OPTIONS
    }

    def run(self) -> list[nodes.Node]:
        try:
            diagram = self.diagram_node()
            request = self.capture_request()
            capture = capture_diagram(self.env, request, self.get_location(), self.timeout())
        except ArchvizError as error:
            if error.partial is None:
                report_failure(
                    self.env, self.env.docname, error, self.arguments[0], self.get_location()
                )
                return [self.wrap(unavailable_node(self.arguments[0], error))]
            return [self.wrap(self.partial_diagram(diagram, error, error.partial, request.view))]
        for path in capture.source_files:
            self.env.note_dependency(path)
        diagram["dot"] = capture.dot
        diagram["hierarchy"] = capture.hierarchy
        diagram["first_sight"] = capture.first_sight
        return [self.wrap(diagram), *self.tables(capture)]

    def tables(self, capture: Capture) -> list[nodes.Node]:
        """What comes under the picture: the summary table, if asked for."""
        return [] if capture.summary is None else [summary_table(capture.summary)]

    def partial_diagram(
        self, diagram: archviz, error: ArchvizError, partial: PartialDrawing, view: str
    ) -> nodes.container:
        """Report the failure and show what ran before it, labelled as partial."""
        shows = f"the diagram shows the part that ran, up to {partial.stopped_at}"
        if view != "modules":
            shows += ", drawn in the modules view (the autograd graph needs the model's output)"
        report_failure(
            self.env,
            self.env.docname,
            ArchvizError(error.subtype, f"{error.message}; {shows}"),
            self.arguments[0],
            self.get_location(),
            partial=True,
        )
        diagram["dot"] = partial.dot
        return partial_node(diagram, partial)

    def diagram_node(self) -> archviz:
        """The node with everything but the DOT source; checks the display options."""
        shown = display(self.arguments[0], self.options, self.config)
        node = archviz(
            reference=self.arguments[0],
            format=shown.format,
            alt=shown.alt,
            classes=list(shown.classes),
        )
        if shown.align:
            node["align"] = shown.align
        if shown.width:
            node["width"] = shown.width
        self.set_source_info(node)
        return node

    def capture_request(self) -> CaptureRequest:
        return capture_request(self.reference(), self.options, self.config, str(self.env.srcdir))

    def reference(self) -> str:
        """The argument; a model file's path made relative to the folder of conf.py when it
        is found beside the page."""
        argument = self.arguments[0]
        if framework_of_file(argument) is None:
            return argument
        beside_page = Path(self.env.doc2path(self.env.docname)).parent / argument
        return str(beside_page) if beside_page.is_file() else argument

    def timeout(self) -> float:
        return capture_timeout(self.options, self.config)

    def wrap(self, node: nodes.Element) -> nodes.Element:
        """Put the node in a figure when there is a caption, and give it its ``:name:``."""
        if "caption" in self.options:
            node = figure_wrapper(self, node, self.options["caption"])  # type: ignore[arg-type]
        self.add_name(node)
        return node


class ArchvizDiffDirective(ArchvizDirective):
    """``.. archviz-diff:: old.module:Model new.module:Model`` draws the new model's modules view
    with the modules added, removed or changed since the old one marked, and a table of them."""

    required_arguments = 2

    def run(self) -> list[nodes.Node]:
        self.arguments = [self.arguments[1], self.arguments[0]]  # the new model, then the old
        return super().run()

    def tables(self, capture: Capture) -> list[nodes.Node]:
        return [changes_table(capture.changes)]

    def capture_request(self) -> CaptureRequest:
        options = {**self.options, "view": "modules"}
        request = capture_request(self.arguments[0], options, self.config, str(self.env.srcdir))
        return dataclasses.replace(request, compare_to=str(parse_reference(self.arguments[1])))


def setup_directive(app: Sphinx) -> None:
    app.add_directive("archviz", ArchvizDirective)
    app.add_directive("archviz-diff", ArchvizDiffDirective)
