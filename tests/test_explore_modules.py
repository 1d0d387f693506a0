"""Exploring the modules view in the page: a 7B decoder (on the meta device), ResNet-50 and a
flat Keras ResNet50 open readable, and the reader opens folded repeats and name scopes down to
single layers; DenseNet-201's dense blocks open as layered chains in both views. Headless
Chromium; screenshots go to docs/_build/browser-tests/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_archviz.capture.graph.hierarchy import state_dot
from tests.browser import as_hierarchy, requires_chromium, save_screenshot, serve, watched_page
from tests.conftest import built_site, requires_dot

pytestmark = [pytest.mark.framework, requires_chromium, requires_dot]

PAGES = {
    "index.rst": """Modules
=======

.. archviz:: big_models:decoder_7b
   :input-shape: 1, 16
   :input-dtype: int64
   :view: modules
   :name: fig-decoder

.. archviz:: torchvision.models:resnet50
   :input-shape: 1, 3, 224, 224
   :view: modules
   :name: fig-resnet

.. archviz:: keras.applications:ResNet50
   :kwargs: {"weights": null}
   :view: modules
   :name: fig-keras

.. archviz:: keras.applications:ResNet50
   :kwargs: {"weights": null}
   :name: fig-plot-model

.. archviz:: torchvision.models:densenet201
   :input-shape: 1, 3, 224, 224
   :view: modules
   :name: fig-densenet

.. archviz:: torchvision.models:densenet201
   :input-shape: 1, 3, 224, 224
   :name: fig-densenet-autograd
""",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_site(tmp_path_factory, "explore-modules", PAGES, 'html_theme = "alabaster"')


@pytest.fixture(scope="module")
def server(site: Path):
    yield from serve(site)


@pytest.fixture
def page(chromium, server: str, request: pytest.FixtureRequest):
    yield from watched_page(
        chromium,
        f"{server}/index.html",
        "document.querySelectorAll('div.archviz.archviz-js').length === 6",
        f"explore-modules-{request.node.name}",
    )


def diagram(page, figure: str):
    return page.locator(f"#{figure} div.archviz, div.archviz#{figure}").first


def group(page, figure: str, name: str):
    return diagram(page, figure).locator(f'[aria-expanded][aria-label="{name}"]')


def redrawn(page, figure: str, action) -> None:
    root = diagram(page, figure)
    before = int(root.get_attribute("data-archviz-drawn") or 0)
    action()
    page.wait_for_function(
        "([root, before]) => Number(root.dataset.archvizDrawn || 0) > before",
        arg=[root.element_handle(), before],
    )


def shown_names(page, figure: str) -> list[str]:
    """What is drawn, top to bottom: closed groups by name, nodes by their first line."""
    return diagram(page, figure).evaluate(
        """root => [...root.querySelectorAll('svg.archviz-graph g.node')]
          .map(node => [node.getBoundingClientRect().top,
                        node.getAttribute('aria-label')
                          || (node.querySelector('text') || {}).textContent || ''])
          .sort((a, b) => a[0] - b[0]).map(pair => pair[1].trim())"""
    )


def smallest_label(page, figure: str) -> float:
    """The smallest label's size on screen, in CSS px."""
    return diagram(page, figure).evaluate(
        """root => Math.min(...[...root.querySelectorAll('svg.archviz-graph g.node text')]
          .map(text => text.getBoundingClientRect().height).filter(height => height > 0))"""
    )


def hierarchy(site: Path, figure: str) -> dict:
    html = (site / "index.html").read_text(encoding="utf-8")
    start = html.index(f'id="{figure}"')
    script = html.index('class="archviz-hierarchy">', start) + len('class="archviz-hierarchy">')
    return json.loads(html[script : html.index("</script>", script)].replace("<\\/", "</"))


FIGURES = ["fig-decoder", "fig-resnet", "fig-keras", "fig-plot-model", "fig-densenet"]


