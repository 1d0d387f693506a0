"""What a build says about its diagrams: the counts, the recap of failures, the per-diagram
report, and diagrams that are expected to fail."""

from __future__ import annotations

import json

import pytest
from sphinx.util.console import strip_colors

from tests.conftest import BuildProject, requires_dot

pytestmark = requires_dot

GOOD = ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"
FAILS_IN_CAPTURE = ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n"


def status(built) -> str:
    return strip_colors(built.app.status.getvalue())


@pytest.mark.framework
def test_a_diagram_that_fails_in_graphviz_is_counted_once(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": f"Title\n=====\n\n{FAILS_IN_CAPTURE}\n{GOOD}"},
        conf="archviz_dot = '/nowhere/dot'",
    )
    assert len(built.archviz_warnings()) == 2
    assert "archviz: 2 diagrams: 0 rendered, 0 cached, 2 failed" in status(built)


def test_the_recap_is_sorted_by_line_number_and_says_diagram_for_one(
    build_project: BuildProject,
) -> None:
    filler = "".join(f"Paragraph {number}.\n\n" for number in range(23))
    page = f"Title\n=====\n\nText.\n\n.. archviz:: first\n\n{filler}\n.. archviz:: second\n"
    built = build_project({"index.rst": page})
    log = status(built)
    recap = log[log.index("diagrams could not be drawn") :]
    assert recap.index("index.rst:6: first") < recap.index("index.rst:55: second"), recap
    assert "archviz: 2 diagrams could not be drawn:" in log

    single = build_project({"index.rst": "Title\n=====\n\n.. archviz:: first\n"})
    assert "archviz: 1 diagram could not be drawn:" in status(single)
    assert "archviz: 1 diagram: 0 rendered, 0 cached, 1 failed" in status(single)


@pytest.mark.framework
def test_an_expected_failure_is_logged_not_warned(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": f"Title\n=====\n\n{FAILS_IN_CAPTURE}\n{GOOD}"},
        conf="archviz_expected_failures = ['models:CNNModel']",
        warningiserror=True,
    )
    assert built.warnings == ""
    assert built.app.statuscode == 0
    assert "models:CNNModel (" in status(built) and "failed as expected: running" in status(built)
    assert "Partial diagram: stopped at conv3" in built.html()
    assert "could not be drawn" not in status(built)


@pytest.mark.framework
def test_an_expected_failure_that_draws_is_a_located_warning(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": f"Title\n=====\n\n{GOOD}"},
        conf="archviz_expected_failures = ['index.rst:4']",
        warningiserror=True,
    )
    [warning] = built.archviz_warnings()
    assert warning["path"].endswith("index.rst") and warning["line"] == "4"
    assert "drawn, but archviz_expected_failures says it fails" in warning["text"]
    assert warning["text"].endswith("[archviz.unexpected-success]")
    assert built.app.statuscode == 1


def test_expected_failures_must_be_references_or_document_lines(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n"}, conf="archviz_expected_failures = ['index.rst']"
    )
    assert "archviz_expected_failures = ['index.rst'] must be a list of references" in (
        built.warnings
    )


def report_rows(built) -> list[dict]:
    return json.loads((built.outdir / "archviz-report.json").read_text())["diagrams"]


@pytest.mark.framework
def test_the_report_lists_every_diagram_with_its_costs_and_outcome(
    build_project: BuildProject,
) -> None:
    page = f"Title\n=====\n\n{GOOD}\n{FAILS_IN_CAPTURE}"
    built = build_project({"index.rst": page})
    good, bad = report_rows(built)
    assert (good["where"], good["reference"], good["capture"]) == (
        "index.rst:4",
        "torch_models:TinyMLP",
        "drawn",
    )
    assert good["capture_seconds"] > 0 and good["layout_seconds"] > 0
    assert good["peak_memory"] > 50 * 2**20  # a worker that imported torch
    assert good["result"] == "ok"
    assert (bad["where"], bad["result"]) == ("index.rst:7", "failed (forward), partial")
    assert bad["capture"] == "" and bad["layout_seconds"] > 0  # the partial picture

    (built.app.srcdir / "index.rst").write_text(page.replace("Title", "Another title"))
    again = build_project({"index.rst": page.replace("Title", "Another title")})
    good, bad = report_rows(again)
    assert good["capture"] == "cached" and good["result"] == "ok"
    assert bad["result"] == "failed (forward), partial"


@pytest.mark.framework
def test_the_report_of_a_parallel_build_has_every_page(build_project: BuildProject) -> None:
    pages = {
        f"page{number}.rst": f"Page {number}\n=======\n\n{GOOD.replace('2, 4', f'{number}, 4')}"
        for number in range(1, 5)
    }
    pages["index.rst"] = (
        "Index\n=====\n\n.. toctree::\n\n   page1\n   page2\n   page3\n   page4\n\n"
        ":ref:`archviz-report`\n"
    )
    built = build_project(pages, conf="archviz_report_page = True", parallel=2)
    rows = report_rows(built)
    assert [row["where"] for row in rows] == [f"page{number}.rst:4" for number in range(1, 5)]
    assert all(row["layout_seconds"] is not None and row["result"] == "ok" for row in rows)
    page = built.html("archviz-report")
    assert page.count("<td>torch_models:TinyMLP</td>") == 4
    assert "<td>page2.rst:4</td>" in page
    assert 'href="archviz-report.html"' in built.html()


def test_an_epub_rebuild_does_not_pack_the_report(build_project: BuildProject) -> None:
    page = "Title\n=====\n\n.. archviz:: not-a-reference\n"
    conf = "archviz_expected_failures = ['index.rst:4']"
    first = build_project({"index.rst": page}, conf=conf, builder="epub")
    assert (first.outdir / "archviz-report.json").is_file()
    again = build_project({"index.rst": page}, conf=conf, builder="epub")
    assert "archviz-report.json" not in again.warnings
