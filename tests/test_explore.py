"""Opening and closing a diagram's groups in the page: headless Chromium on a small site.

ResNet-18's autograd graph opens on its stem, stages and blocks; the reader opens a block to
its layers and a layer to torchviz's nodes. Screenshots go to docs/_build/browser-tests/.
"""

from __future__ import annotations

import struct
from pathlib import Path

import defusedxml.ElementTree as SafeXML
import pytest

from tests.browser import luminance, requires_chromium, serve, watched_page
from tests.conftest import built_site, requires_dot

pytestmark = [pytest.mark.framework, requires_chromium, requires_dot]

PAGES = {
    "index.rst": """ResNet
======

.. archviz:: torchvision.models:resnet18
   :input-shape: 1, 3, 224, 224
   :alt: ResNet-18's autograd graph
""",
}
CONF = 'html_theme = "sphinx_book_theme"\nlanguage = "ko"'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_site(tmp_path_factory, "explore", PAGES, CONF)


@pytest.fixture(scope="module")
def server(site: Path):
    yield from serve(site)


@pytest.fixture
def page(chromium, server: str, request: pytest.FixtureRequest):
    yield from watched_page(
        chromium,
        f"{server}/index.html",
        "document.querySelector('div.archviz.archviz-js') !== null",
        f"explore-{request.node.name}",
    )


def diagram(page):
    return page.locator("div.archviz").first


def group(page, name: str):
    return diagram(page).locator(f'[aria-expanded][aria-label="{name}"]')


def redrawn(page, action) -> None:
    """Do ``action`` and wait until the diagram is drawn again."""
    before = int(diagram(page).get_attribute("data-archviz-drawn") or 0)
    action()
    page.wait_for_function(
        f"Number(document.querySelector('div.archviz').dataset.archvizDrawn || 0) > {before}"
    )


def shown_names(page) -> list[str]:
    """The names of what is drawn, top to bottom: closed groups and nodes."""
    return diagram(page).evaluate(
        """root => [...root.querySelectorAll('svg.archviz-graph g.node')]
          .map(node => [node.getBoundingClientRect().top,
                        node.getAttribute('aria-label') || node.textContent.trim()])
          .sort((a, b) => a[0] - b[0]).map(pair => pair[1])"""
    )


def watch_busy(page) -> None:
    """From now on, note each change of the diagram's ``aria-busy`` (a layout under way)."""
    diagram(page).evaluate(
        """root => { root.busy = [];
          new MutationObserver(() => root.busy.push(root.getAttribute('aria-busy')))
            .observe(root, { attributes: true, attributeFilter: ['aria-busy'] }); }"""
    )


def busy_said(page) -> list[str | None]:
    return diagram(page).evaluate("root => root.busy")


def test_the_first_sight_shows_stages_and_blocks_with_readable_labels(page) -> None:
    names = shown_names(page)
    assert names[:4] == ["conv1", "bn1", "relu", "maxpool"]
    assert {"layer1.0", "layer1.1", "layer4.1", "fc"} <= set(names)
    assert len(names) <= 40
    assert group(page, "layer2").get_attribute("aria-expanded") == "true"
    assert group(page, "layer2.0").get_attribute("aria-expanded") == "false"
    scale = float(diagram(page).get_attribute("data-archviz-scale"))
    sizes = diagram(page).evaluate(
        "root => [...root.querySelectorAll('g.node text')].map(t => +t.getAttribute('font-size'))"
    )
    assert min(sizes) * 4 / 3 * scale >= 9  # CSS px


def test_a_click_opens_a_group_in_place_and_a_second_closes_it(page) -> None:
    before = shown_names(page)
    redrawn(page, lambda: group(page, "layer3.1").click())
    assert group(page, "layer3.1").get_attribute("aria-expanded") == "true"
    opened = shown_names(page)
    assert {"layer3.1.conv1", "layer3.1.bn2"} <= set(opened) and "layer3.1" not in opened
    # What was outside the group keeps its order.
    assert [name for name in opened if name in before] == [n for n in before if n != "layer3.1"]
    redrawn(page, lambda: group(page, "layer3.1.conv1").click())
    assert "ConvolutionBackward0" in shown_names(page)
    assert "layer3.1.conv1.weight\n (256, 256, 3, 3)" in diagram(page).inner_text() or any(
        "layer3.1.conv1.weight" in name for name in shown_names(page)
    )
    redrawn(page, lambda: group(page, "layer3.1").locator("text").first.click())
    assert shown_names(page) == before


