"""Diagrams a reader can explore: headless Chromium on a small site served over HTTP.

The site has a big diagram (fitted to the column), a small one (natural size) and a modules view
whose ``Conv2d`` nodes link to a page documenting ``torch.nn.Conv2d``, all on a page in a
sub-folder, under sphinx-book-theme. Screenshots go to docs/_build/browser-tests/screenshots.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import defusedxml.ElementTree as SafeXML
import pytest

from tests.browser import luminance, requires_chromium, serve, watched_page
from tests.conftest import build_in_subprocess, requires_dot, write_site

pytestmark = [pytest.mark.framework, requires_chromium, requires_dot]

PAGES = {
    "index.rst": "Home\n====\n\n.. toctree::\n\n   guide/diagrams\n   api\n",
    "api.rst": "API\n===\n\n.. py:class:: torch.nn.Conv2d\n\n   A 2-D convolution.\n",
    "guide/diagrams.rst": """Diagrams
========

.. archviz:: torchvision.models:resnet18
   :input-shape: 1, 3, 224, 224
   :alt: ResNet-18's autograd graph
   :depth: 9

.. archviz:: models:mlp
   :input-shape: 1, 4
   :view: modules

.. archviz:: models:CNNModel
   :input-shape: 1, 1, 64, 64
   :view: modules
