"""The modules view (``:view: modules``), ``:depth:``, ``:fold:`` and ``:summary:``, checked on
real models: torchvision's Wide ResNet50-2, the seed's CNN, a 7B-sized decoder, small residual
nets and Keras models, drawn by real Graphviz."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sphinx_archviz.capture.graph import draw
from sphinx_archviz.nodes import archviz
from tests.conftest import MODELS, BuildProject, Built, requires_dot
from tests.unit.graph import traces

pytestmark = [pytest.mark.framework, requires_dot]

REPOSITORY = Path(__file__).parent.parent
WRN = ".. archviz:: torchvision.models:wide_resnet50_2\n   :input-shape: 1, 3, 224, 224\n"
CNN = ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"
DECODER = ".. archviz:: big_models:decoder_7b\n   :input-shape: 1, 16\n   :input-dtype: int64\n"
RESIDUAL = ".. archviz:: torch_models:ResidualNet\n   :input-shape: 1, 3, 8, 8\n"
MODULES = "   :view: modules\n"
#: Wide ResNet50-2's parameters, as torchvision documents them.
WRN_PARAMETERS = 68_883_240


# What a diagram shows -------------------------------------------------------------------------


def svgs(built: Built, docname: str = "index") -> list[str]:
    """The page's diagrams as Graphviz draws them into SVG files, in page order."""
    return [
        subprocess.run(
            ["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True
        ).stdout
        for dot in dots(built, docname)
    ]


def dots(built: Built, docname: str = "index") -> list[str]:
    return [node["dot"] for node in built.app.env.get_doctree(docname).findall(archviz)]


def classes(svg: str) -> list[str]:
    """The class attributes of the SVG's groups (Graphviz writes "-" as "&#45;" in them)."""
    return [html.unescape(found) for found in re.findall(r'<g id="[^"]*" class="([^"]*)"', svg)]


def texts(svg: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def node_count(svg: str) -> int:
    return len(re.findall(r'<g id="node\d+" class="node', svg))


def tooltips(svg: str) -> list[str]:
    return [html.unescape(title) for title in re.findall(r'xlink:title="([^"]*)"', svg)]


def tooltip_of(svg: str, name: str) -> str:
    [found] = [title for title in tooltips(svg) if title.split("\n")[0] == name]
    return found


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert match, svg[:400]
    return float(match[1]), float(match[2])


def edges(dot: str) -> list[tuple[str, str, str]]:
    """(source name, target name, label) of each edge, with node names from their tooltips."""
    names = {
        node: tooltip.split("\\n")[0]
        for node, tooltip in re.findall(r'^\s*(node\d+) \[.*?tooltip="([^"]*)"', dot, re.MULTILINE)
    }
    return [
        (names[start], names[end], label)
        for start, end, label in re.findall(r'(node\d+) -> (node\d+) \[label="([^"]*)"\]', dot)
    ]


# PyTorch --------------------------------------------------------------------------------------


def test_wide_resnet_modules_view_fits_a_column_and_folds_each_stage(
    build_project: BuildProject,
) -> None:
    built = build_project({"index.rst": WRN + MODULES})
    assert built.warnings == ""
    [svg] = svgs(built)
    width, _ = svg_size(svg)
    assert node_count(svg) <= 40
    assert width <= 400  # a docs column is about 700 px wide
    shown = texts(svg)
    for folded in ("layer1.1–2", "layer2.1–3", "layer3.1–5", "layer4.1–2"):
        assert folded in shown
    assert "Bottleneck × 5" in shown
    assert "layer1.0" in shown and "layer1.1" not in shown
    assert "flatten" in shown  # torch.flatten in forward, between avgpool and fc
    assert tooltip_of(svg, "layer1.0") == (
        "layer1.0\nBottleneck\n1×64×56×56 → 1×256×56×56\n206,336 params\n"
        "642M MACs, 27.6 MiB of outputs (float32)"
    )
    assert tooltip_of(svg, "layer3.1–5").endswith(
        "17,059,840 params, 3,411,968 each\n3.34G MACs, 26.8 MiB of outputs (float32)"
    )
    assert "cluster archviz-cluster" in classes(svg)
    assert "node archviz-conv" in classes(svg) and "node archviz-io" in classes(svg)
    assert 'xlink:href="archviz-class:torchvision.models.resnet.Bottleneck"' in svg


def test_depth_one_collapses_each_stage_with_its_summed_parameters(
    build_project: BuildProject,
) -> None:
    built = build_project({"index.rst": WRN + MODULES + "   :depth: 1\n"})
    [svg] = svgs(built)
    assert "cluster archviz-cluster" not in classes(svg)
    assert tooltip_of(svg, "layer1") == (
        "layer1\nSequential\n1×64×56×56 → 1×256×56×56\n634,368 params\n"  # 206,336 + 2 × 214,016
        "1.98G MACs, 70.4 MiB of outputs (float32)"
    )
    assert "layer1.0" not in texts(svg)
    assert node_count(svg) == 13


def test_a_deeper_level_is_drawn_as_clusters_inside_its_parent(
    build_project: BuildProject,
) -> None:
    built = build_project({"index.rst": RESIDUAL + MODULES + "   :depth: 3\n"})
    [svg] = svgs(built)
    [dot] = dots(built)
    assert classes(svg).count("cluster archviz-cluster") == 2  # blocks, and blocks.0–2 in it
    assert "blocks.0.conv" in texts(svg) and "blocks.0.bn" in texts(svg)
    assert re.search(r'subgraph "cluster_\d+" \{\n.*\n    subgraph "cluster_\d+"', dot)


def test_a_residual_connection_shows_the_add_and_both_of_its_inputs(
    build_project: BuildProject,
) -> None:
    built = build_project({"index.rst": RESIDUAL + MODULES + "   :depth: 3\n"})
    [dot] = dots(built)
    into_add = sorted((start, label) for start, end, label in edges(dot) if end == "add")
    assert into_add == [("blocks.0.bn", "1×4×8×8"), ("stem", "1×4×8×8")]
    assert ("add", "relu", "1×4×8×8") in edges(dot)
    [svg] = svgs(built)
    assert "add" in texts(svg) and "node archviz-op" in classes(svg)


def test_fold_false_draws_every_block(build_project: BuildProject) -> None:
    built = build_project({"index.rst": WRN + MODULES + "   :fold: false\n"})
    [svg] = svgs(built)
    shown = texts(svg)
    assert not any("×" in text and text.startswith("Bottleneck") for text in shown)
    for block in ("layer1.0", "layer1.1", "layer1.2", "layer3.5", "layer4.2"):
        assert block in shown
    assert node_count(svg) == 5 + 16 + 4  # input, stem; 16 bottlenecks; pool, flatten, fc, out


def test_a_module_called_again_and_again_folds_and_counts_its_parameters_once(
    build_project: BuildProject,
) -> None:
    page = ".. archviz:: torch_models:Unrolled\n   :input-shape: 1, 8\n" + MODULES
    built = build_project({"index.rst": page + "   :summary:\n\n" + page + "   :fold: no\n"})
    folded, unfolded = svgs(built)
    assert tooltip_of(folded, "cell") == (
        "cell\nSequential × 5\n1×8 → 1×8\n72 params, the same module each time\n"
        "320 MACs, 320 B of outputs (float32)"  # 5 × (8 × 8): cell.0, a Linear, each time
    )
    assert node_count(unfolded) == node_count(folded) + 4 * 2  # cell.0 and cell.1 each time
    # MACs: 5 × 8 × 8 in the cell, 8 × 2 in the head; 4 bytes for each value returned.
    assert summary_rows(built.html())[-1] == [
        *["Total: 90 params", "", "", "90", "0", "336", "328 B", ""]
    ]


def test_a_repeated_pattern_of_a_module_and_an_op_folds_into_one_cluster(
    build_project: BuildProject,
) -> None:
    page = ".. archviz:: torch_models:ReluStack\n   :input-shape: 1, 8\n" + MODULES
    built = build_project({"index.rst": page + "   :summary:\n\n" + page + "   :fold: off\n"})
    folded, unfolded = svgs(built)
    assert classes(folded).count("cluster archviz-cluster") == 1
    assert tooltip_of(folded, "hidden.0–3") == (
        "hidden.0–3\nLinear → relu × 4\n1×8 → 1×8\n288 params, 72 each\n"
        "256 MACs, 256 B of outputs (float32)"  # 4 × 64; 8 outputs of 4 bytes
    )
    assert [text for text in texts(folded) if text.startswith("hidden")] == [
        "hidden.0–3",
        "hidden.0",
    ]
    assert node_count(folded) == 5 and node_count(unfolded) == 11
    [dot, _] = dots(built)
    assert edges(dot) == [
        ("x", "hidden.0", "1×8"),
        ("hidden.0", "relu", "1×8"),
        ("relu", "head", "1×8"),
        ("head", "output", "1×2"),
    ]
    rows = summary_rows(built.html())
    assert rows[1][1:] == ["Linear → relu × 4", "1×8", "288", "0", "256", "256 B", "float32"]


def test_a_value_check_in_forward_is_left_out_and_meta_falls_back_to_the_cpu(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: torch_models:DataDependent\n   :input-shape: 2, 4\n" + MODULES}
    )
    assert built.warnings == ""
    assert "drawn on the CPU instead" in built.app.status.getvalue()
    [svg] = svgs(built)
    assert "sum" not in texts(svg)  # y.sum().item() decides a branch; it feeds no module
    assert node_count(svg) == 3


LAZY = ".. archviz:: torch_models:LazyTower\n   :input-shape: 1, 3, 8, 8\n   :summary:\n"
#: LazyTower's parameters once its first call has sized them: 3·4·3·3+4, 144·16+16, 16·2+2.
LAZY_PARAMETERS = 112 + 2_320 + 34


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_lazy_modules_draw_in_both_views_and_count_parameters_after_the_forward(
    device: str, build_project: BuildProject
) -> None:
    options = f"   :device: {device}\n"
    built = build_project({"index.rst": LAZY + options + "\n" + LAZY + options + MODULES})
    assert built.warnings == ""
    assert "drawn on the CPU instead" not in built.app.status.getvalue()
    autograd, modules = svgs(built)
    assert "AddmmBackward0" in texts(autograd)
    assert "1×144" in " ".join(texts(modules))  # the flattened input LazyLinear sized itself to
    for table in re.findall(r"<table.*?</table>", built.html(), re.DOTALL):
        rows = summary_rows(table)
        by_name = {row[0].replace("\xa0", ""): row for row in rows[1:]}
        assert by_name["conv"][1:] == [
            *["Conv2d", "1×4×6×6", "112", "0", "3.89K", "576 B", "float32"]
        ]  # 4 × 6 × 6 outputs × 3 × 3 × 3
        assert rows[-1][3] == f"{LAZY_PARAMETERS:,}"


def test_the_seed_cnn_shows_its_functional_ops_and_shapes(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + MODULES})
    assert built.warnings == ""
    [svg] = svgs(built)
    [dot] = dots(built)
    assert node_count(svg) == 15
    assert [start for start, _, _ in edges(dot)] == [
        "x", "conv1", "relu", "max_pool2d", "conv2", "relu", "max_pool2d", "conv3", "relu",
        "view", "fc1", "relu", "dropout", "fc2",
    ]  # fmt: skip
    assert ("conv3", "relu", "1×128×9×9") in edges(dot)
    assert ("relu", "view", "1×128×9×9") in edges(dot)
    assert ("view", "fc1", "1×10368") in edges(dot)
    assert tooltip_of(svg, "fc1") == (
        "fc1\nLinear\n1×10368 → 1×2046\n21,214,974 params\n"
        "21.2M MACs, 7.99 KiB of outputs (float32)"  # 10,368 × 2,046; 2,046 × 4 bytes
    )
    assert tooltip_of(svg, "x") == "x\ninput\n1×1×64×64\nfloat32, 16 KiB"
    assert 'xlink:href="archviz-class:torch.nn.modules.conv.Conv2d"' in svg
    assert 'xlink:href="archviz-class:torch.nn.functional.relu"' in svg
    assert "node archviz-activation" in classes(svg) and "node archviz-op" in classes(svg)


def test_the_7b_decoder_folds_its_32_layers(build_project: BuildProject) -> None:
    built = build_project({"index.rst": DECODER + MODULES})
    assert built.warnings == ""
    [svg] = svgs(built)
    assert node_count(svg) <= 25
    shown = texts(svg)
    assert "layers.0–31" in shown and "× 32" in shown
    assert "layers.0.attention" in shown and "layers.1.attention" not in shown
    assert tooltip_of(svg, "layers.0–31").endswith(
        "6,476,267,520 params, 202,383,360 each\n104G MACs, 230 MiB of outputs (float32)"
    )  # 32 × (2 × 4,096 + 4 × 4,096² + 3 × 4,096 × 11,008); MACs about 16 tokens × that
    [dot] = dots(built)
    # The residual adds of the layer, each with the layer's input and its branch.
    adds = [(start, end) for start, end, _ in edges(dot) if end == "add"]
    assert ("layers.0.attention", "add") in adds and ("embed_tokens", "add") in adds
    assert ("layers.0.mlp", "add") in adds


def test_rankdir_lays_the_modules_view_out_sideways(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + MODULES + "\n" + CNN + MODULES + "   :rankdir: LR\n"})
    top_down, left_right = (svg_size(svg) for svg in svgs(built))
    assert top_down[1] > top_down[0]
    assert left_right[0] > left_right[1]
    assert 'rankdir="LR"' in dots(built)[1]


