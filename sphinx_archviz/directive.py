"""The ``archviz`` directive, its node and the node's visitors for each builder."""

from __future__ import annotations

import posixpath
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.ext.graphviz import figure_wrapper
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxTranslator

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.failures import report_failure
from sphinx_archviz.graphviz import render
from sphinx_archviz.html import (
    ClassLinker,
    diagram_html,
    explorable_and_downloads,
    files_to_render,
    image_folder,
)
from sphinx_archviz.journal import location_of, note
from sphinx_archviz.options import DIAGRAM_OPTIONS, capture_request, capture_timeout, display
from sphinx_archviz.pipeline import capture_diagram
from sphinx_archviz.request import CaptureRequest, PartialDrawing
from sphinx_archviz.summary import summary_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.typing import OptionSpec
    from sphinx.writers.html5 import HTML5Translator
    from sphinx.writers.latex import LaTeXTranslator
    from sphinx.writers.manpage import ManualPageTranslator
    from sphinx.writers.texinfo import TexinfoTranslator
    from sphinx.writers.text import TextTranslator

logger = logging.getLogger(__name__)

UNAVAILABLE_CLASS = "archviz-unavailable"
PARTIAL_CLASS = "archviz-partial"


class archviz(nodes.General, nodes.Inline, nodes.Element):
    """A captured diagram: its DOT source and how to show it."""


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
        if capture.summary is None:
            return [self.wrap(diagram)]
        return [self.wrap(diagram), summary_table(capture.summary)]

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
        diagram["partial"] = True
        diagram["classes"].append(f"{PARTIAL_CLASS}-diagram")
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
        return capture_request(self.arguments[0], self.options, self.config, str(self.env.srcdir))

    def timeout(self) -> float:
        return capture_timeout(self.options, self.config)

    def wrap(self, node: nodes.Element) -> nodes.Element:
        """Put the node in a figure when there is a caption, and give it its ``:name:``."""
        if "caption" in self.options:
            node = figure_wrapper(self, node, self.options["caption"])  # type: ignore[arg-type]
        self.add_name(node)
        return node


def unavailable_node(reference: str, error: ArchvizError) -> nodes.container:
    """The visible box that stands where a diagram could not be drawn."""
    box = nodes.container(classes=[UNAVAILABLE_CLASS])
    box += nodes.paragraph("", "", nodes.strong("", f"Diagram unavailable: {reference}"))
    box += nodes.paragraph("", error.message)
    return box


def partial_node(diagram: archviz, partial: PartialDrawing) -> nodes.container:
    """A diagram of what ran before the forward pass failed, under a banner that says so."""
    box = nodes.container(classes=[PARTIAL_CLASS])
    banner = nodes.paragraph(classes=["archviz-partial-banner"])
    banner += nodes.strong("", f"Partial diagram: stopped at {partial.stopped_at}")
    banner += nodes.Text(f": {partial.error}")
    box += banner
    box += diagram
    return box


def show_unavailable(translator: SphinxTranslator, error: ArchvizError, node: archviz) -> None:
    """At write time: report the failure and write the same placeholder the reader would."""
    env = translator.builder.env
    # The node's own source: LaTeX and Texinfo write several documents as one.
    docname = env.path2doc(node.source) or ""
    if not node.get("partial"):  # a partial diagram's failure was reported when it was read
        report_failure(env, docname, error, node["reference"], node)
    unavailable_node(node["reference"], error).walkabout(translator)


def resolve_sys_path(app: Sphinx, config: Config) -> None:
    """Make ``archviz_sys_path`` absolute, relative to the configuration directory."""
    config.archviz_sys_path = [
        str((Path(app.confdir) / folder).resolve()) for folder in config.archviz_sys_path
    ]


# Visitors ---------------------------------------------------------------------------------------