def test_a_group_opened_again_shows_what_it_showed_before_without_a_layout(page) -> None:
    redrawn(page, lambda: group(page, "layer3.1").click())
    redrawn(page, lambda: group(page, "layer3.1.conv1").click())
    inside = shown_names(page)
    assert "ConvolutionBackward0" in inside
    redrawn(page, lambda: group(page, "layer3.1").locator("text").first.click())
    assert "ConvolutionBackward0" not in shown_names(page)
    watch_busy(page)
    redrawn(page, lambda: group(page, "layer3.1").click())
    assert shown_names(page) == inside
    assert group(page, "layer3.1.conv1").get_attribute("aria-expanded") == "true"
    assert busy_said(page) == []  # the picture kept from before


def focused(page) -> str | None:
    return page.evaluate("document.activeElement.getAttribute('aria-label')")


def tab_through(page) -> list[str]:
    """The groups Tab reaches from the diagram's viewport, until it leaves the picture."""
    diagram(page).locator(".archviz-viewport").focus()
    reached = []
    while len(reached) < 80:
        page.keyboard.press("Tab")
        if not page.evaluate("!!document.activeElement.closest('svg.archviz-graph')"):
            return reached
        reached.append(focused(page))
    return reached


def groups_top_to_bottom(page) -> list[str]:
    return diagram(page).evaluate(
        """root => [...root.querySelectorAll('svg.archviz-graph [aria-expanded]')]
          .map(group => [group.getBoundingClientRect(), group.getAttribute('aria-label')])
          .sort((a, b) => a[0].top - b[0].top || a[0].left - b[0].left).map(pair => pair[1])"""
    )


def test_tab_reaches_the_groups_in_reading_order(page) -> None:
    reached = tab_through(page)
    assert reached[:5] == ["conv1", "bn1", "relu", "maxpool", "layer1"]
    assert reached == groups_top_to_bottom(page)
    redrawn(page, lambda: group(page, "layer2.1").click())
    reached = tab_through(page)
    assert reached == groups_top_to_bottom(page)
    assert reached.index("layer2.0") < reached.index("layer2.1") < reached.index("layer2.1.conv1")


def test_enter_and_space_toggle_a_group_and_keep_the_focus_on_it(page) -> None:
    group(page, "layer1").focus()
    redrawn(page, lambda: page.keyboard.press("Enter"))
    assert group(page, "layer1").get_attribute("aria-expanded") == "false"
    assert focused(page) == "layer1"
    redrawn(page, lambda: page.keyboard.press(" "))
    assert group(page, "layer1").get_attribute("aria-expanded") == "true"
    assert focused(page) == "layer1"
    page.keyboard.press("Tab")
    assert focused(page) == "layer1.0"
    redrawn(page, lambda: page.keyboard.press("Enter"))
    assert group(page, "layer1.0").get_attribute("aria-expanded") == "true"
    assert focused(page) == "layer1.0"


def test_a_clicked_group_keeps_the_focus(page) -> None:
    redrawn(page, lambda: group(page, "layer3.0").click())
    assert focused(page) == "layer3.0"
    page.keyboard.press("Tab")
    assert focused(page) == "layer3.0.conv1"


def test_text_laid_out_in_the_browser_stays_inside_its_boxes(page) -> None:
    redrawn(page, lambda: group(page, "layer2.0").click())
    redrawn(page, lambda: group(page, "layer2.0.conv1").click())
    overflows = diagram(page).evaluate(
        """root => [...root.querySelectorAll('svg.archviz-graph g.node')].flatMap(node => {
          const shape = node.querySelector('polygon, path');
          const box = shape.getBBox();
          return [...node.querySelectorAll('text')]
            .filter(text => text.getBBox().width > box.width)
            .map(text => [text.textContent, getComputedStyle(text).fontFamily]);
        })"""
    )
    assert overflows == []
    fonts = diagram(page).evaluate(
        """root => [...root.querySelectorAll('svg.archviz-graph g.node text')]
          .map(text => text.getAttribute('font-family'))"""
    )
    assert {"monospace", "Helvetica,Arial,sans-serif"} <= set(fonts)


def test_a_state_being_laid_out_says_so_until_it_is_drawn(page) -> None:
    diagram(page).evaluate(
        """root => { root.busy = [];
          new MutationObserver(() => root.busy.push([
            root.querySelector('.archviz-viewport').dataset.archvizBusy || null,
            root.getAttribute('aria-busy')])).observe(root, { attributes: true, subtree: true,
              attributeFilter: ['data-archviz-busy', 'aria-busy'] }); }"""
    )
    redrawn(page, lambda: group(page, "layer4").locator("text").first.click())
    said = diagram(page).evaluate("root => root.busy")
    assert ["배치하는 중…", "true"] in said and said[-1] == [None, None]


def test_level_buttons_open_and_close_every_group_of_a_level(page) -> None:
    redrawn(page, lambda: diagram(page).get_by_role("button", name="한 단계 더 펼치기").click())
    assert diagram(page).locator('g.node[aria-expanded="false"]').count() > 20
    assert group(page, "layer4.1").get_attribute("aria-expanded") == "true"
    redrawn(page, lambda: diagram(page).get_by_role("button", name="한 단계 접기").click())
    redrawn(page, lambda: diagram(page).get_by_role("button", name="한 단계 접기").click())
    assert diagram(page).locator('[aria-expanded="true"]').count() == 0