def test_view_and_depth_config_values_set_the_defaults(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": WRN + "\n" + WRN + "   :view: autograd\n"},
        conf="archviz_view = 'modules'\narchviz_depth = 1",
    )
    assert built.warnings == ""
    modules, autograd = dots(built)
    assert "layer1" in modules and "layer1.0" not in modules
    assert autograd.count("->") == 514  # the seed's picture


def test_autograd_stays_the_default_view(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN})
    [dot] = dots(built)
    assert "conv1.weight\n (32, 1, 5, 5)" in dot and "archviz-" not in dot


# Summary table --------------------------------------------------------------------------------


def summary_rows(page: str) -> list[list[str]]:
    table = re.split(r'<table class="[^"]*\barchviz-summary\b', page, maxsplit=1)[1]
    table = table.split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
        ]
        for row in rows
    ]


def test_summary_lists_modules_shapes_and_parameter_totals(build_project: BuildProject) -> None:
    built = build_project({"index.rst": WRN + MODULES + "   :summary:\n"})
    assert built.warnings == ""
    rows = summary_rows(built.html())
    assert rows[0] == [
        "Name",
        "Type",
        "Output shape",
        "Trainable params",
        "Non-trainable params",
        "MACs",
        "Output memory",
        "dtype",
    ]
    by_name = {row[0].replace("\xa0", ""): row for row in rows[1:]}
    assert by_name["conv1"] == [
        *["conv1", "Conv2d", "1×64×112×112", "9,408", "0", "118M", "3.06 MiB", "float32"]
    ]
    assert by_name["layer3.1–5"][1:] == [
        *["Bottleneck × 5", "1×1024×14×14", "17,059,840", "0", "3.34G", "26.8 MiB", "float32"]
    ]
    assert by_name["fc"][1:] == [
        "Linear",
        "1×1000",
        "2,049,000",
        "0",
        "2.05M",
        "3.91 KiB",
        "float32",
    ]
    # torchvision publishes 11.398 GMACs for Wide ResNet50-2 (Wide_ResNet50_2_Weights).
    assert rows[-1] == [
        *[f"Total: {WRN_PARAMETERS:,} params", "", "", f"{WRN_PARAMETERS:,}", "0"],
        *["11.4G", "181 MiB", ""],
    ]


