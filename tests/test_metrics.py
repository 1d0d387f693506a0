"""What nodes cost: multiply-accumulates, activation memory and dtype, counted during the one
traced pass, checked against the figures torchvision publishes for its classifiers."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_archviz.style import colours_css
from tests.conftest import MODELS, BuildProject, requires_dot
from tests.test_module_view import REPOSITORY, classes, summary_rows, svgs, texts

pytestmark = pytest.mark.framework

#: A handful of architectures: convolutions, depthwise and grouped convolutions, attention.
TORCHVISION = ("resnet50", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16", "swin_t")

#: Run in a process of its own, so that this pytest process never imports torch.
_COUNT_SCRIPT = """
import json, sys, torchvision
from sphinx_archviz.capture import capture, torch as torch_backend, torch_modules
from sphinx_archviz.request import CaptureRequest, ExampleInput

log, models, *names = sys.argv[1:]
figures = {}
for name in names:
    with torch_backend.placement("meta"):
        model = torchvision.models.get_model(name)
    request = CaptureRequest(name, "torch", (ExampleInput((1, 3, 224, 224)),), view="modules")
    trace = torch_modules.trace_model(model, request, "meta")
    published = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
    figures[name] = [trace.calls[trace.root].macs, published]
request = CaptureRequest(
    "torch_models:CountsForwards", "torch", (ExampleInput((1, 3, 8, 8)),),
    kwargs={"log": log}, view="modules", summary=True, search_paths=(models,),
)
print(json.dumps({"figures": figures, "macs": capture(request).summary.macs}))
"""


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    log = tmp_path_factory.mktemp("forwards") / "forwards.log"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(MODELS)])}
    output = subprocess.run(
        [sys.executable, "-c", _COUNT_SCRIPT, str(log), str(MODELS), *TORCHVISION],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout
    return {**json.loads(output.strip().splitlines()[-1]), "log": log}


@pytest.mark.parametrize("name", TORCHVISION)
def test_macs_match_the_figure_torchvision_publishes(counted: dict, name: str) -> None:
    macs, published = counted["figures"][name]
    assert macs / 1e9 == pytest.approx(published, rel=0.01)


def test_resnet50_counts_exactly_torchvisions_4_089_gmacs(counted: dict) -> None:
    macs, published = counted["figures"]["resnet50"]
    assert published == 4.089 and macs == 4_089_184_256


def test_counting_adds_no_forward_pass(counted: dict) -> None:
    assert Path(counted["log"]).read_text() == "forward\n"
    assert counted["macs"] == 6 * 6 * 8 * 27 + 8 * 2  # the convolution and the linear layer


@requires_dot
def test_keras_mobilenet_v2_counts_torchvisions_figure_for_the_same_architecture(
    build_project: BuildProject,
) -> None:
    page = (
        ".. archviz:: keras.applications:MobileNetV2\n"
        '   :kwargs: {"weights": null}\n   :view: modules\n   :summary:\n'
    )
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    total = summary_rows(built.html())[-1]
    # torchvision's MobileNet_V2_Weights.IMAGENET1K_V1.meta["_ops"] is 0.301 (GMACs).
    assert total[0] == "Total: 3,538,984 params" and total[5] == "301M"
    assert total[6:] == ["82.6 MiB", ""]


# Heatmaps ---------------------------------------------------------------------------------------


def node_classes(svg: str) -> dict[str, str]:
    """Each node's name (its tooltip's first line) → its class attribute."""
    return per_node(svg, r'class="node ([^"]*)"')


def per_node(svg: str, pattern: str) -> dict[str, str]:
    """Each node's name (its tooltip's first line) → what ``pattern``'s group finds in it."""
    found = {}
    for chunk in svg.split('<g id="node')[1:]:
        value = re.search(pattern, chunk)
        title = re.search(r'xlink:title="([^"]*)"', chunk)
        if value and title:
            found[html.unescape(title[1]).split("\n")[0]] = html.unescape(value[1])
    return found