def render_files(
    translator: HTML5Translator | LaTeXTranslator | TexinfoTranslator,
    node: archviz,
    formats: Sequence[str],
    folder: Path | None = None,
) -> dict[str, str]:
    """Render the node's diagram in each format; the file name of each, in ``folder`` (the
    builder's image folder unless given)."""
    builder = translator.builder
    started = time.perf_counter()
    names = render(
        node["dot"],
        formats,
        folder or Path(builder.outdir, builder.imagedir),
        dot=builder.config.archviz_dot,
        dot_args=builder.config.archviz_dot_args,
        lock_folder=Path(builder.env.doctreedir, "archviz", "locks"),
        layout_timeout=builder.config.archviz_layout_timeout,
        on_fallback=lambda message: logger.info(
            "archviz: %s (%s:%s): %s", node["reference"], node.source, node.line, message
        ),
    )
    seconds = time.perf_counter() - started
    logger.verbose(
        "archviz: %s (%s:%s): %s laid out in %.2f s (%d edges)",
        node["reference"],
        node.source,
        node.line,
        names[formats[0]],
        seconds,
        node["dot"].count("->"),
    )
    env = builder.env
    note(
        env,
        env.path2doc(node.source) or "",
        location_of(node),
        node["reference"],
        layout_seconds=round(seconds, 3),
    )
    return names


def render_image(translator: LaTeXTranslator | TexinfoTranslator, node: archviz, fmt: str) -> str:
    """Render the node's diagram for this builder; the image's path relative to the page."""
    return posixpath.join(translator.builder.imgpath, render_files(translator, node, [fmt])[fmt])


def html_visit_archviz(self: HTML5Translator, node: archviz) -> None:
    shown = node["format"]
    interactive, downloads = explorable_and_downloads(self.builder)
    with image_folder(self.builder, shown) as folder:
        try:
            names = render_files(self, node, files_to_render(shown, downloads), folder)
        except ArchvizError as error:
            show_unavailable(self, error, node)
            raise nodes.SkipNode from None
        self.body.append(
            diagram_html(
                names=names,
                reference=node["reference"],
                image_folder=folder,
                image_uri=self.builder.imgpath,
                shown=shown,
                alt=node["alt"],
                classes=[f"align-{node.get('align', 'center')}", *node["classes"]],
                width=node.get("width"),
                interactive=interactive,
                downloads=downloads,
                language=self.builder.config.language,
                class_uri=ClassLinker(self.builder, self.builder.current_docname),
            )
        )
    raise nodes.SkipNode


def latex_visit_archviz(self: LaTeXTranslator, node: archviz) -> None:
    try:
        source = render_image(self, node, "pdf")
    except ArchvizError as error:
        show_unavailable(self, error, node)
        raise nodes.SkipNode from None
    options = f"width={self.latex_image_length(node['width'])}" if "width" in node else ""
    image = rf"\sphinxincludegraphics[{options}]{{{source}}}"
    if isinstance(node.parent, nodes.figure):
        self.body.append(image)
    else:
        self.body.append(f"\n\n\\begin{{center}}{image}\\end{{center}}\n\n")
    raise nodes.SkipNode


def texinfo_visit_archviz(self: TexinfoTranslator, node: archviz) -> None:
    try:
        source = render_image(self, node, "png")
    except ArchvizError as error:
        show_unavailable(self, error, node)
        raise nodes.SkipNode from None
    self.body.append(
        f"@image{{{source.removesuffix('.png')},,,{self.escape_arg(node['alt'])},png}}\n"
    )
    raise nodes.SkipNode


def text_visit_archviz(self: TextTranslator, node: archviz) -> None:
    self.add_text(f"[{node['alt']}]")
    raise nodes.SkipNode


def man_visit_archviz(self: ManualPageTranslator, node: archviz) -> None:
    self.body.append(f"[{self.deunicode(node['alt'])}]")
    raise nodes.SkipNode


def setup_node(app: Sphinx) -> None:
    app.add_node(
        archviz,
        html=(html_visit_archviz, None),
        latex=(latex_visit_archviz, None),
        texinfo=(texinfo_visit_archviz, None),
        text=(text_visit_archviz, None),
        man=(man_visit_archviz, None),
    )
    app.add_directive("archviz", ArchvizDirective)
    app.connect("config-inited", resolve_sys_path)