def test_parameters_a_module_holds_itself_have_rows_and_the_rows_add_up(
    build_project: BuildProject,
) -> None:
    torch_model = ".. archviz:: torch_models:LearnedPositions\n   :input-shape: 1, 8\n"
    keras_model = ".. archviz:: keras_models:LearnedPositions\n   :input-shape: 1, 8\n"
    dtype = "   :input-dtype: int64\n   :summary:\n" + MODULES
    built = build_project({"index.rst": torch_model + dtype + "\n" + keras_model + dtype})
    assert built.warnings == ""
    torch_table, keras_table = re.findall(r"<table.*?</table>", built.html(), re.DOTALL)
    torch_rows, keras_rows = summary_rows(torch_table), summary_rows(keras_table)
    by_name = {row[0].replace("\xa0", ""): row for row in torch_rows[1:-1]}
    assert by_name["position"][1:] == ["Parameter", "1×8×16", "128", "0", "0", "0 B", ""]
    assert by_name["block.gain"][1:] == ["Parameter", "16", "16", "0", "0", "0 B", ""]
    by_name = {row[0].replace("\xa0", ""): row for row in keras_rows[1:-1]}
    assert by_name["position"][1:] == ["Variable", "8×16", "128", "0", "0", "0 B", ""]
    for rows, total in ((torch_rows, 2_050), (keras_rows, 1_762)):
        top = [row for row in rows[1:-1] if "." not in row[0]]  # the model's children
        assert sum(int(row[3].replace(",", "")) for row in top) == total
        assert rows[-1][3] == f"{total:,}"
    inside = [row for row in torch_rows[1:-1] if row[0].replace("\xa0", "").startswith("block.")]
    assert sum(int(row[3].replace(",", "")) for row in inside) == 288  # the block's own row