""",
}
CONF = 'html_theme = "sphinx_book_theme"\nlanguage = "ko"'
BIG, SMALL, LINKED = 0, 1, 2


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = write_site(tmp_path_factory.mktemp("interactive") / "src", PAGES, CONF)
    html = source.parent / "html"
    build_in_subprocess(source, html)
    return html


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    yield from serve(site)


@pytest.fixture
def page(chromium, server: str, request: pytest.FixtureRequest):
    yield from watched_page(
        chromium,
        f"{server}/guide/diagrams.html",
        "document.querySelectorAll('div.archviz.archviz-js').length === 3",
        f"interactive-{request.node.name}",
    )


def diagram(page, index: int):
    return page.locator("div.archviz").nth(index)


def scale(page, index: int) -> float:
    return float(diagram(page, index).get_attribute("data-archviz-scale"))


def transform(page, index: int) -> str:
    return diagram(page, index).locator("svg.archviz-graph").evaluate("svg => svg.style.transform")


def test_a_big_diagram_fits_the_column_and_a_small_one_keeps_its_size(page) -> None:
    column = page.locator("article.bd-article").bounding_box()
    for index in (BIG, SMALL, LINKED):
        box = diagram(page, index).locator("svg.archviz-graph").bounding_box()
        assert box["width"] > 50 and box["height"] > 50
        assert box["x"] >= column["x"] - 1
        assert box["x"] + box["width"] <= column["x"] + column["width"] + 1
    assert scale(page, BIG) < 0.5
    assert scale(page, SMALL) == 1
    # ResNet-18 is twice as tall as wide: column-wide, in a viewport whose cut edge is shaded.
    assert "archviz-more-bottom" in diagram(page, BIG).locator(".archviz-viewport").get_attribute(
        "class"
    )
    assert "archviz-more" not in diagram(page, SMALL).locator(".archviz-viewport").get_attribute(
        "class"
    )


def test_buttons_wheel_and_drag_change_the_view(page) -> None:
    big = diagram(page, BIG)
    before = scale(page, BIG)
    viewport = big.locator(".archviz-viewport")
    assert "archviz-more-right" not in viewport.get_attribute("class")
    big.get_by_role("button", name="확대").click()
    assert scale(page, BIG) == pytest.approx(before * 1.25, rel=1e-3)
    assert "archviz-more-right" in viewport.get_attribute("class")  # the cut edge is shaded
    big.get_by_role("button", name="축소").click()
    big.get_by_role("button", name="축소").click()
    assert scale(page, BIG) < before
    big.get_by_role("button", name="맞춤").click()
    assert scale(page, BIG) == pytest.approx(before, rel=1e-3)

    box = big.locator(".archviz-viewport").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.evaluate("document.activeElement.blur()")
    page.mouse.move(*centre)
    page.mouse.wheel(0, 200)  # not active yet: the page scrolls, the diagram keeps its scale
    assert scale(page, BIG) == pytest.approx(before, rel=1e-3)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    assert scale(page, BIG) > before * 1.5

    box = big.locator(".archviz-viewport").bounding_box()
    moved_from = transform(page, BIG)
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80, steps=5)
    page.mouse.up()
    assert transform(page, BIG) != moved_from


def test_the_keyboard_reaches_the_controls_and_zooms(page) -> None:
    small = diagram(page, SMALL)
    small.locator(".archviz-viewport").focus()
    page.keyboard.press("+")
    assert scale(page, SMALL) == pytest.approx(1.25)
    page.keyboard.press("0")
    assert scale(page, SMALL) == 1
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "노드 찾기"


def test_full_screen_opens_and_closes(page) -> None:
    big = diagram(page, BIG)
    big.get_by_role("button", name="전체 화면").click()
    page.wait_for_function(
        "document.fullscreenElement !== null"
        " || document.querySelector('.archviz-maximized') !== null"
    )
    box = big.bounding_box()
    assert box["width"] >= 1200 and box["height"] >= 850
    big.get_by_role("button", name="전체 화면").click()
    page.wait_for_function(
        "document.fullscreenElement === null"
        " && document.querySelector('.archviz-maximized') === null"
    )
    assert big.bounding_box()["width"] < 1000


# The output box (torchviz's first node), its text, an edge.
NODE_COLOURS = """root => {
  const output = [...root.querySelectorAll('g.node')]
    .find(node => node.textContent.includes('(1, 1000)'));
  const node = output.querySelector('polygon');
  const text = output.querySelector('text');
  const edge = root.querySelector('g.edge path');
  return [getComputedStyle(node).fill, getComputedStyle(text).fill, getComputedStyle(edge).stroke];
}"""


def test_switching_the_theme_to_dark_recolours_the_diagram(page) -> None:
    big = diagram(page, BIG)
    light = big.evaluate(NODE_COLOURS)
    # On a light page the diagram keeps Graphviz's own colours: the output box, black ink.
    assert light == ["rgb(202, 255, 112)", "rgb(0, 0, 0)", "rgb(0, 0, 0)"]
    page.locator("button.theme-switch-button").click()  # the theme's menu: auto, light, dark
    page.locator('button.theme-change-button[data-mode="dark"]').click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = big.evaluate(NODE_COLOURS)
    assert all(before != after for before, after in zip(light, dark, strict=True))
    assert luminance(dark[1]) > 0.6 > luminance(light[1])  # text: light on dark, dark on light
    assert luminance(dark[0]) < 0.3 < luminance(light[0])  # node fill: darker, still a colour


def test_the_system_dark_preference_is_followed_on_auto(chromium, server: str) -> None:
    context = chromium.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(f"{server}/guide/diagrams.html")
    page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    colours = diagram(page, BIG).evaluate(NODE_COLOURS)
    context.close()
    assert luminance(colours[1]) > 0.6


def test_hover_shows_a_nodes_details_and_search_highlights_nodes(page) -> None:
    linked = diagram(page, LINKED)
    linked.locator("g.node").filter(
        has=page.locator("text", has_text=re.compile("^conv2$"))
    ).hover()
    tooltip = linked.locator(".archviz-tooltip")
    assert tooltip.is_visible()
    details = tooltip.inner_text()
    assert "conv2" in details and "Conv2d" in details and "params" in details

    linked.get_by_role("searchbox").fill("conv")
    assert linked.locator("g.node.archviz-match").count() == 3
    assert linked.locator(".archviz-matches").inner_text() == "1 / 3"
    linked.get_by_role("searchbox").fill("")
    assert linked.locator("g.node.archviz-match").count() == 0


def test_a_node_links_to_its_classes_documentation_from_a_sub_folder(page, server: str) -> None:
    linked = diagram(page, LINKED)
    links = linked.locator("g.node a[href]")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert hrefs == {"../api.html#torch.nn.Conv2d"}  # Linear and ReLU are not documented here
    links.first.click()
    page.wait_for_url(f"{server}/api.html#torch.nn.Conv2d")


def test_download_links_return_valid_svg_png_and_dot(page, server: str) -> None:
    links = diagram(page, LINKED).locator("a.archviz-download")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["SVG", "DOT", "PNG"]
    assert (
        diagram(page, LINKED)
        .locator("p.archviz-downloads")
        .inner_text()
        .endswith("SVG · DOT · PNG")
    )
    for i in (0, 1):  # files written by the build
        link = links.nth(i)
        kind = link.inner_text()
        response = page.request.get(f"{server}/guide/{link.get_attribute('href')}")
        assert response.ok
        assert link.get_attribute("download") == f"CNNModel.{kind.lower()}"
        if kind == "SVG":
            assert SafeXML.fromstring(response.body()).tag == "{http://www.w3.org/2000/svg}svg"
        else:
            assert response.body().lstrip().startswith(b"digraph")
    with page.expect_download() as download:  # drawn by the browser from the page's SVG
        links.nth(2).click()
    assert download.value.suggested_filename == "CNNModel.png"
    png = Path(download.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    svg_box = (
        diagram(page, LINKED)
        .locator("svg.archviz-graph")
        .evaluate("svg => [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height]")
    )
    from PIL import Image  # torchvision's dependency

    with Image.open(io.BytesIO(png)) as image:
        darkest = image.convert("L").getextrema()[0]
    assert darkest < 80  # the diagram's lines and text, not an empty white canvas
    # twice the diagram's size in CSS pixels (1 pt = 4/3 px), give or take Graphviz's rounding
    assert abs(width - svg_box[0] * 4 / 3 * 2) <= 2 and abs(height - svg_box[1] * 4 / 3 * 2) <= 2


#: Safari's canvas limit, the smallest of the browsers': a bigger canvas makes no PNG there.
CANVAS_PIXELS = 4096 * 4096


def test_the_png_of_a_big_diagram_fits_every_browsers_canvas(page) -> None:
    svg_box = (
        diagram(page, BIG)
        .locator("svg.archviz-graph")
        .evaluate("svg => [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height]")
    )
    natural = (svg_box[0] * 4 / 3, svg_box[1] * 4 / 3)
    assert natural[0] * natural[1] * 4 > CANVAS_PIXELS  # twice its size would not fit
    with page.expect_download() as download:
        diagram(page, BIG).locator("a[data-archviz-png]").click()
    png = Path(download.value.path()).read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert width * height <= CANVAS_PIXELS and max(width, height) <= 16384
    assert width * height > CANVAS_PIXELS * 0.99  # scaled down only as far as needed
    assert abs(width / height - natural[0] / natural[1]) < 0.01
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert image.convert("L").getextrema()[0] < 80  # drawn, not an empty canvas


def test_without_javascript_the_png_download_is_not_offered(chromium, server: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/guide/diagrams.html")
    visible = diagram(page, LINKED).locator("a.archviz-download:visible")
    names = [visible.nth(i).inner_text() for i in range(visible.count())]
    context.close()
    assert names == ["SVG", "DOT"]


def test_without_javascript_the_diagram_is_a_plain_image(chromium, server: str) -> None:
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{server}/guide/diagrams.html")
    big = diagram(page, BIG)
    assert not big.locator(".archviz-toolbar").is_visible()
    box = big.locator("svg.archviz-graph").bounding_box()
    column = page.locator("article.bd-article").bounding_box()
    context.close()
    assert 300 < box["width"] <= column["width"] + 1


def test_every_diagram_has_an_accessible_name(page) -> None:
    """A picture is an image; one with groups to open is a group of buttons (an image's
    content is hidden from screen readers)."""
    labels = page.locator("svg.archviz-graph").evaluate_all(
        """svgs => svgs.map(svg => [svg.getAttribute('role'), svg.getAttribute('aria-label'),
                                   svg.querySelector('[aria-expanded]') !== null])"""
    )
    assert labels[BIG] == ["group", "ResNet-18's autograd graph", True]
    assert any(not explorable for _, _, explorable in labels)
    assert all(
        role == ("group" if explorable else "img") and label for role, label, explorable in labels
    )


def test_scripts_and_styles_only_on_pages_with_diagrams(site: Path) -> None:
    assert "_static/archviz.js" in (site / "guide" / "diagrams.html").read_text()
    assert "archviz" not in (site / "api.html").read_text()
