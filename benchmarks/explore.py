"""Measure an explorable diagram in headless Chromium: Wide ResNet50-2's autograd graph.

    python benchmarks/explore.py [--site FOLDER]

Builds a one-page site (or reuses ``--site``), then prints: the bytes the diagram adds to its
page (the inline SVG and the hierarchy) and the Graphviz bundle, the first sight (nodes shown,
smallest label in CSS pixels), the time to a page ready to explore, and the time from a click
to the redrawn picture: the first (which loads Graphviz) and the opening of a ~200-node group.
Run it under ``flock /work/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
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


def build(site: Path) -> Path:
    source = site / "src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "conf.py").write_text("extensions = ['sphinx_archviz']\n")
    (source / "index.rst").write_text(PAGE)
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


def click_and_time(page: object, selector: str) -> float:
    before = int(page.locator("div.archviz").get_attribute("data-archviz-drawn") or 0)
    started = time.perf_counter()
    page.locator(selector).first.click()
    page.wait_for_function(DRAWN.format(before), timeout=120_000)
    return time.perf_counter() - started


def measure(html: Path) -> None:
    from playwright.sync_api import sync_playwright

    for name, size in page_bytes(html).items():
        print(f"{name}: {size / 1024:.1f} KiB")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto((html / "index.html").as_uri())
        page.wait_for_function("document.querySelector('div.archviz.archviz-js') !== null")
        print(f"first paint (load to explorer ready): {time.perf_counter() - started:.2f} s")
        diagram = page.locator("div.archviz")
        scale = float(diagram.get_attribute("data-archviz-scale"))
        sizes = diagram.evaluate(
            "r => [...r.querySelectorAll('g.node text')].map(t => +t.getAttribute('font-size'))"
        )
        shown = diagram.locator("g.node").count()
        print(f"first sight: {shown} nodes, smallest label {min(sizes) * 4 / 3 * scale:.1f} px")
        print(f"first click (loads Graphviz): {click_and_time(page, '[aria-label=conv1]'):.2f} s")
        # layer3 with everything inside it open but itself closed, then opened: ~200 nodes.
        key = diagram.get_attribute("data-archviz")
        groups = diagram.evaluate(
            "r => JSON.parse(r.querySelector('script.archviz-hierarchy').textContent).groups"
        )
        inside = [i for i, g in enumerate(groups) if re.match(r"layer3\.", g[0])]
        before = int(diagram.get_attribute("data-archviz-drawn") or 0)
        page.evaluate(f"() => {{ location.hash = '#{key}:open={','.join(map(str, inside))}'; }}")
        page.wait_for_function(DRAWN.format(before), timeout=120_000)
        seconds = click_and_time(page, '[aria-label="layer3"][aria-expanded="false"]')
        nodes = diagram.locator("g.node").count()
        print(f"opening layer3 ({nodes} nodes shown): {seconds * 1000:.0f} ms (click to drawn)")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", type=Path, help="a folder with html/ built by this script")
    arguments = parser.parse_args()
    if arguments.site:
        html = arguments.site / "html"
        if not html.exists():
            html = build(arguments.site)
        measure(html)
        return
    with tempfile.TemporaryDirectory() as folder:
        measure(build(Path(folder)))


if __name__ == "__main__":
    main()