def test_summary_counts_frozen_parameters_as_non_trainable(build_project: BuildProject) -> None:
    built = build_project({"index.rst": RESIDUAL + "   :summary:\n"})  # the autograd view
    assert built.warnings == ""
    rows = summary_rows(built.html())
    by_name = {row[0].replace("\xa0", ""): row for row in rows[1:]}
    assert by_name["stem"] == [
        *["stem", "Conv2d", "1×4×8×8", "0", "112", "6.91K", "1 KiB", "float32"]
    ]
    assert by_name["blocks.0–2"][1:] == [
        *["ResidualBlock × 3", "1×4×8×8", "468", "0", "27.6K", "12 KiB", "float32"]
    ]
    assert rows[-1] == ["Total: 590 params", "", "", "478", "112", "34.6K", "13 KiB", ""]
    assert "AccumulateGrad" in dots(built)[0]  # the picture is still the autograd graph


def test_summary_table_reaches_the_text_builder(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + MODULES + "   :summary:\n"}, builder="text")
    text = (built.outdir / "index.txt").read_text()
    assert "| Trainable    |" in text and "|=====" in text
    assert re.search(r"\| fc1 +\| Linear +\| 1×2046 +\| 21,214,974 +\| 0 +\|", text)
    assert "**Total: 21,480,186 params**" in text


