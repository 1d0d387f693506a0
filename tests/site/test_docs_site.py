"""The project's own site in headless Chromium: each model page shows its live diagram and its
Korean text, in light and in dark mode. Screenshots: docs/_build/browser-tests/screenshots."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import luminance, page_url, requires_chromium, save_screenshot
from tests.conftest import requires_dot

pytestmark = [requires_chromium, requires_dot]

MODEL_PAGES = {
    "examples/wide-resnet50-2": "Wide ResNet50-2",
    "examples/custom-cnn": "사용자 정의 CNN",
    "examples/keras-plot-model": "plot_model",
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
