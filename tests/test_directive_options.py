"""Every directive option and config value, checked on what the build produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sphinx_archviz.nodes import archviz
from tests.conftest import BuildProject, diagram_files, requires_dot

pytestmark = [pytest.mark.framework, requires_dot]

CNN = """
.. archviz:: models:CNNModel
   :input-shape: 1, 1, 64, 64
"""


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert match, svg[:400]
    return float(match[1]), float(match[2])


def dots(built, docname: str = "index") -> list[str]:
    return [node["dot"] for node in built.app.env.get_doctree(docname).findall(archviz)]


def test_alt_align_width_and_class_reach_the_inline_svg(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": CNN + "   :alt: The seed's CNN\n   :align: left\n   :width: 60%\n"
            "   :class: wide dark-safe\n"
        }
    )
    assert built.warnings == ""
    html = built.html()
    assert (
        '<div class="archviz archviz-svg align-left wide dark-safe" data-archviz="archviz-' in html
    )
    assert (
        '<svg class="archviz-graph" role="img" aria-label="The seed&#x27;s CNN" style="width: 60%"'
        in html
    )


def test_default_alt_names_the_reference(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN})
    assert 'aria-label="Architecture diagram of models:CNNModel"' in built.html()


def test_format_png_writes_a_png(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + "   :format: png\n"}, conf="archviz_downloads = []")
    [png] = built.images(".png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n")
    assert f'<img src="_images/{png.name}" alt="Architecture diagram of models:CNNModel" />' in (
        built.html()
    )
    assert f'src="_images/{png.name}"' in built.html()
    assert built.images(".svg") == []


def test_output_format_config_sets_the_default(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN}, conf="archviz_output_format = 'png'")
    assert len(built.images(".png")) == 1


def test_rankdir_lr_lays_the_graph_out_sideways(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN + "\n" + CNN + "   :rankdir: LR\n"})
    top_down, left_right = (svg_size(path.read_text()) for path in _in_page_order(built))
    assert top_down[1] > top_down[0]
    assert left_right[0] > left_right[1]


def test_rankdir_config_sets_the_default(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN}, conf="archviz_rankdir = 'LR'")
    [dot] = dots(built)
    assert "rankdir=LR" in dot


def test_show_attrs_and_show_saved_reach_torchviz(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": CNN + "   :show-attrs:\n" + CNN + "   :show-saved: true\n" + CNN}
    )
    with_attrs, with_saved, plain = dots(built)
    assert "stride" in with_attrs and "stride" not in plain
    assert "mat1" in with_saved and "mat1" not in plain


def test_kwargs_are_passed_to_the_factory(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": '.. archviz:: models:mlp\n   :input-shape: 2, 4\n   :kwargs: {"width": 7}\n'}
    )
    assert built.warnings == ""
    assert "0.weight\n (7, 4)" in dots(built)[0]


def test_function_instance_and_dotted_attribute_references(build_project: BuildProject) -> None:
    page = "".join(
        f".. archviz:: torch_models:{target}\n   :input-shape: 2, 4\n\n"
        for target in ("tiny_mlp", "tiny_instance", "Zoo.small", "TinyMLP")
    )
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    function, instance, dotted, cls = dots(built)
    assert function == instance == dotted == cls
    assert "hidden.weight\n (8, 4)" in cls


def test_example_input_array_replaces_input_shape(build_project: BuildProject) -> None:
    built = build_project({"index.rst": ".. archviz:: torch_models:WithExampleInput\n"})
    assert built.warnings == ""
    assert "\n (2, 2)" in dots(built)[0]


def test_several_inputs_separated_by_semicolons(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: torch_models:TwoInputs\n   :input-shape: 1, 3, 8, 8; 1, 10\n"}
    )
    assert built.warnings == ""
    dot = dots(built)[0]
    assert "image.weight\n (4, 3, 3, 3)" in dot and "extra.weight\n (4, 10)" in dot


def test_integer_input_dtype_feeds_token_ids(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: torch_models:TokenClassifier\n   :input-shape: 1, 12\n"
            "   :input-dtype: int64\n"
        }
    )
    assert built.warnings == ""
    assert "embedding.weight\n (100, 8)" in dots(built)[0]


def test_keras_flags(build_project: BuildProject) -> None:
    reference = ".. archviz:: keras_models:image_classifier\n"
    built = build_project(
        {
            "index.rst": reference
            + "\n"
            + reference
            + "   :show-shapes: false\n   :show-layer-names: no\n"
            + reference
            + "   :show-dtype:\n"
        }
    )
    assert built.warnings == ""
    default, bare, with_dtype = dots(built)
    assert "classifier" in default and "(None, 108, 108, 16)" in default
    assert "classifier" not in bare and "108, 108, 16" not in bare
    assert "float32" in with_dtype and "float32" not in default


def test_keras_expand_nested_draws_the_inner_model(build_project: BuildProject) -> None:
    reference = ".. archviz:: keras_models:nested\n"
    built = build_project({"index.rst": reference + "\n" + reference + "   :expand-nested:\n"})
    collapsed, expanded = dots(built)
    assert "inner_dense" not in collapsed
    assert "inner_dense" in expanded and "subgraph" in expanded


def test_keras_input_shape_builds_and_calls_a_subclassed_model(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: keras_models:Subclassed\n   :input-shape: 2, 5\n"
            "   :view: autograd\n"
        }
    )
    assert built.warnings == ""
    assert "Subclassed" in dots(built)[0]  # plot_model's one box, named after the class


def test_keras_layer_names_do_not_depend_on_earlier_diagrams(build_project: BuildProject) -> None:
    page = ".. archviz:: keras_models:unnamed_sequential\n\n" * 2
    built = build_project({"index.rst": page})
    first, second = dots(built)
    assert first == second
    assert "dense_1" in first and "dense_2" not in first


def test_framework_option_overrides_detection(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": CNN + "   :framework: torch\n"},
    )
    assert built.warnings == ""
    assert len(built.images()) == 1


def test_sys_path_config_is_relative_to_conf_dir(build_project: BuildProject, tmp_path) -> None:
    models_dir = tmp_path / "src" / "lib"
    models_dir.mkdir(parents=True)
    (models_dir / "local_nets.py").write_text(
        "import torch.nn as nn\n\ndef net():\n    return nn.Linear(3, 2)\n"
    )
    built = build_project(
        {"index.rst": ".. archviz:: local_nets:net\n   :input-shape: 1, 3\n"},
        conf="archviz_sys_path = ['lib']",
    )
    assert built.warnings == ""
    assert "weight\n (2, 3)" in dots(built)[0]


def _in_page_order(built) -> list[Path]:
    return diagram_files(built.outdir)


def test_invalid_config_values_warn_and_fall_back_to_defaults(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {"index.rst": CNN},
        conf="archviz_output_format = 'gif'\narchviz_timeout = -1\narchviz_rankdir = 'up'",
    )
    warnings = built.warnings
    assert "archviz_output_format = 'gif' must be one of 'svg', 'png'; using 'svg'" in warnings
    assert "archviz_timeout = -1 must be a positive number of seconds; using 120" in warnings
    assert "archviz_rankdir = 'up' must be one of" in warnings
    assert warnings.count("[archviz.option]") == 3
    assert len(built.images(".svg")) == 1


def test_plain_diagrams_without_the_explorer(build_project: BuildProject) -> None:
    built = build_project({"index.rst": CNN}, conf="archviz_interactive = False")
    html = built.html()
    assert built.warnings == ""
    assert '<svg class="archviz-graph"' in html and "archviz-toolbar" not in html
    assert "_static/archviz.js" in html  # still there: it draws the PNG download
    assert "data-archviz-png" in html


def test_no_script_when_nothing_needs_it(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": CNN}, conf="archviz_interactive = False\narchviz_downloads = ['svg', 'dot']"
    )
    html = built.html()
    assert "_static/archviz.js" not in html and "data-archviz-png" not in html
    assert ">SVG</a> · <a" in html and ">DOT</a></p>" in html