def test_summary_table_reaches_latex(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + MODULES + "   :summary:\n"}, builder="latex")
    [tex] = built.outdir.glob("*.tex")
    latex = tex.read_text()
    assert "Trainable params" in latex and "21,214,974" in latex
    assert r"\sphinxincludegraphics" in latex


def test_summary_comes_back_from_the_cache(build_project: BuildProject) -> None:
    page = {"index.rst": CNN + MODULES + "   :summary:\n"}
    build_project(page)
    again = build_project(page, freshenv=True)
    assert "archviz: models:CNNModel (" in again.app.status.getvalue()
    assert "): cached" in again.app.status.getvalue()
    assert summary_rows(again.html())[-1][0] == "Total: 21,480,186 params"


# Keras ----------------------------------------------------------------------------------------


def test_keras_subclassed_model_shows_its_three_layers_with_shapes(
    build_project: BuildProject,
) -> None:
    reference = ".. archviz:: keras_models:ThreeLayers\n   :input-shape: 1, 32, 32, 3\n"
    built = build_project({"index.rst": reference + "   :view: autograd\n\n" + reference + MODULES})
    assert built.warnings == ""
    plot_model, modules = dots(built)
    assert "conv" not in plot_model  # plot_model: one opaque box
    [_, svg] = svgs(built)
    inner = [name for name in texts(svg) if name in ("conv", "pool", "classifier")]
    assert inner == ["conv", "pool", "classifier"]
    assert tooltip_of(svg, "conv") == (
        "conv\nConv2D\n1×32×32×3 → 1×30×30×8\n224 params\n"
        "194K MACs, 28.1 KiB of outputs (float32)"  # 30 × 30 × 8 outputs × 3 × 3 × 3
    )
    assert tooltip_of(svg, "pool") == (
        "pool\nGlobalAveragePooling2D\n1×30×30×8 → 1×8\n0 params\n0 MACs, 32 B of outputs (float32)"
    )
    assert tooltip_of(svg, "classifier") == (
        "classifier\nDense\n1×8 → 1×4\n36 params\n32 MACs, 16 B of outputs (float32)"
    )
    assert [(start, end) for start, end, _ in edges(modules)] == [
        ("input", "conv"),
        ("conv", "pool"),
        ("pool", "classifier"),
        ("classifier", "output"),
    ]
    assert 'xlink:href="archviz-class:keras.layers.Conv2D"' in svg
    assert "node archviz-conv" in classes(svg)  # the same families as PyTorch's