def test_pointing_at_the_diagram_lays_out_the_next_level_before_the_click(page) -> None:
    root = diagram(page)
    drawn = root.get_attribute("data-archviz-drawn")
    assert page.evaluate("typeof window.archvizGraphviz") == "undefined"
    root.hover()
    page.wait_for_function("'archvizWarm' in document.querySelector('div.archviz').dataset")
    # Graphviz is loaded and the next level laid out, but nothing is redrawn yet.
    assert page.evaluate("typeof window.archvizGraphviz") == "function"
    assert root.get_attribute("data-archviz-drawn") == drawn
    watch_busy(page)
    redrawn(page, lambda: root.get_by_role("button", name="한 단계 더 펼치기").click())
    assert group(page, "layer4.1").get_attribute("aria-expanded") == "true"
    assert busy_said(page) == []  # shown without a layout


def test_search_finds_a_node_in_a_closed_group_and_opens_the_way(page) -> None:
    search = diagram(page).get_by_role("searchbox")
    search.fill("layer4.0.downsample.0.weight")
    assert diagram(page).locator(".archviz-matches").inner_text() == "1 / 1"
    assert group(page, "layer4.0").get_attribute("class").count("archviz-match")
    redrawn(page, lambda: search.press("Enter"))
    selected = diagram(page).locator("g.node.archviz-selected")
    assert "layer4.0.downsample.0.weight" in selected.text_content()
    assert group(page, "layer4.0.downsample.0").get_attribute("aria-expanded") == "true"
    box = selected.bounding_box()
    view = diagram(page).locator(".archviz-viewport").bounding_box()
    assert view["y"] <= box["y"] <= view["y"] + view["height"]


def test_the_address_keeps_the_state_and_restores_it(page, chromium, server: str) -> None:
    redrawn(page, lambda: group(page, "layer2.1").click())
    redrawn(page, lambda: group(page, "layer2.1.bn1").click())
    address = page.url
    assert "open=" in address
    shown = shown_names(page)
    other = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.goto(address)
    other.wait_for_function(
        'document.querySelector(\'[aria-label="layer2.1.bn1"][aria-expanded="true"]\') !== null'
    )
    assert shown_names(other) == shown
    other.context.close()


def test_dark_mode_recolours_an_opened_diagram(page) -> None:
    redrawn(page, lambda: group(page, "layer1.0").click())
    page.locator("button.theme-switch-button").click()
    page.locator('button.theme-change-button[data-mode="dark"]').click()
    colours = diagram(page).evaluate(
        """root => {
          const node = root.querySelector('g.node[aria-label="layer1.0.conv1"] path, '
            + 'g.node[aria-label="layer1.0.conv1"] polygon');
          const text = root.querySelector('g.node[aria-label="layer1.0.conv1"] text');
          return [getComputedStyle(node).fill, getComputedStyle(text).fill];
        }"""
    )
    assert luminance(colours[1]) > 0.6 and luminance(colours[0]) < 0.3


def test_downloads_give_what_is_shown(page, server: str) -> None:
    redrawn(page, lambda: group(page, "layer1.1").click())
    links = diagram(page).locator("a.archviz-download")
    with page.expect_download() as download:
        links.filter(has_text="SVG").click()
    assert download.value.suggested_filename == "resnet18.svg"
    svg = SafeXML.fromstring(Path(download.value.path()).read_bytes())
    ids = {element.get("id") for element in svg.iter() if element.get("id")}
    key = diagram(page).get_attribute("data-archviz")
    assert f"{key}-g0" in ids  # conv1, closed
    assert any(name.endswith("layer1.1.conv1") for name in _texts(svg))
    with page.expect_download() as download:
        links.filter(has_text="PNG").click()
    png = Path(download.value.path()).read_bytes()
    width = struct.unpack(">I", png[16:20])[0]
    shown = diagram(page).locator("svg.archviz-graph").evaluate("svg => svg.viewBox.baseVal.width")
    assert abs(width - shown * 4 / 3 * 2) <= 2
    dot = page.request.get(f"{server}/{links.filter(has_text='DOT').get_attribute('href')}")
    assert dot.body().count(b"->") > 100  # the full graph, whatever is shown


def _texts(svg) -> list[str]:
    return [element.text or "" for element in svg.iter() if element.tag.endswith("text")]


def test_without_javascript_the_first_sight_is_a_plain_picture(chromium, server: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/index.html")
    assert diagram(page).locator("g.node").count() <= 40
    assert diagram(page).locator("[aria-expanded]").count() == 0
    context.close()
