"""The project's own site in headless Chromium: each model page shows its live diagram and its
Korean text, in light and in dark mode. Screenshots: docs/_build/browser-tests/screenshots."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sphinx_archviz.capture.graph.hierarchy import state_dot
from tests.browser import (
    as_hierarchy,
    luminance,
    page_url,
    requires_chromium,
    save_screenshot,
)
from tests.conftest import requires_dot

pytestmark = [requires_chromium, requires_dot]

MODEL_PAGES = {
    "examples/wide-resnet50-2": "Wide ResNet50-2",
    "examples/custom-cnn": "사용자 정의 CNN",
    "examples/keras-plot-model": "plot_model",
    "examples/decoder-7b": "70억",
}
#: Two Hangul syllables: drawn as real glyphs they differ; as a missing-glyph box they do not.
HANGUL_GLYPHS_DIFFER = """() => {
  const font = getComputedStyle(document.querySelector('article p')).fontFamily;
  const pixels = (text) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 40;
    const context = canvas.getContext('2d');
    context.font = `32px ${font}`;
    context.fillText(text, 2, 32);
    return Array.from(context.getImageData(0, 0, 40, 40).data).join();
  };
  return pixels('한') !== pixels('국') && pixels('한') !== pixels(' ');
}"""
DIAGRAM_STATE = """root => {
  const svg = root.querySelector('svg.archviz-graph');
  const box = svg.getBoundingClientRect();
  const style = getComputedStyle(svg);
  const text = svg.querySelector('g.node text:not([fill="white"])');
  return {
    width: box.width, height: box.height, visible: style.visibility === 'visible'
      && style.display !== 'none' && Number(style.opacity) > 0,
    nodes: svg.querySelectorAll('g.node').length,
    textColour: getComputedStyle(text).fill,
    pageBackground: getComputedStyle(document.body).backgroundColor,
  };
}"""


def test_a_font_with_hangul_is_installed() -> None:
    fc_list = shutil.which("fc-list")
    assert fc_list, "fontconfig is missing"
    fonts = subprocess.run([fc_list, ":lang=ko"], capture_output=True, text=True, check=True)
    assert fonts.stdout.strip(), "no font covers Korean: install fonts-nanum"


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_name", list(MODEL_PAGES))
def test_each_model_page_shows_its_diagram_and_korean_text(
    chromium,
    docs_site: Path,
    page_name: str,
    mode: str,
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, color_scheme=mode)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_url(docs_site, page_name))
    page.wait_for_function(f"document.documentElement.dataset.theme === '{mode}'")
    page.wait_for_selector("div.archviz.archviz-js")
    save_screenshot(page, f"docs-{page_name.replace('/', '-')}-{mode}")

    assert page.locator(".archviz-unavailable").count() == 0
    [diagram] = page.locator("div.archviz").all()
    state = diagram.evaluate(DIAGRAM_STATE)
    assert state["visible"] and state["width"] > 200 and state["height"] > 200
    assert state["nodes"] >= 8
    text_is_light = luminance(state["textColour"]) > 0.6
    assert text_is_light == (mode == "dark")
    assert abs(luminance(state["textColour"]) - luminance(state["pageBackground"])) > 0.5

    heading = page.locator("article h1").inner_text()
    assert MODEL_PAGES[page_name] in heading
    assert any("가" <= character <= "힣" for character in page.locator("article").inner_text())
    assert page.evaluate(HANGUL_GLYPHS_DIFFER)
    context.close()
    assert errors == []


def test_the_decoder_page_walks_through_what_its_diagram_shows(chromium, docs_site: Path) -> None:
    """The steps of examples/decoder-7b, as a reader takes them."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(page_url(docs_site, "examples/decoder-7b"))
    diagram = page.locator("div.archviz.archviz-js")
    diagram.wait_for()

    def shown() -> set[str]:
        return set(
            diagram.evaluate(
                """root => [...root.querySelectorAll('svg.archviz-graph g.node')].map(node =>
                  (node.getAttribute('aria-label')
                   || (node.querySelector('text') || {}).textContent || '').trim())"""
            )
        )

    def redrawn(control: str) -> None:
        before = int(diagram.get_attribute("data-archviz-drawn") or 0)
        diagram.locator(control).click()
        page.wait_for_function(
            "([root, before]) => Number(root.dataset.archvizDrawn || 0) > before",
            arg=[diagram.element_handle(), before],
            timeout=120_000,
        )

    def open_group(name: str) -> None:
        redrawn(f'[aria-expanded="false"][aria-label="{name}"]')

    # 1. Embedding, the fold of 32 layers, the last norm, the head.
    assert {"model.embed_tokens", "model.layers.0–31", "model.norm", "lm_head"} <= shown()
    # 2–3. The fold opens to its 32 layers, the first open: its norms, attention and MLP.
    open_group("model.layers.0–31")
    assert {f"model.layers.{n}" for n in range(1, 32)} <= shown()
    assert {"model.layers.0.input_layernorm", "model.layers.0.self_attn"} <= shown()
    # The rotary embedding, which every layer takes, goes into layer 0's attention, saying so.
    notes = diagram.locator("svg.archviz-graph g.edge text").all_text_contents()
    assert notes == ["+ 31 later groups"]
    data = diagram.evaluate(
        "root => JSON.parse(root.querySelector('script.archviz-hierarchy').textContent)"
    )
    in_page = diagram.evaluate(
        "root => [root.archvizDiagram.hierarchy.stateDot(root.archvizDiagram.open),"
        " [...root.archvizDiagram.open]]"
    )
    assert in_page[0] == state_dot(as_hierarchy(data), in_page[1])  # the twins agree
    # 4. The attention down to its ops; the next layer, opened the same way.
    open_group("model.layers.0.self_attn")
    assert {"model.layers.0.self_attn.q_proj", "scaled_dot_product_attention"} <= shown()
    assert "1×32×16×128" in diagram.inner_text()
    redrawn('[data-archviz-action="next-repeat"]')
    assert "model.layers.1.self_attn.q_proj" in shown() and "model.layers.0" in shown()
    assert diagram.locator(".archviz-step-position").text_content() == "2 / 32"
    # 5. Search opens the way to another layer's part.
    search = diagram.locator("input.archviz-search")
    search.fill("layers.17.mlp.down_proj")
    search.press("Enter")
    page.wait_for_function(
        "root => root.querySelector('g.archviz-selected') !== null",
        arg=diagram.element_handle(),
        timeout=120_000,
    )
    selected = diagram.locator("g.archviz-selected").text_content() or ""
    assert "model.layers.17.mlp.down_proj" in selected
    save_screenshot(page, "docs-examples-decoder-7b-walked")
    context.close()