@pytest.mark.parametrize("figure", [*FIGURES, "fig-densenet-autograd"])
def test_every_modules_view_opens_readable(page, figure: str) -> None:
    names = shown_names(page, figure)
    assert 3 <= len(names) <= 40
    assert smallest_label(page, figure) >= 9


def test_the_hierarchy_holds_every_layer_once(site: Path) -> None:
    decoder = hierarchy(site, "fig-decoder")
    names = [group[0] for group in decoder["groups"]]
    assert names[0] == "layers.0–31"
    assert {f"layers.{n}" for n in range(32)} <= set(names)
    # Per layer: 2 norms, 4 projections and the attention's 2 other ops, 3 in the MLP, 2 adds
    # … whatever the count, every layer has the same, and the embedding and head are once.
    texts = [leaf[2].split(" ")[0] for leaf in decoder["leaves"]]
    per_layer = [sum(text.startswith(f"layers.{n}.") for text in texts) for n in range(32)]
    assert len(set(per_layer)) == 1 and per_layer[0] >= 8
    assert texts.count("embed_tokens") == 1 and texts.count("lm_head") == 1
    resnet = hierarchy(site, "fig-resnet")
    modules = [text for text in (leaf[2].split(" ")[0] for leaf in resnet["leaves"])]
    assert sum(name.endswith(("conv1", "conv2", "conv3")) for name in modules) == 1 + 16 * 3
    keras = [group[0] for group in hierarchy(site, "fig-keras")["groups"]]
    assert {"conv2", "conv2_block1", "conv2_block1_1", "conv5_block3"} <= set(keras)
    # plot_model's picture, gathered the same way; opened fully, it is plot_model's own.
    plot_model = hierarchy(site, "fig-plot-model")
    assert {"conv2", "conv2_block1", "conv5_block3"} <= {group[0] for group in plot_model["groups"]}
    drawn = [path.read_text() for path in (site / "_images").glob("archviz-*.dot")]
    [plot_model_dot] = [text for text in drawn if "(InputLayer)" in text]
    assert len(plot_model["leaves"]) == plot_model_dot.count("[label=<<table")
    assert len(plot_model["edges"]) == plot_model_dot.count(" -> ")


def test_a_folded_repeat_opens_on_its_first_member_and_steps_to_the_others(page) -> None:
    figure = "fig-decoder"
    root = diagram(page, figure)
    stepper = root.locator(".archviz-stepper")
    assert "layers.0–31" in shown_names(page, figure)
    assert stepper.is_hidden()
    fold = group(page, figure, "layers.0–31")
    assert fold.get_attribute("aria-expanded") == "false"
    redrawn(page, figure, lambda: fold.click())
    names = shown_names(page, figure)
    # The first member open, the others closed, one node each.
    assert {"layers.0.input_norm", "layers.0.post_attention_norm"} <= set(names)
    assert [name for name in names if name.startswith("layers.") and name.count(".") == 1] == [
        f"layers.{n}" for n in range(1, 32)
    ]
    assert stepper.is_visible()
    assert root.locator(".archviz-step-position").text_content() == "1 / 32"
    assert root.locator('[data-archviz-action="previous-repeat"]').is_disabled()
    # The next member, opened the same way (its attention too, once the reader opened it).
    redrawn(page, figure, lambda: group(page, figure, "layers.0.attention").click())
    redrawn(page, figure, lambda: root.locator('[data-archviz-action="next-repeat"]').click())
    names = shown_names(page, figure)
    assert "layers.1.attention.q_proj" in names and "layers.0" in names
    assert not any(name.startswith("layers.0.") for name in names)
    assert root.locator(".archviz-step-position").text_content() == "2 / 32"
    assert "open=" in page.evaluate("location.hash")
    # A member the reader opens is the one the stepper goes on from; [ and ] on the keyboard.
    redrawn(page, figure, lambda: group(page, figure, "layers.5").click())
    assert root.locator(".archviz-step-position").text_content() == "6 / 32"
    group(page, figure, "layers.5").focus()
    redrawn(page, figure, lambda: page.keyboard.press("]"))
    names = shown_names(page, figure)
    assert "layers.6.input_norm" in names and "layers.5" in names
    assert "layers.1.attention.q_proj" in names  # what the reader left open stays open
    assert root.locator(".archviz-step-position").text_content() == "7 / 32"
    save_screenshot(page, "explore-modules-decoder-layer6")
    # Closing the fold hides the stepper.
    redrawn(page, figure, lambda: group(page, figure, "layers.0–31").click())
    assert stepper.is_hidden()