NAMED = ".. archviz:: keras_models:named_inputs\n"
NAMED_SHAPES = "   :input-shape: 1, 5; 1, 5\n   :input-dtype: int32; int32\n"


def test_keras_named_inputs_are_fed_as_the_dict_the_model_declares(
    build_project: BuildProject,
) -> None:
    page = "\n".join([NAMED + MODULES, NAMED + NAMED_SHAPES + MODULES, NAMED + NAMED_SHAPES])
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    own, given, plot_model = svgs(built)
    assert ("token_ids", "embedding") in [(start, end) for start, end, _ in edges(dots(built)[0])]
    assert ("padding_mask", "mask") in [(start, end) for start, end, _ in edges(dots(built)[0])]
    assert tooltip_of(own, "embedding") == (
        "embedding\nEmbedding\n1×1 → 1×1×8\n400 params\n0 MACs, 32 B of outputs (float32)"
    )
    # :input-shape: gives the inputs in the order of model.inputs (padding_mask, token_ids).
    assert tooltip_of(given, "embedding") == (
        "embedding\nEmbedding\n1×5 → 1×5×8\n400 params\n0 MACs, 160 B of outputs (float32)"
    )
    assert "token_ids" in texts(plot_model)


def test_a_keras_subclassed_model_is_drawn_in_the_modules_view_by_default(
    build_project: BuildProject,
) -> None:
    subclassed = ".. archviz:: keras_models:ThreeLayers\n   :input-shape: 1, 32, 32, 3\n"
    functional = ".. archviz:: keras_models:image_classifier\n"
    built = build_project({"index.rst": subclassed + "\n" + functional})
    assert built.warnings == ""
    [log_line] = [line for line in built.app.status.getvalue().splitlines() if "one box" in line]
    assert log_line.startswith("archviz: keras_models:ThreeLayers (")
    assert log_line.endswith(
        "plot_model draws a subclassed model as one box, so it is drawn in the modules view "
        "(:view: autograd keeps the box)"
    )
    opened, plot_model = dots(built)
    assert [name for name in ("conv", "pool", "classifier") if f'tooltip="{name}\\n' in opened]
    assert "archviz-" not in plot_model and "label=<" in plot_model  # plot_model's own graph


def test_archviz_view_is_set_per_framework(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": CNN + "\n.. archviz:: keras_models:image_classifier\n"},
        conf="archviz_view = {'keras': 'modules'}",
    )
    assert built.warnings == ""
    autograd, modules = dots(built)
    assert "AccumulateGrad" in autograd
    assert 'tooltip="conv\\nConv2D' in modules


@pytest.mark.parametrize(
    "setting",
    ["{'keras': 'layers'}", "{'jax': 'modules'}", "['modules']", "{'keras': 1}"],
)
def test_a_bad_archviz_view_warns_once_and_uses_the_default(
    setting: str, build_project: BuildProject
) -> None:
    built = build_project({"index.rst": CNN}, conf=f"archviz_view = {setting}")
    [warning] = [line for line in built.warnings.splitlines() if "[archviz.option]" in line]
    assert f"archviz_view = {setting} must be one of 'autograd', 'modules', or a dict" in warning
    assert "AccumulateGrad" in dots(built)[0]