@requires_dot
def test_color_by_macs_and_memory_colour_the_nodes_on_a_scale_with_a_legend(
    build_project: BuildProject,
) -> None:
    wrn = ".. archviz:: torchvision.models:wide_resnet50_2\n   :input-shape: 1, 3, 224, 224\n"
    built = build_project(
        {
            "index.rst": wrn
            + "   :color-by: macs\n\n"  # without :view:, the modules view
            + wrn
            + "   :view: modules\n   :color-by: memory\n\n"
            + wrn
            + "   :view: autograd\n   :color-by: params\n"
        }
    )
    [warning] = built.warnings.splitlines()
    assert "index.rst:10: WARNING: " in warning and "[archviz.option]" in warning
    assert ":color-by: params colours the modules view; remove :view: or write" in warning
    by_macs, by_memory = svgs(built)
    macs = {name: heat(names) for name, names in node_classes(by_macs).items()}
    # conv1 118M, fc 2.05M (the smallest), the bottleneck groups 0.76G and more; 0 for the rest
    assert macs["conv1"] == 3 and macs["fc"] == 1 and macs["layer3.1–5"] == 5
    assert macs["bn1"] == macs["relu"] == macs["flatten"] == 0
    assert "node archviz-conv archviz-heat-3" in classes(by_macs)
    legend = texts(by_macs)[-7:]  # the legend is drawn last
    assert legend == ["MACs", "0", "≥ 2.05M", "≥ 8.99M", "≥ 39.5M", "≥ 173M", "≥ 761M"]
    memory = {name: heat(names) for name, names in node_classes(by_memory).items()}
    assert memory["layer1.1–2"] == 5 and memory["fc"] == 1 and memory["bn1"] > 0
    assert "Output memory" in texts(by_memory)
    css = colours_css()
    assert "svg.archviz-graph g.node.archviz-heat-5 :is(path, polygon, ellipse)" in css
    dark = r'html\[data-theme="dark"\] div\.archviz[^{]*\{[^}]*--archviz-heat-5: #9c2418'
    assert re.search(dark, css)


def heat(names: str) -> int | None:
    """The node's step on the heatmap's scale; None for inputs and outputs."""
    found = re.findall(r"archviz-heat-(\d)", names)
    return int(found[0]) if found else None


# archviz-diff -----------------------------------------------------------------------------------

DIFF = ".. archviz-diff:: torch_models:decoder torch_models:decoder_with_a_wider_layer_7\n"


def marked(svg: str) -> dict[str, list[str]]:
    """The names of the nodes marked added, removed and changed."""
    found: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    for name, names in node_classes(svg).items():
        for change in found:
            if f"archviz-{change}" in names.split():
                found[change].append(name.removeprefix("removed: "))
    return found


@requires_dot
def test_a_diff_of_two_decoders_marks_exactly_the_wider_layer(
    build_project: BuildProject,
) -> None:
    page = DIFF + "   :input-shape: 1, 64\n   :depth: 1\n\n" + DIFF + "   :input-shape: 1, 64\n"
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    by_layer, inside = svgs(built)
    assert marked(by_layer) == {"added": [], "removed": [], "changed": ["layers.7"]}
    assert marked(inside) == {
        "added": [],
        "removed": [],
        "changed": ["layers.7.up", "layers.7.down"],
    }
    rows = summary_rows(built.html().replace("archviz-changes", "archviz-summary"))
    assert rows[0] == ["Change", "Name", "Type", "Output shape", "Δ params", "Δ MACs"]
    # up: 64 → 512 instead of 256, down: 512 → 64: (256 + 256 + 64 × 256 × 2) more of each
    assert rows[1:] == [["changed", "layers.7", "DecoderLayer", "1×64", "+33,024", "+32.8K"]]


@requires_dot
def test_a_diff_marks_added_and_removed_modules_in_both_syntaxes(
    build_project: BuildProject,
) -> None:
    rst = ".. archviz-diff:: models:CNNModel models:CNNModelDeeper\n   :input-shape: 1, 1, 64, 64\n"
    myst = (
        "---\norphan: true\n---\n\n"
        "```{archviz-diff} models:CNNModelDeeper models:CNNModel\n:input-shape: 1, 1, 64, 64\n```\n"
    )
    built = build_project({"index.rst": rst, "other.md": myst})
    assert built.warnings == ""
    [deeper] = svgs(built)
    [shallower] = svgs(built, "other")
    added = marked(deeper)
    assert sorted(added["added"]) == ["conv4", "relu"]
    assert added["changed"] == added["removed"] == []
    removed = marked(shallower)
    assert sorted(removed["removed"]) == ["conv4", "relu"] and removed["added"] == []
    assert 'class="node archviz-conv archviz-removed"' in html.unescape(shallower)