def test_a_keras_scope_opens_to_its_blocks(page) -> None:
    figure = "fig-keras"
    names = shown_names(page, figure)
    assert "conv3" in names or "conv3_block1" in names
    if "conv3" in names:
        redrawn(page, figure, lambda: group(page, figure, "conv3").click())
    assert {"conv3_block1", "conv3_block4"} <= set(shown_names(page, figure))
    save_screenshot(page, "explore-modules-keras-conv3")


#: Run in a process of its own, so that this pytest process never imports torch.
_VIT_SCRIPT = """
import json
from sphinx_archviz.capture import capture
from sphinx_archviz.request import CaptureRequest, ExampleInput
drawn = capture(
    CaptureRequest("torchvision.models:vit_b_16", "torch", (ExampleInput((1, 3, 224, 224)),))
)
print(drawn.hierarchy)
"""


def test_a_parameter_whose_module_never_runs_belongs_to_the_module_that_uses_it() -> None:
    """torch's MultiheadAttention multiplies by its ``out_proj``'s weight itself (``out_proj``
    is never called): in ViT's autograd hierarchy those parameters sit in their attention, not
    loose at the top where they spread the first sight across 9,900 points."""
    result = subprocess.run(
        [sys.executable, "-c", _VIT_SCRIPT], capture_output=True, text=True, check=True
    )
    tree = json.loads(result.stdout.strip().splitlines()[-1])
    top = [tree["leaves"][item][2] for item in tree["top"] if item >= 0]
    assert not [text for text in top if "out_proj" in text]
    names = [group[0] for group in tree["groups"]]
    attention = names.index("encoder.layers.encoder_layer_3.self_attention")
    inside = [leaf[2] for leaf in tree["leaves"] if leaf[0] == attention]
    weight = "encoder.layers.encoder_layer_3.self_attention.out_proj.weight"
    assert any(text.startswith(weight) for text in inside)


def dense_block_open(data: dict, block: int) -> list[int]:
    """The first sight's groups and those around the layers of ``block`` (not the layers)."""
    names = [group[0] for group in data["groups"]]
    prefix = f"features.denseblock{block}."
    opened = set(data["open"])
    for name in names:
        if name.startswith(f"{prefix}denselayer") and "." not in name[len(prefix) :]:
            parent = data["groups"][names.index(name)][1]
            while parent >= 0:
                opened.add(parent)
                parent = data["groups"][parent][1]
    return sorted(opened)


def show_state(page, figure: str, groups: list[int]) -> None:
    root = diagram(page, figure)
    key = root.get_attribute("data-archviz")
    state = f"#{key}:open={','.join(map(str, groups))}"
    redrawn(page, figure, lambda: page.evaluate(f"location.hash = '{state}'"))