def test_keras_custom_blocks_fold_and_collapse_by_depth(build_project: BuildProject) -> None:
    reference = ".. archviz:: keras_models:stacked_blocks\n" + MODULES
    built = build_project(
        {"index.rst": reference + "   :summary:\n\n" + reference + "   :depth: 1\n"}
    )
    assert built.warnings == ""
    expanded, collapsed = svgs(built)
    assert "× 4" in texts(expanded) and "block_0.dense" in texts(expanded)
    assert "block_0.norm" in texts(expanded)
    assert tooltip_of(collapsed, "block_0 … block_3") == (
        "block_0 … block_3\nResidualBlock × 4\n1×32 → 1×32\n4,480 params, 1,120 each\n"
        "4.1K MACs, 1 KiB of outputs (float32)"
    )
    # MACs: 16 × 32 + 4 × 32 × 32 + 32 × 3
    assert summary_rows(built.html())[-1] == [
        *["Total: 5,123 params", "", "", "5,123", "0", "4.7K", "1.14 KiB", ""]
    ]


def test_keras_functional_model_without_input_shape(build_project: BuildProject) -> None:
    built = build_project({"index.rst": ".. archviz:: models:get_model\n" + MODULES})
    assert built.warnings == ""
    [svg] = svgs(built)
    assert tooltip_of(svg, "flatten") == (
        "flatten\nFlatten\n1×26×26×64 → 1×43264\n0 params\n0 MACs, 169 KiB of outputs (float32)"
    )
    assert tooltip_of(svg, "image") == "image\ninput\n1×110×110×3\nfloat32, 142 KiB"


def test_layer_names_with_markup_are_text_in_the_modules_view(build_project: BuildProject) -> None:
    built = build_project({"index.rst": ".. archviz:: keras_models:odd_names\n" + MODULES})
    assert built.warnings == ""
    [svg] = svgs(built)
    name = "<script>alert(1)<\\script>{a|b} 한국어 & <b>"  # the line break becomes a space
    assert name in texts(svg)
    assert (
        tooltip_of(svg, name)
        == f"{name}\nDense\n1×4 → 1×2\n10 params\n8 MACs, 8 B of outputs (float32)"
    )
    assert "<script>" not in svg
    assert tooltip_of(svg, 'in<put>&"x"') == 'in<put>&"x"\ninput\n1×4\nfloat32, 16 B'


# Determinism and the user's model -------------------------------------------------------------

_CAPTURE_SCRIPT = """
import json, sys
from sphinx_archviz.capture import capture
from sphinx_archviz.request import CaptureRequest, ExampleInput

request = CaptureRequest(
    {reference!r}, {framework!r}, (ExampleInput({shape!r}),), view="modules",
    search_paths=({models!r},),
)
print(json.dumps(capture(request).dot))
"""


def _run(script: str) -> str:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(MODELS)]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("reference", "framework", "shape"),
    [
        ("torchvision.models:wide_resnet50_2", "torch", (1, 3, 224, 224)),
        ("keras_models:stacked_blocks", "keras", (1, 16)),
    ],
)
def test_modules_view_dot_is_byte_identical_across_processes(
    reference: str, framework: str, shape: tuple[int, ...]
) -> None:
    script = _CAPTURE_SCRIPT.format(
        reference=reference, framework=framework, shape=shape, models=str(MODELS)
    )
    first, second = _run(script), _run(script)
    assert json.loads(first) == json.loads(second)
    assert "digraph" in json.loads(first)


def test_tracing_leaves_the_users_model_as_it_was() -> None:
    script = """
    import json, torch
    from torch.nn.modules import module
    from sphinx_archviz.capture.torch_modules import trace_model
    from sphinx_archviz.request import CaptureRequest, ExampleInput
    import torch_models

    model = torch_models.ResidualNet().eval()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    parameters = [id(p) for p in model.parameters()]
    attributes = {name: sorted(vars(m)) for name, m in model.named_modules()}
    request = CaptureRequest("torch_models:ResidualNet", "torch", (ExampleInput((1, 3, 8, 8)),))
    trace = trace_model(model, request, "meta")
    print(json.dumps({
        "calls": len(trace.calls),
        "hooks": sum(
            len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()
        ),
        "global_hooks": len(module._global_forward_hooks)
        + len(module._global_forward_pre_hooks),
        "function_modes": torch._C._len_torch_function_stack(),
        "same_parameters": parameters == [id(p) for p in model.parameters()],
        "same_values": all(
            torch.equal(before[name], tensor) for name, tensor in model.state_dict().items()
        ),
        "on_cpu": all(p.device.type == "cpu" for p in model.parameters()),
        "same_attributes": attributes == {n: sorted(vars(m)) for n, m in model.named_modules()},
        "training": model.training,
    }))
    """
    found = json.loads(_run(script))
    assert found == {
        "calls": found["calls"],
        "hooks": 0,
        "global_hooks": 0,
        "function_modes": 0,
        "same_parameters": True,
        "same_values": True,
        "on_cpu": True,
        "same_attributes": True,
        "training": False,
    }
    assert found["calls"] > 10


