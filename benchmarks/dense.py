"""Measure DenseNet's dense blocks opened in headless Chromium, in both views.

    python benchmarks/dense.py [--model densenet201] [--site FOLDER] [--unreduced]
                               [--screenshots FOLDER] [--output FILE]

Builds a one-page site with torchvision's ``--model`` in the modules view and the autograd view
(or reuses ``--site``), then opens each dense block down to its layers through the address, and
then every group, and prints per view and state: its edges before and after its dense
connections are drawn once per node (reduction.py's ``dense_inputs``), the time from the
address change to the picture drawn, the raw library call (WebAssembly Graphviz laying out the
drawn DOT, median of three) and, with ``--unreduced``, the same call on the autograd view's
DOT with every dense connection drawn (slow: minutes for the third block), the nodes shown and
the smallest node label and note on screen, in CSS px. Screenshots of each block's state (light
and dark) go to ``--screenshots``. Run it under ``flock /work/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explore import build  # noqa: E402  (beside this script)

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGE = """DenseNet
========

.. archviz:: torchvision.models:{model}
   :input-shape: 1, 3, 224, 224
   :view: modules
   :name: fig-modules

.. archviz:: torchvision.models:{model}
   :input-shape: 1, 3, 224, 224
   :name: fig-autograd
"""
FIGURES = {"modules": "fig-modules", "autograd": "fig-autograd"}
BLOCKS = range(1, 5)

# The groups around a block's layers (not the layers), open with the first sight's.
OPEN_BLOCK = """(root, block) => {
  const hierarchy = root.archvizDiagram.hierarchy;
  const open = new Set(hierarchy.initial);
  hierarchy.groups.forEach((group, index) => {
    if (group.name.startsWith(`features.denseblock${block}.denselayer`)
        && !group.name.slice(`features.denseblock${block}.`.length).includes(".")) {
      for (const outer of hierarchy.ancestors(-1 - index)) open.add(outer);
    }
  });
  return [...open].sort((a, b) => a - b);
}"""
# Edges before and after, and Graphviz alone on the drawn DOT (and on the unreduced one).
LAYOUT = """async (root, [open, unreduced]) => {
  const hierarchy = root.archvizDiagram.hierarchy;
  const state = new Set(open);
  if (!window.archvizGraphviz) {
    await new Promise((loaded) => {
      const script = document.createElement("script");
      script.src = document.querySelector('script[src*="archviz.js"]').src
        .replace(/archviz[.]js.*$/, "archviz-graphviz.js");
      script.onload = loaded;
      document.head.appendChild(script);
    });
  }
  const graphviz = await window.archvizGraphviz();
  const time = (dot, runs) => {
    const times = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      graphviz.layout(dot, "svg", "dot");
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
  };
  const dot = hierarchy.stateDot(state);
  const all = Object.create(hierarchy);
  all.denseInputs = Infinity;
  return {
    before: hierarchy.stateEdges(state).length,
    after: dot.split("->").length - 1,
    alone: time(dot, 3),
    unreduced: unreduced ? time(all.stateDot(state), 1) : null,
  };
}"""
SMALLEST = """root => {
  const heights = (selector) => [...root.querySelectorAll(selector)]
    .map(text => text.getBoundingClientRect().height).filter(height => height > 0);
  const nodes = heights('svg.archviz-graph g.node text');
  const notes = [...root.querySelectorAll('svg.archviz-graph g.edge text')]
    .filter(text => text.textContent.includes('earlier inputs'))
    .map(text => text.getBoundingClientRect().height);
  return [root.querySelectorAll('svg.archviz-graph g.node').length, Math.min(...nodes),
          notes.length ? Math.min(...notes) : 0, notes.length];
}"""

# The middle of the block in view (its middle layer, or its last).
CENTRE = """(root, block) => {
  const name = `features.denseblock${block}.denselayer`;
  const layers = [...root.querySelectorAll(`[aria-label^="${name}"]`)];
  root.archvizDiagram.centre(layers[Math.floor(layers.length / 2)]);
}"""


def open_state(page: object, root: object, open_groups: list[int]) -> float:
    """Seconds from the address naming ``open_groups`` to the picture drawn."""
    key = root.get_attribute("data-archviz")
    before = int(root.get_attribute("data-archviz-drawn") or 0)
    started = time.perf_counter()
    page.evaluate(f"() => {{ location.hash = '#{key}:open={','.join(map(str, open_groups))}'; }}")
    page.wait_for_function(
        "([root, before]) => Number(root.dataset.archvizDrawn || 0) > before",
        arg=[root.element_handle(), before],
        timeout=300_000,
    )
    return time.perf_counter() - started


def measure(html: Path, unreduced: bool, screenshots: Path | None) -> list[str]:
    from playwright.sync_api import sync_playwright

    lines = [f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}"]
    print(lines[0])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((html / "index.html").as_uri())
        page.wait_for_function("document.querySelectorAll('div.archviz.archviz-js').length === 2")
        for view, figure in FIGURES.items():
            root = page.locator(f"#{figure} div.archviz, div.archviz#{figure}").first
            every = root.evaluate("r => [...r.archvizDiagram.hierarchy.groups.keys()]")
            states = [(f"denseblock{block}", root.evaluate(OPEN_BLOCK, block)) for block in BLOCKS]
            for name, open_groups in [*states, ("every group open", every)]:
                drawn = open_state(page, root, open_groups)
                # Every group open takes minutes unreduced, and so do the modules view's
                # labelled edges (denseblock3 had not been laid out after 9 minutes).
                full = unreduced and view == "autograd" and name != "every group open"
                layout = root.evaluate(LAYOUT, [open_groups, full])
                nodes, label, note, notes = root.evaluate(SMALLEST)
                line = (
                    f"{view}, {name}: {layout['before']} → {layout['after']} edges, "
                    f"drawn in {drawn:.2f} s; Graphviz alone {layout['alone']:.0f} ms"
                )
                if layout["unreduced"] is not None:
                    line += f" (every dense connection drawn: {layout['unreduced']:.0f} ms)"
                line += (
                    f"; {nodes} nodes, smallest label {label:.1f} px, {notes} notes "
                    f"of {note:.1f} px"
                )
                print(line, flush=True)
                lines.append(line)
                if screenshots and name != "every group open":
                    screenshots.mkdir(parents=True, exist_ok=True)
                    root.evaluate(CENTRE, int(name[-1]))
                    root.screenshot(path=str(screenshots / f"{view}-{name}.png"))
                    page.evaluate("document.documentElement.dataset.theme = 'dark'")
                    root.screenshot(path=str(screenshots / f"{view}-{name}-dark.png"))
                    page.evaluate("delete document.documentElement.dataset.theme")
        browser.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="densenet201", help="a torchvision DenseNet")
    parser.add_argument("--site", type=Path, help="a folder with html/ built by this script")
    parser.add_argument("--unreduced", action="store_true", help="also time the full DOT")
    parser.add_argument("--screenshots", type=Path, help="where to save the states' pictures")
    parser.add_argument("--output", type=Path, help="a Markdown file for the results")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = arguments.site or Path(folder)
        html = site / "html"
        if not html.exists():
            html = build(site, PAGE.format(model=arguments.model))
        lines = measure(html, arguments.unreduced, arguments.screenshots)
    if arguments.output:
        command = " ".join(["python benchmarks/dense.py", *sys.argv[1:]])
        text = "\n".join([f"`{command}`", "", *(f"- {line}" for line in lines)])
        arguments.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
