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

from sphinx_archviz.capture.detect import detect_framework
from sphinx_archviz.config import DEVICES, OUTPUT_FORMATS, RANKDIRS
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
from sphinx_archviz.options import (
    parse_choice,
    parse_depth,
    parse_flag,
    parse_inputs,
    parse_kwargs,
)
from sphinx_archviz.pipeline import capture_diagram
from sphinx_archviz.reference import parse_reference
from sphinx_archviz.request import FRAMEWORKS, MODES, VIEWS, CaptureRequest, PartialDrawing
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
UNAVAILABLE_CLASS = "archviz-unavailable"
PARTIAL_CLASS = "archviz-partial"


class archviz(nodes.General, nodes.Inline, nodes.Element):
    """A captured diagram: its DOT source and how to show it."""


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
        "mode": directives.unchanged,
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
        return partial_node(diagram, partial)

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
            mode=parse_choice("mode", self.options["mode"], MODES)
            if "mode" in self.options
            else "",
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