@pytest.mark.parametrize("figure", ["fig-densenet", "fig-densenet-autograd"])
def test_a_dense_block_opens_as_a_layered_chain_that_says_what_it_hides(
    page, site: Path, figure: str
) -> None:
    """DenseNet-201's third block: 48 layers, each taking the outputs of all before it (1,240
    edges drawn whole). Each layer is drawn below the one before, joined by one edge that
    says how many earlier inputs it stands for."""
    data = hierarchy(site, figure)
    show_state(page, figure, dense_block_open(data, 3))
    layers = [f"features.denseblock3.denselayer{n}" for n in range(1, 49)]
    tops = diagram(page, figure).evaluate(
        """(root, names) => names.map(name =>
          root.querySelector(`g.node[aria-label="${name}"]`).getBoundingClientRect().top)""",
        layers,
    )
    assert tops == sorted(tops) and len(set(tops)) == 48  # one rank per layer, in order
    svg = diagram(page, figure).locator("svg.archviz-graph")
    edges, nodes = svg.locator("g.edge").count(), svg.locator("g.node").count()
    assert edges <= nodes + 25  # drawn whole: over 1,200
    notes = svg.locator("g.edge text").all_text_contents()
    assert "+ 47 earlier inputs" in notes  # into the 48th layer: x and layers 1–46
    assert smallest_label(page, figure) >= 9
    save_screenshot(page, f"explore-modules-{figure}-denseblock3")
    if figure == "fig-densenet-autograd":  # its DOT download stays torchviz's whole picture
        assert downloaded_dot(site, figure).count(" -> ") == len(data["edges"]) > 3000


def downloaded_dot(site: Path, figure: str) -> str:
    html = (site / "index.html").read_text(encoding="utf-8")
    start = html.index(f'id="{figure}"')
    link = re.search(r'href="(_images/archviz-[^"]+[.]dot)"', html[start:])
    assert link is not None
    return (site / link.group(1)).read_text(encoding="utf-8")


@pytest.mark.parametrize("figure", ["fig-densenet", "fig-densenet-autograd"])
def test_the_page_draws_a_dense_state_as_this_process_does(page, site: Path, figure: str) -> None:
    """archviz.js's stateDot is state_dot's twin: the same DOT for DenseNet-201's dense
    third block, whose nodes end with the shapes they pass on (modules view) or not (autograd
    view)."""
    data = hierarchy(site, figure)
    opened = dense_block_open(data, 3)
    in_page = diagram(page, figure).evaluate(
        "(root, open) => root.archvizDiagram.hierarchy.stateDot(new Set(open))", opened
    )
    expected = state_dot(as_hierarchy(data), opened)
    assert in_page == expected and "+ 47 earlier inputs" in expected


def test_an_opened_layer_shows_its_shapes_in_its_nodes_and_draws_bare_edges(page) -> None:
    """The shapes of the tensors a node passes on end its label (``→ 1×16×4096``); an edge
    label would be a node of its own to Graphviz, and states with them took seconds."""
    figure = "fig-decoder"
    redrawn(page, figure, lambda: group(page, figure, "layers.0–31").click())
    redrawn(page, figure, lambda: group(page, figure, "layers.5").click())
    root = diagram(page, figure)
    dot = root.evaluate("root => root.archvizDiagram.hierarchy.stateDot(root.archvizDiagram.open)")
    edges = [line.strip() for line in dot.splitlines() if " -> " in line]
    assert len(edges) > 10 and all(line.count(" ") == 2 for line in edges)  # "n4 -> g7"
    assert "→ 1×16×4096" in dot and "→ 1×16×32×128" not in dot  # the attention is closed
    assert root.locator("svg.archviz-graph g.edge text").count() == 0
    texts = root.evaluate(
        """root => Object.fromEntries([...root.querySelectorAll('svg.archviz-graph g.node')]
          .map(node => [node.getAttribute('aria-label')
                          || node.querySelector('text').textContent.trim(),
                        [...node.querySelectorAll('text')].map(text => text.textContent)])
          .filter(([name]) => name))"""
    )
    assert texts["layers.5.attention"][-1] == "→ 1×16×4096"
    assert texts["layers.4"][-1] == "→ 1×16×4096"
    assert texts["embed_tokens"][-1] == "→ 1×16×4096"
