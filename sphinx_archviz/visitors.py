"""Each builder's visitor for the diagram node: render the DOT with Graphviz at write time and
put the image (or, if that fails, the placeholder) in the page."""

from __future__ import annotations

import posixpath
import time
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxTranslator

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.failures import report_failure
from sphinx_archviz.graphviz import render
from sphinx_archviz.html import (
    ClassLinker,
    diagram_html,
    explorable_and_downloads,
    files_to_render,
    image_folder,
    print_downloads,
    whole_graph_downloads,
)
from sphinx_archviz.journal import location_of, note
from sphinx_archviz.nodes import archviz, unavailable_node
from sphinx_archviz.sources import SourceLinker
from sphinx_archviz.state import lock_folder

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator
    from sphinx.writers.latex import LaTeXTranslator
    from sphinx.writers.manpage import ManualPageTranslator
    from sphinx.writers.texinfo import TexinfoTranslator
    from sphinx.writers.text import TextTranslator

logger = logging.getLogger(__name__)


def show_unavailable(translator: SphinxTranslator, error: ArchvizError, node: archviz) -> None:
    """At write time: report the failure and write the same placeholder the reader would."""
    env = translator.builder.env
    # The node's own source: LaTeX and Texinfo write several documents as one.
    docname = env.path2doc(node.source) or ""
    if not node.get("partial"):  # a partial diagram's failure was reported when it was read
        report_failure(env, docname, error, node["reference"], node)
    unavailable_node(node["reference"], error).walkabout(translator)


def render_files(
    translator: HTML5Translator | LaTeXTranslator | TexinfoTranslator,
    node: archviz,
    formats: Sequence[str],
    folder: Path | None = None,
    for_print: bool = False,
    source: str = "dot",
) -> dict[str, str]:
    """Render the node's diagram (or its first sight, ``source="first_sight"``) in each format;
    the file name of each, in ``folder`` (the builder's image folder unless given)."""
    builder = translator.builder
    started = time.perf_counter()
    names = render(
        node[source],
        formats,
        folder or Path(builder.outdir, builder.imagedir),
        dot=builder.config.archviz_dot,
        dot_args=builder.config.archviz_dot_args,
        lock_folder=lock_folder(builder.env),
        layout_timeout=builder.config.archviz_layout_timeout,
        on_fallback=lambda message: _say_fallback(node, message),
        for_print=for_print,
    )
    seconds = time.perf_counter() - started
    if formats == ["dot"]:  # the DOT file is written as it is, not laid out
        return names
    logger.verbose(
        "archviz: %s (%s:%s): %s laid out in %.2f s (%d edges)",
        node["reference"],
        node.source,
        node.line,
        names[formats[0]],
        seconds,
        node[source].count("->"),
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


def _say_fallback(node: archviz, message: str) -> None:
    """Log a layout fallback once per diagram, however many of its pictures (first sight,
    whole graph, print files) are laid out."""
    said = node.setdefault("fallbacks_said", [])
    if message not in said:
        said.append(message)
        logger.info("archviz: %s (%s:%s): %s", node["reference"], node.source, node.line, message)


def render_image(translator: LaTeXTranslator | TexinfoTranslator, node: archviz, fmt: str) -> str:
    """Render the node's diagram for this builder, at its first sight where it has one (the
    state an explorable diagram opens in); the image's path relative to the page."""
    source = "first_sight" if node.get("first_sight") else "dot"
    names = render_files(translator, node, [fmt], source=source)
    return posixpath.join(translator.builder.imgpath, names[fmt])


def html_visit_archviz(self: HTML5Translator, node: archviz) -> None:
    shown = node["format"]
    interactive, downloads = explorable_and_downloads(self.builder)
    explorable = interactive and shown == "svg" and bool(node.get("first_sight"))
    with image_folder(self.builder, shown) as folder:
        try:
            if explorable:
                names, first_sight = explorer_files(self, node, downloads, folder)
            else:
                names = render_files(self, node, files_to_render(shown, downloads), folder)
                first_sight = ""
            for_print = print_downloads(self.builder)
            print_names = render_files(self, node, for_print, folder, True) if for_print else {}
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
                ids=node["ids"],
                source_uri=SourceLinker(self.builder, self.builder.current_docname),
                print_names=print_names,
                explorer=(first_sight, node["hierarchy"]) if explorable else None,
            )
        )
    raise nodes.SkipNode


def explorer_files(
    translator: HTML5Translator, node: archviz, downloads: list[str], folder: Path
) -> tuple[dict[str, str], str]:
    """An explorable diagram's files, and the SVG of its first sight, which the page shows and
    its SVG link offers. The whole graph is not laid out here: the browser lays out each state
    the reader opens (and DenseNet-201's whole graph takes Graphviz minutes)."""
    first_sight = render_files(translator, node, ["svg"], folder, source="first_sight")
    whole = whole_graph_downloads(downloads)
    names = render_files(translator, node, whole, folder) if whole else {}
    return {**names, **first_sight}, (folder / first_sight["svg"]).read_text(encoding="utf-8")


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
        # Its :name: without a caption: the anchor :ref: and :archviz-node: links point at.
        anchor = self.hypertarget_to(node)
        self.body.append(f"\n\n{anchor}\\begin{{center}}{image}\\end{{center}}\n\n")
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


def setup_visitors(app: Sphinx) -> None:
    app.add_node(
        archviz,
        html=(html_visit_archviz, None),
        latex=(latex_visit_archviz, None),
        texinfo=(texinfo_visit_archviz, None),
        text=(text_visit_archviz, None),
        man=(man_visit_archviz, None),
    )
