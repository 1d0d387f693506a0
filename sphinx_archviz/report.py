"""A report of every diagram, written at the end of each build: ``archviz-report.json`` in the
output folder and, with ``archviz_report_page``, a page of the HTML site (like sphinx-gallery's
``sg_execution_times``).

Each row says where the diagram is, whether its capture ran in a worker or came from the cache,
how long the capture and the layout took, the worker's peak memory and the outcome. A build
reads only the pages that changed, so the rows of the pages it did not read are carried over
from the previous report.
"""

from __future__ import annotations

import contextlib
import html
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx_archviz import __version__
from sphinx_archviz.failures import is_expected
from sphinx_archviz.html import labels
from sphinx_archviz.journal import Diagram, diagrams, natural_order
from sphinx_archviz.state import build_state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

REPORT_FILE = "archviz-report.json"
REPORT_PAGE = "archviz-report"


def report(env: BuildEnvironment, outdir: Path) -> list[Diagram]:
    """This build's diagrams, and the previous report's for the pages not read this time."""
    read_now = build_state(env).read_now
    rows: dict[str, dict[str, Any]] = {}
    for row in _previous(outdir):
        if row.get("docname") in env.found_docs and row.get("docname") not in read_now:
            rows[row.get("location", "")] = row
    for diagram in diagrams(env):
        known = rows.setdefault(diagram.location, {})
        news = {name: value for name, value in asdict(diagram).items() if value not in ("", None)}
        known.update(news)
    found = []
    names = {field.name for field in fields(Diagram)}
    for row in rows.values():
        with contextlib.suppress(TypeError):
            found.append(Diagram(**{name: row[name] for name in names if name in row}))
    return sorted(found, key=natural_order)


def _previous(outdir: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads((outdir / REPORT_FILE).read_text(encoding="utf-8"))["diagrams"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [row for row in rows if isinstance(row, dict)]


def outcome(env: BuildEnvironment, diagram: Diagram) -> str:
    """``ok``, ``failed``, ``expected failure``, ``unexpected success``; ``, partial`` when
    the picture shows the part of the model that ran."""
    text: str = diagram.outcome
    if diagram.outcome == "ok" and is_expected(
        env, diagram.docname, diagram.location, diagram.reference
    ):
        text = "unexpected success"
    if diagram.subtype and diagram.failed:
        text += f" ({diagram.subtype})"
    return text + (", partial" if diagram.partial else "")


def source_line(env: BuildEnvironment, diagram: Diagram) -> str:
    """``usage.md:12``: the directive's file, relative to the source folder, and line; with
    the page first when the directive comes from an included file (``reference
    (snippets/basic.md:1)``)."""
    where = f"{_relative(env, diagram.location.rpartition(':')[0])}:{diagram.line}"
    page = _relative(env, str(env.doc2path(diagram.docname))) if diagram.docname else ""
    if page and not where.startswith(f"{page}:"):
        return f"{diagram.docname} ({where})"
    return where


def _relative(env: BuildEnvironment, source: str) -> str:
    with contextlib.suppress(ValueError):
        return Path(source).relative_to(env.srcdir).as_posix()
    return source


def write_report(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None:
        return
    rows = report(app.env, Path(app.outdir))
    if not rows and not (Path(app.outdir) / REPORT_FILE).exists():
        return
    entries = [
        {
            **asdict(diagram),
            "where": source_line(app.env, diagram),
            "result": outcome(app.env, diagram),
        }
        for diagram in rows
    ]
    with contextlib.suppress(OSError):
        (Path(app.outdir) / REPORT_FILE).write_text(
            json.dumps({"archviz": __version__, "diagrams": entries}, indent=1) + "\n",
            encoding="utf-8",
        )


COLUMNS = ("reference", "where", "capture", "capture-time", "layout-time", "memory", "result")


def report_page(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """``archviz-report.html``, made after every page is written, so its layout times are
    this build's."""
    if not app.config.archviz_report_page or app.builder.name == "epub":
        return
    words = labels(app.config.language)
    rows = report(app.env, Path(app.outdir))
    head = "".join(f"<th>{words[column]}</th>" for column in COLUMNS)
    body = "".join(f"<tr>{_cells(app.env, diagram)}</tr>\n" for diagram in rows)
    table = (
        f'<table class="docutils align-default archviz-report">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}</tbody>\n</table>\n"
    )
    title = words["report"]
    text = (
        f'<section id="{REPORT_PAGE}">\n<h1>{title}</h1>\n<p>{words["report-intro"]}</p>\n'
        f"{table}</section>\n"
    )
    yield REPORT_PAGE, {"title": title, "body": text}, "page.html"


def _cells(env: BuildEnvironment, diagram: Diagram) -> str:
    values = (
        diagram.reference,
        source_line(env, diagram),
        diagram.capture or "–",
        _seconds(diagram.capture_seconds),
        _seconds(diagram.layout_seconds),
        f"{diagram.peak_memory / 2**20:,.0f}\u00a0MiB" if diagram.peak_memory else "–",
        outcome(env, diagram),
    )
    return "".join(f"<td>{html.escape(value)}</td>" for value in values)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}\u00a0s"


def add_report_label(app: Sphinx, env: BuildEnvironment, _docnames: list[str]) -> None:
    """Let pages link to the report page as to the index: ``:ref:`archviz-report```."""
    if app.config.archviz_report_page and app.builder.format == "html":
        words = labels(app.config.language)
        std = env.domains.standard_domain
        std.anonlabels[REPORT_PAGE] = (REPORT_PAGE, "")
        std.labels[REPORT_PAGE] = (REPORT_PAGE, "", words["report"])


def keep_out_of_ebooks(app: Sphinx) -> None:
    """An e-book packs every file of its output folder; the report is not part of the book."""
    if app.builder.name == "epub":
        app.config.epub_exclude_files = [*app.config.epub_exclude_files, REPORT_FILE]


def setup_report(app: Sphinx) -> None:
    app.connect("builder-inited", keep_out_of_ebooks)
    app.connect("env-before-read-docs", add_report_label)
    app.connect("html-collect-pages", report_page)
    app.connect("build-finished", write_report)