def test_keras_tracing_restores_layer_call_even_when_the_call_fails() -> None:
    script = """
    import json, keras
    from sphinx_archviz.capture.keras_modules import trace_model
    from sphinx_archviz.errors import ArchvizError
    from sphinx_archviz.request import CaptureRequest, ExampleInput
    import keras_models

    original = keras.Layer.__call__
    model = keras_models.ThreeLayers()
    good = CaptureRequest("keras_models:ThreeLayers", "keras", (ExampleInput((1, 8, 8, 3)),))
    trace = trace_model(model, good)
    restored = keras.Layer.__call__ is original
    bad = CaptureRequest("keras_models:ThreeLayers", "keras", (ExampleInput((1, 8)),))
    try:
        trace_model(keras_models.ThreeLayers(), bad)
    except ArchvizError as error:
        failed = error.subtype
    print(json.dumps({
        "layers": [call.name for call in trace.calls if call.kind == "module"],
        "restored": restored,
        "failed": failed,
        "restored_after_failure": keras.Layer.__call__ is original,
    }))
    """
    assert json.loads(_run(script)) == {
        "layers": ["three_layers", "conv", "pool", "classifier"],
        "restored": True,
        "failed": "forward",
        "restored_after_failure": True,
    }


# The graph core's hand-written traces --------------------------------------------------------

_HAND_TRACED_SCRIPT = """
import json
from sphinx_archviz.capture import capture
from sphinx_archviz.request import CaptureRequest, ExampleInput

dots = [
    capture(
        CaptureRequest(
            f"hand_traced:{{name}}", "torch", (ExampleInput(shape),), view="modules",
            depth=depth, search_paths=({models!r},),
        )
    ).dot
    for name, shape, depth in {cases!r}
]
print(json.dumps(dots))
"""


def test_hand_written_traces_draw_what_pytorch_records() -> None:
    """tests/unit/graph/ draws traces written by hand: PyTorch's tracer, run on the models they
    describe (tests/models/hand_traced.py), gives the same DOT, links to the docs aside."""
    cases = [
        ("Chain", (1, 16), 1, traces.chain_of_blocks(32)),
        ("Chain", (1, 16), 2, traces.chain_of_blocks(32)),
        ("Residual", (1, 8, 32, 32), 1, traces.residual()),
        ("MLP", (1, 32), 1, traces.linear_relu_times_4()),
        ("Checked", (1, 16), 1, traces.checked()),
        *(("Nested", (1, 3, 32, 32), depth, traces.nested()) for depth in (1, 2, 3)),
    ]
    script = _HAND_TRACED_SCRIPT.format(
        models=str(MODELS), cases=[(name, shape, depth) for name, shape, depth, _ in cases]
    )
    recorded = json.loads(_run(script))
    for (name, _, depth, trace), dot in zip(cases, recorded, strict=True):
        drawn = draw(trace, depth, True, "TB", name)[0]
        assert _without_links(drawn) == _without_links(dot), (name, depth)


def _without_links(dot: str) -> str:
    return re.sub(r', URL="[^"]*"', "", dot)


def test_every_framework_in_the_registry_loads_a_backend_and_a_modules_view() -> None:
    script = """
    import json
    from sphinx_archviz.capture import load_backend, load_modules_view
    from sphinx_archviz.capture.backend import Backend, ModulesView
    from sphinx_archviz.frameworks import FRAMEWORKS

    print(json.dumps({
        framework: [
            isinstance(load_backend(framework), Backend),
            isinstance(load_modules_view(framework), ModulesView),
        ]
        for framework in FRAMEWORKS
    }))
    """
    every = ("torch", "keras", "onnx", "flax")
    assert json.loads(_run(script)) == {framework: [True, True] for framework in every}
