"""How every diagram of a built site looks when its page opens: the nodes shown and the smallest
label in CSS px, in headless Chromium at 1280 × 900 (the issue's bar: about 40 nodes or fewer,
labels of 9 px or more).

    python benchmarks/zoo.py --keep /tmp/zoo          # builds the torchvision and Keras zoo
    python benchmarks/first_sight.py /tmp/zoo/_build [--output FILE]

Writes benchmarks/results/first-sight.md.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
#: The most nodes and the smallest label (CSS px) a readable first sight has.
MOST_NODES, SMALLEST_LABEL = 40, 9.0
#: Every diagram of the page: nodes shown, smallest label on screen, explorable or not.
MEASURE = """() => [...document.querySelectorAll('div.archviz')].map(root => {
  const heights = [...root.querySelectorAll('svg.archviz-graph g.node text')]
    .map(text => text.getBoundingClientRect().height).filter(height => height > 0);
  return [root.querySelectorAll('svg.archviz-graph g.node').length,
          heights.length ? Math.min(...heights) : 0,
          root.querySelector('script.archviz-hierarchy') !== null];
})"""


@dataclass
class Sight:
    page: str
    nodes: int
    label: float
    explorable: bool

    @property
    def readable(self) -> bool:
        return self.nodes <= MOST_NODES and self.label >= SMALLEST_LABEL


def measure(site: Path) -> list[Sight]:
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for html in sorted(site.glob("*.html")):
            if html.stem in ("index", "genindex", "search"):
                continue
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            page.wait_for_function(
                "[...document.querySelectorAll('div.archviz')].every(d => "
                "d.classList.contains('archviz-js'))"
            )
            for nodes, label, explorable in page.evaluate(MEASURE):
                found.append(Sight(html.stem, nodes, label, explorable))
        browser.close()
    return found


def report(sights: list[Sight]) -> str:
    readable = [sight for sight in sights if sight.readable]
    lines = [
        f"{len(readable)}/{len(sights)} diagrams open with {MOST_NODES} nodes or fewer and labels "
        f"of {SMALLEST_LABEL:.0f} CSS px or more (1280 × 900 window); nodes shown: median "
        f"{statistics.median(s.nodes for s in sights):.0f}, most "
        f"{max(s.nodes for s in sights)}; smallest label: median "
        f"{statistics.median(s.label for s in sights):.1f} px, least "
        f"{min(s.label for s in sights):.1f} px.",
        "",
        "| page | nodes shown | smallest label | explorable |",
        "|---|---:|---:|---|",
    ]
    for sight in sorted(sights, key=lambda sight: (sight.readable, sight.page)):
        mark = "" if sight.readable else " ✗"
        lines.append(
            f"| {sight.page}{mark} | {sight.nodes} | {sight.label:.1f} px | "
            f"{'yes' if sight.explorable else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="a built HTML site")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/first-sight.md")
    args = parser.parse_args()
    text = report(measure(args.site))
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
