"""The summary table under a diagram (``:summary:``): a plain docutils table, so every builder
writes it and the search index finds its names."""

from __future__ import annotations

from docutils import nodes

from sphinx_archviz.request import Change, Summary
from sphinx_archviz.units import format_bytes, format_macs, format_number

SUMMARY_CLASS = "archviz-summary"
HEADINGS = (
    "Name",
    "Type",
    "Output shape",
    "Trainable params",
    "Non-trainable params",
    "MACs",
    "Output memory",
    "dtype",
)
_INDENT = "\u00a0\u00a0\u00a0\u00a0"


def summary_table(summary: Summary) -> nodes.table:
    """One row per module or layer drawn, then the totals of the whole model; with an
    ``:overlay:``, a last column of its numbers."""
    overlaid = bool(summary.overlay_title)
    headings = (*HEADINGS, *([summary.overlay_title] if overlaid else []))
    table = nodes.table(classes=[SUMMARY_CLASS])
    group = nodes.tgroup(cols=len(headings))
    table += group
    for width in (30, 18, 16, 12, 12, 8, 10, 8, 10)[: len(headings)]:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(headings)
    group += head
    body = nodes.tbody()
    for row in summary.rows:
        body += _row(
            (
                _INDENT * row.level + row.name,
                row.type,
                row.output_shape,
                f"{row.trainable:,}",
                f"{row.non_trainable:,}",
                format_macs(row.macs),
                format_bytes(row.memory),
                row.dtype,
                *([_number(row.overlay)] if overlaid else []),
            )
        )
    total = summary.trainable + summary.non_trainable
    body += _row(
        (
            f"Total: {total:,} params",
            "",
            "",
            f"{summary.trainable:,}",
            f"{summary.non_trainable:,}",
            format_macs(summary.macs),
            format_bytes(summary.memory),
            "",
            *([_number(summary.overlay)] if overlaid else []),
        ),
        strong=True,
    )
    group += body
    return table


CHANGES_CLASS = "archviz-changes"
CHANGE_HEADINGS = ("Change", "Name", "Type", "Output shape", "Δ params", "Δ MACs")


def changes_table(changes: tuple[Change, ...]) -> nodes.table:
    """``archviz-diff``: one row per module added, removed or changed."""
    table = nodes.table(classes=[CHANGES_CLASS])
    group = nodes.tgroup(cols=len(CHANGE_HEADINGS))
    table += group
    for width in (10, 26, 20, 24, 12, 12):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(CHANGE_HEADINGS)
    group += head
    body = nodes.tbody()
    for change in changes:
        body += _row(
            (
                change.change,
                change.name,
                change.type,
                change.shape,
                f"{change.params_delta:+,}",
                _signed(change.macs_delta),
            )
        )
    if not changes:
        body += _row(("none", "", "", "", "+0", "+0"))
    group += body
    return table


def _number(value: float | None) -> str:
    return "" if value is None else format_number(value)


def _signed(macs: int) -> str:
    return ("+" if macs >= 0 else "−") + format_macs(abs(macs))


def _row(cells: tuple[str, ...], strong: bool = False) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        if text:
            content: nodes.Node = nodes.strong(text=text) if strong else nodes.Text(text)
            entry += nodes.paragraph("", "", content)
        row += entry
    return row
