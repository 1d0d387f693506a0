"""Measure an explorable diagram in headless Chromium: Wide ResNet50-2's autograd graph.

    python benchmarks/explore.py [--site FOLDER]

Builds a one-page site (or reuses ``--site``), then prints: the bytes the diagram adds to its
page (the inline SVG and the hierarchy) and the Graphviz bundle, the first sight (nodes shown,
smallest label in CSS pixels), the time to a page ready to explore, and the time from a click
to the first frame painted after the redraw, measured in the page: the first click (1.5 s after
pointing at the diagram, which loads Graphviz), the opening of a ~200-node group, closing
and opening it again (pictures of states seen before are kept), and opening another ~200-node
group. Beside them, the raw library call:
Graphviz laying out the same state's DOT in the same page, so the rest is ours.
Run it under ``flock /work/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGE = """Wide ResNet50-2
===============

.. archviz:: torchvision.models:wide_resnet50_2
   :input-shape: 1, 3, 224, 224
"""
DRAWN = "Number(document.querySelector('div.archviz').dataset.archvizDrawn || 0) > {}"


def build(site: Path, page: str = PAGE) -> Path:
    """A one-page site of ``page`` built in ``site``; its HTML folder."""
    source = site / "src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "conf.py").write_text("extensions = ['sphinx_archviz']\n")
    (source / "index.rst").write_text(page)
    html = site / "html"
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(html)], check=True
    )
    return html


def page_bytes(html: Path) -> dict[str, int]:
    text = (html / "index.html").read_text(encoding="utf-8")
    start = text.index('<div class="archviz')
    end = text.index('<p class="archviz-downloads">', start)
    diagram = text[start:end].encode()
    bundle = (html / "_static" / "archviz-graphviz.js").read_bytes()
    script = (html / "_static" / "archviz.js").read_bytes()
    return {
        "diagram": len(diagram),
        "diagram gzip": len(gzip.compress(diagram)),
        "archviz.js": len(script),
        "graphviz bundle": len(bundle),
        "graphviz bundle gzip": len(gzip.compress(bundle)),
    }


# Milliseconds from a click in the diagram to the first frame painted after its redraw.
WATCH = """root => {
  window.archvizTimes = [];
  root.addEventListener("click", () => { window.archvizClicked = performance.now(); }, true);
  new MutationObserver(() => requestAnimationFrame(() => setTimeout(() =>
    window.archvizTimes.push(performance.now() - window.archvizClicked))))
    .observe(root, { attributes: true, attributeFilter: ["data-archviz-drawn"] });
}"""
# The raw library call: WebAssembly Graphviz laying out the current state's DOT.
GRAPHVIZ_ALONE = """async root => {
  const diagram = root.archvizDiagram;
  const graphviz = await window.archvizGraphviz();
  const dot = diagram.hierarchy.stateDot(diagram.open);
  const times = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    graphviz.layout(dot, "svg", "dot");
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1];
}"""


def click_and_time(page: object, selector: str) -> float:
    """Milliseconds from a click on ``selector`` to the frame after the redraw."""
    diagram = page.locator("div.archviz")
    before = int(diagram.get_attribute("data-archviz-drawn") or 0)
    count = page.evaluate("window.archvizTimes.length")
    page.locator(selector).first.click()
    page.wait_for_function(DRAWN.format(before), timeout=120_000)
    page.wait_for_function(f"window.archvizTimes.length > {count}")
    return page.evaluate("window.archvizTimes[window.archvizTimes.length - 1]")


def open_inside(page: object, prefix: str) -> None:
    """Open every group whose name starts with ``prefix`` (through the address)."""
    diagram = page.locator("div.archviz")
    key = diagram.get_attribute("data-archviz")
    groups = diagram.evaluate(
        "r => JSON.parse(r.querySelector('script.archviz-hierarchy').textContent).groups"
    )
    inside = [i for i, g in enumerate(groups) if g[0].startswith(prefix)]
    before = int(diagram.get_attribute("data-archviz-drawn") or 0)
    page.evaluate(f"() => {{ location.hash = '#{key}:open={','.join(map(str, inside))}'; }}")
    page.wait_for_function(DRAWN.format(before), timeout=120_000)
    diagram.locator('button[data-archviz-action="reset"]').click()  # the whole picture in view


def opening(page: object, name: str) -> str:
    diagram = page.locator("div.archviz")
    seconds = click_and_time(page, f'[aria-label="{name}"][aria-expanded="false"]')
    nodes = diagram.locator("g.node").count()
    alone = diagram.evaluate(GRAPHVIZ_ALONE)
    return (
        f"opening {name} ({nodes} nodes shown): {seconds:.0f} ms click to painted; "
        f"Graphviz alone {alone:.0f} ms (ratio {seconds / alone:.2f})"
    )


def open_page(browser: object, html: Path) -> object:
    """A page of ``html``, ready to explore, its clicks timed; prints what it weighs, the time
    to that and its first sight."""
    print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    for name, size in page_bytes(html).items():
        print(f"{name}: {size / 1024:.1f} KiB")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(300_000)
    started = time.perf_counter()
    page.goto((html / "index.html").as_uri())
    page.wait_for_function("document.querySelector('div.archviz.archviz-js') !== null")
    print(f"first paint (load to explorer ready): {time.perf_counter() - started:.2f} s")
    diagram = page.locator("div.archviz")
    diagram.evaluate(WATCH)
    scale = float(diagram.get_attribute("data-archviz-scale"))
    sizes = diagram.evaluate(
        "r => [...r.querySelectorAll('g.node text')].map(t => +t.getAttribute('font-size'))"
    )
    shown = diagram.locator("g.node").count()
    print(f"first sight: {shown} nodes, smallest label {min(sizes) * 4 / 3 * scale:.1f} px")
    return page


def measure(html: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_page(browser, html)
        diagram = page.locator("div.archviz")
        # A reader points at the diagram a moment before clicking.
        diagram.hover()
        page.wait_for_timeout(1500)
        first = click_and_time(page, "[aria-label=conv1]")
        print(f"first click (1.5 s after pointing at the diagram): {first:.0f} ms")
        # layer3 with everything inside it open but itself closed, then opened: ~200 nodes.
        open_inside(page, "layer3.")
        print(opening(page, "layer3"))
        closing = click_and_time(page, '[aria-label="layer3"][aria-expanded="true"] text')
        print(f"closing layer3 (a state seen before): {closing:.0f} ms")
        print(f"opening layer3 again: {click_and_time(page, '[aria-label=layer3]'):.0f} ms")
        open_inside(page, "layer2.")
        print(opening(page, "layer2"))
        browser.close()


def run(measure: Callable[[Path], None], page: str = PAGE) -> None:
    """``measure`` the site of ``page``: the one in ``--site`` (built there if need be), else
    one built in a temporary folder."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", type=Path, help="a folder with html/ built by this script")
    arguments = parser.parse_args()
    if arguments.site:
        html = arguments.site / "html"
        if not html.exists():
            html = build(arguments.site, page)
        measure(html)
        return
    with tempfile.TemporaryDirectory() as folder:
        measure(build(Path(folder), page))


if __name__ == "__main__":
    run(measure)
