"""Measure the modules view of a 7B decoder explored in headless Chromium: the Llama decoder of
the documentation's example page (docs/examples/decoder-7b.md), 32 layers.

    python benchmarks/explore_modules.py [--site FOLDER]

Builds a one-page site (or reuses ``--site``) and prints, as benchmarks/explore.py does for Wide
ResNet50-2's autograd graph: the bytes the diagram adds to its page, the first sight, the time
to a page ready to explore, and the time from a click to the first frame painted after the
redraw, beside the raw library call (WebAssembly Graphviz laying out the same state's DOT in
the same page, median of three). The states: the folded layers opened (the first click, which
loads Graphviz; layer 0 opens with them), four layers with their attention open (layers 4–6
and all four attentions open through the address, then a click opens layer 7), closing layer 7
and opening it again, and one layer opened down to every op. Run it under
``flock /work/bench.lock`` on a shared machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from explore import DRAWN, GRAPHVIZ_ALONE, ROOT, click_and_time, open_page, run

sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS

PAGE = """7B decoder
==========

.. archviz:: transformers:LlamaForCausalLM
   :config: {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, \
"num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000}
   :view: modules
"""
FOLD = "model.layers.0–31"


def open_groups(page: object, names: list[str]) -> None:
    """Show the first sight with the groups ``names`` open too (through the address)."""
    diagram = page.locator("div.archviz")
    key = diagram.get_attribute("data-archviz")
    data = diagram.evaluate(
        "r => JSON.parse(r.querySelector('script.archviz-hierarchy').textContent)"
    )
    all_names = [group[0] for group in data["groups"]]
    opened = sorted({*data["open"], *(all_names.index(name) for name in names)})
    before = int(diagram.get_attribute("data-archviz-drawn") or 0)
    page.evaluate(f"() => {{ location.hash = '#{key}:open={','.join(map(str, opened))}'; }}")
    page.wait_for_function(DRAWN.format(before), timeout=300_000)
    diagram.locator('button[data-archviz-action="reset"]').click()  # the whole picture in view


def timed(page: object, what: str, selector: str) -> str:
    """Milliseconds from a click on ``selector`` to the frame after the redraw, beside
    Graphviz alone on the state it shows."""
    diagram = page.locator("div.archviz")
    seconds = click_and_time(page, selector)
    nodes = diagram.locator("g.node").count()
    edges = diagram.locator("g.edge").count()
    alone = diagram.evaluate(GRAPHVIZ_ALONE)
    return (
        f"{what} ({nodes} nodes, {edges} edges shown): {seconds:.0f} ms click to painted; "
        f"Graphviz alone {alone:.0f} ms (ratio {seconds / alone:.2f})"
    )


def closed(name: str) -> str:
    return f'[aria-label="{name}"][aria-expanded="false"]'


def measure(html: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_page(browser, html)
        print(timed(page, "first click: the folded layers (loads Graphviz)", closed(FOLD)))
        layers = [f"model.layers.{n}" for n in range(4, 7)]
        attention = [f"model.layers.{n}.self_attn" for n in range(4, 8)]
        open_groups(page, [FOLD, *layers, *attention])
        print(
            timed(
                page,
                "opening model.layers.7, layers 4-7 and their attention open",
                closed("model.layers.7"),
            )
        )
        opened = '[aria-label="model.layers.7"][aria-expanded="true"] text'
        print(
            f"closing model.layers.7 (a state seen before): {click_and_time(page, opened):.0f} ms"
        )
        again = click_and_time(page, closed("model.layers.7"))
        print(f"opening model.layers.7 again: {again:.0f} ms")
        open_groups(page, [FOLD, "model.layers.9.self_attn", "model.layers.9.mlp"])
        print(timed(page, "opening model.layers.9 down to every op", closed("model.layers.9")))
        browser.close()


if __name__ == "__main__":
    run(measure, PAGE)
