""":archviz-node: links from the prose to one node of a named diagram, in RST and MyST, across
pages; bad links warn once at their line; other builders get a reference to the figure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from tests.browser import page_url, requires_chromium, save_screenshot
from tests.conftest import DOCS, MODELS, WARNING_LINE, Built, requires_dot

pytestmark = [requires_dot, pytest.mark.framework]

DIAGRAMS = """\
Diagrams
========

.. archviz:: torch_models:ResidualNet
   :input-shape: 1, 3, 8, 8
   :view: modules
   :caption: A residual network
   :name: fig-res

.. archviz:: models:CNNModel
   :input-shape: 1, 1, 64, 64
   :name: fig-cnn

Same page: :archviz-node:`fig-res:head`.

.. _not-a-diagram:

Section
-------
"""
PROSE_RST = """\
Prose
=====

The stem :archviz-node:`fig-res:stem`, the middle block
:archviz-node:`the second block <fig-res:blocks.1>`, a convolution inside it
:archviz-node:`fig-res:blocks.1.conv` and the CNN's first layer :archviz-node:`fig-cnn:conv1`.

Broken: :archviz-node:`fig-nothing:stem`.

Broken: :archviz-node:`fig-res:tail`.

Broken: :archviz-node:`not-a-diagram:stem`.

Broken: :archviz-node:`fig-res`.
"""
PROSE_MD = """\
# MyST prose

The head {archviz-node}`fig-res:head` and {archviz-node}`its stem <fig-res:stem>`.

Broken: {archviz-node}`fig-res:blocks.9`.
"""
PAGES = {
    "index.rst": "Home\n====\n\n.. toctree::\n\n   diagrams\n   prose\n   myst\n",
    "diagrams.rst": DIAGRAMS,
    "prose.rst": PROSE_RST,
    "myst.md": PROSE_MD,
}


def build(tmp_path: Path, builder: str) -> Built:
    srcdir = tmp_path / "src"
    srcdir.mkdir(parents=True)
    (srcdir / "conf.py").write_text(
        "extensions = ['sphinx_archviz', 'myst_parser']\n"
        f"archviz_sys_path = ['.', {str(MODELS)!r}, {str(DOCS)!r}]\n"
    )
    for name, text in PAGES.items():
        (srcdir / name).write_text(text, encoding="utf-8")
    app = SphinxTestApp(builder, srcdir=srcdir)
    app.build()
    return Built(app, Path(app.outdir))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    built = build(tmp_path_factory.mktemp("roles"), "html")
    yield built
    built.app.cleanup()


def links(html: str) -> dict[str, str]:
    """Link text → address of every node link on a page."""
    found = re.findall(
        r'<a class="reference internal" href="([^"]*/node=[^"]*)"[^>]*>(.*?)</a>', html
    )
    return {re.sub(r"<[^>]+>", "", text): href for href, text in found}


def test_links_go_to_the_figure_with_the_node_in_the_address(site: Built) -> None:
    assert links(site.html("prose")) == {
        "stem": "diagrams.html#fig-res/node=stem",
        "the second block": "diagrams.html#fig-res/node=blocks.1",
        "blocks.1.conv": "diagrams.html#fig-res/node=blocks.1.conv",
        "conv1": "diagrams.html#fig-cnn/node=conv1",
    }
    assert '<code class="archviz-node xref docutils literal notranslate">' in site.html("prose")


def test_myst_links(site: Built) -> None:
    assert links(site.html("myst")) == {
        "head": "diagrams.html#fig-res/node=head",
        "its stem": "diagrams.html#fig-res/node=stem",
    }


def test_same_page_link_and_anchor_without_caption(site: Built) -> None:
    html = site.html("diagrams")
    assert links(html) == {"head": "#fig-res/node=head"}
    assert '<figure class="align-default" id="fig-res">' in html
    assert '<div id="fig-cnn" class="archviz archviz-svg' in html


def test_bad_links_warn_once_at_their_line_and_keep_their_text(site: Built) -> None:
    warnings = [
        (Path(found["path"]).name, int(found["line"]), found["text"])
        for found in WARNING_LINE.finditer(site.warnings)
    ]
    assert warnings == [
        (
            "myst.md",
            5,
            "fig-res:blocks.9: the diagram 'fig-res' has no node 'blocks.9' [archviz.node-link]",
        ),
        (
            "prose.rst",
            8,
            "fig-nothing:stem: no figure is labelled 'fig-nothing': give the archviz directive "
            ":name: fig-nothing [archviz.node-link]",
        ),
        (
            "prose.rst",
            10,
            "fig-res:tail: the diagram 'fig-res' has no node 'tail' [archviz.node-link]",
        ),
        (
            "prose.rst",
            12,
            "not-a-diagram:stem: 'not-a-diagram' labels something that is not an archviz "
            "diagram [archviz.node-link]",
        ),
        (
            "prose.rst",
            14,
            "fig-res: write the figure's label, a colon and the node's path, such as "
            "fig-wrn:layer3.1.conv2 [archviz.node-link]",
        ),
    ]
    prose = site.html("prose")
    assert 'Broken: <code class="archviz-node xref docutils literal notranslate">' in prose


def test_latex_refers_to_the_figure(tmp_path: Path) -> None:
    built = build(tmp_path, "latex")
    [tex] = built.outdir.glob("*.tex")
    text = tex.read_text()
    assert r"\hyperref[\detokenize{diagrams:fig-res}]" in text
    assert r"\hyperref[\detokenize{diagrams:fig-cnn}]" in text
    assert r"\label{\detokenize{diagrams:fig-cnn}}" in text  # the uncaptioned diagram's anchor


def test_text_builder_keeps_the_link_text(tmp_path: Path) -> None:
    built = build(tmp_path, "text")
    prose = (built.outdir / "prose.txt").read_text()
    text = " ".join(prose.split())
    assert 'the middle block *the second block*, a convolution inside it "blocks.1.conv"' in text
    assert 'Broken: "tail". Broken: "stem". Broken: "fig-res".' in text


@requires_chromium
def test_following_a_link_shows_the_node(site: Built, chromium) -> None:
    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    page.goto(page_url(site.outdir, "prose"))
    page.click("text=the second block")
    page.wait_for_url(re.compile(r"diagrams\.html#fig-res/node=blocks\.1$"))
    target = page.locator("#fig-res g.archviz-target")
    target.wait_for()
    assert target.count() == 1
    # The block itself, drawn closed, with the fold of blocks.0–2 around it opened.
    assert target.locator("a").first.get_attribute("xlink:title").startswith("blocks.1\n")
    assert target.get_attribute("aria-expanded") == "false"
    fold = page.locator('#fig-res g.cluster[aria-expanded="true"]', has_text="blocks.0–2")
    assert fold.count() == 1
    box = target.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 700
    stroke = target.evaluate(
        "node => getComputedStyle(node.querySelector(':is(polygon, path, ellipse)')).strokeWidth"
    )
    assert stroke == "3px"
    save_screenshot(page, "node-link-followed")
    # Another link on the same page: the address changes, the highlight moves.
    page.evaluate("location.hash = '#fig-cnn/node=conv1'")
    page.wait_for_function("document.querySelectorAll('#fig-cnn g.archviz-target').length > 0")
    assert page.locator("#fig-res g.archviz-target").count() == 0
    assert page.locator("#fig-cnn g.archviz-target").count() == 2  # conv1's weight and bias
    page.close()
