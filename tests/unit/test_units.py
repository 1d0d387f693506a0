"""Small pure functions: option parsing, node renumbering, framework detection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.detect import detect_framework
from sphinx_archviz.errors import MESSAGE_LIMIT, ArchvizError
from sphinx_archviz.options import parse_flag, parse_inputs
from sphinx_archviz.reference import Reference, parse_reference
from sphinx_archviz.request import ExampleInput
from tests.conftest import DOCS, MODELS, requires_dot


def test_input_shapes_and_dtypes() -> None:
    assert parse_inputs("1, 3, 32, 32; 1, 10", "float32; int64") == (
        ExampleInput((1, 3, 32, 32), "float32"),
        ExampleInput((1, 10), "int64"),
    )
    assert parse_inputs("2,4", "int64") == (ExampleInput((2, 4), "int64"),)
    assert parse_inputs(None, None) == ()


@pytest.mark.parametrize(
    ("shape", "dtype", "says"),
    [
        ("", None, "is empty"),
        ("1, -3", None, "below 1"),
        ("1, 2.5", None, "whole numbers"),
        ("1, 2; 3", "float32; int64; bool", "gives 3 dtypes for 2 inputs"),
        (None, "int64", "needs :input-shape:"),
    ],
)
def test_bad_inputs_say_what_to_fix(shape: str | None, dtype: str | None, says: str) -> None:
    with pytest.raises(ArchvizError, match=says) as caught:
        parse_inputs(shape, dtype)
    assert caught.value.subtype == "input"


def test_flags() -> None:
    assert parse_flag("show-shapes", "") is True
    assert parse_flag("show-shapes", "False") is False
    with pytest.raises(ArchvizError):
        parse_flag("show-shapes", "sometimes")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models:CNNModel", Reference("models", "CNNModel")),
        (
            " torchvision.models:wide_resnet50_2 ",
            Reference("torchvision.models", "wide_resnet50_2"),
        ),
        ("models:Zoo.small", Reference("models", "Zoo.small")),
    ],
)
def test_references(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["models", "models:", ":Net", "../models:Net", "a/b:Net", "m:1x"])
def test_malformed_references(text: str) -> None:
    with pytest.raises(ArchvizError, match="is not a reference"):
        parse_reference(text)


def test_node_ids_are_renumbered_outside_labels_and_attributes() -> None:
    dot = (
        'digraph {\n\tgraph [size="12,12"]\n\tnode [fontsize=10]\n'
        '\t1401 [label="w\n (32, 1401)" fillcolor=lightblue]\n\t1401 -> 9876\n'
        "\t9876 [label=<<b>9876</b>>]\n\tdpi=200\n}\n"
    )
    assert canonical_node_ids(dot) == (
        'digraph {\n\tgraph [size="12,12"]\n\tnode [fontsize=10]\n'
        '\tn0 [label="w\n (32, 1401)" fillcolor=lightblue]\n\tn0 -> n1\n'
        "\tn1 [label=<<b>9876</b>>]\n\tdpi=200\n}\n"
    )


SEARCH = (str(MODELS), str(DOCS))


@pytest.mark.parametrize(
    ("reference", "framework"),
    [
        ("torchvision.models:wide_resnet50_2", "torch"),
        ("keras.applications:ResNet50", "keras"),
        ("tensorflow.keras.applications:MobileNetV2", "keras"),
        ("models:CNNModel", "torch"),
        ("torch_models:tiny_instance", "torch"),
        ("keras_models:image_classifier", "keras"),
        ("broken_models:settings", "torch"),
    ],
)
def test_framework_is_detected_without_importing_it(reference: str, framework: str) -> None:
    import sys

    assert detect_framework(parse_reference(reference), SEARCH) == framework
    assert "torch" not in sys.modules and "tensorflow" not in sys.modules


def test_a_mixed_module_is_decided_by_the_definition(tmp_path: Path) -> None:
    (tmp_path / "mixed.py").write_text(
        "import torch.nn as nn\n\n"
        "class Net(nn.Module):\n    pass\n\n"
        "def build():\n    return _helper()\n\n"
        "def _helper():\n    from tensorflow import keras\n    return keras.Sequential()\n\n"
        "net = Net()\n"
    )
    search = (str(tmp_path),)
    assert detect_framework(Reference("mixed", "Net"), search) == "torch"
    assert detect_framework(Reference("mixed", "net"), search) == "torch"
    assert detect_framework(Reference("mixed", "build"), search) == "keras"


def test_a_local_package_is_followed_through_its_imports(tmp_path: Path) -> None:
    package = tmp_path / "nets"
    package.mkdir()
    (package / "__init__.py").write_text("from .blocks import Block\n")
    (package / "blocks.py").write_text("from torch import nn\n\nBlock = nn.Linear\n")
    (tmp_path / "app_models.py").write_text(
        "from nets import Block\n\ndef model():\n    return Block(2, 2)\n"
    )
    assert detect_framework(Reference("app_models", "model"), (str(tmp_path),)) == "torch"
    assert detect_framework(Reference("nets", "Block"), (str(tmp_path),)) == "torch"


def test_large_graphs_get_bounded_layout_settings() -> None:
    from sphinx_archviz.graphviz import LARGE_GRAPH_ARGS, layout_arguments

    small = "digraph {\n" + "a -> b\n" * 10 + "}"
    large = "digraph {\n" + "a -> b\n" * 1001 + "}"
    assert layout_arguments(small) == ()
    assert layout_arguments(large) == LARGE_GRAPH_ARGS


@requires_dot
def test_an_svg_drawn_at_200_dpi_shows_its_whole_graph(tmp_path: Path) -> None:
    """Keras asks Graphviz for dpi=200; Graphviz 2.43 then scales the SVG but not its viewBox."""
    from sphinx_archviz.graphviz import render

    dot_source = 'digraph G { graph [dpi=200]; a [label="first"]; a -> b; b -> c; }'
    names = render(dot_source, ["svg"], tmp_path, dot="dot", lock_folder=tmp_path / "locks")
    svg = (tmp_path / names["svg"]).read_text()
    size = re.search(
        r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="0.00 0.00 ([\d.]+) ([\d.]+)"', svg
    )
    assert size is not None
    width, height, box_width, box_height = map(float, size.groups())
    assert (width, height) == (box_width, box_height)
    assert 'transform="scale(1 1) ' in svg


@requires_dot
def test_a_change_to_the_svg_post_processing_code_redraws_cached_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sphinx_archviz import graphviz, state

    def draw() -> Path:
        names = graphviz.render(
            "digraph G { a -> b }", ["svg"], tmp_path, dot="dot", lock_folder=tmp_path / "locks"
        )
        return tmp_path / names["svg"]

    first = draw()
    written = first.stat().st_mtime_ns
    assert draw() == first and first.stat().st_mtime_ns == written  # reused, not redrawn

    # The image names follow the renderer's code: edit undo_svg_dpi in a copy of the package.
    package = tmp_path / "package"
    package.mkdir()
    source = package / "graphviz.py"
    source.write_text(Path(graphviz.__file__).read_text().replace("def undo_svg_dpi", "def undo_"))
    monkeypatch.setattr(state, "_PACKAGE", package)
    state.code_digest.cache_clear()
    try:
        second = draw()
    finally:
        state.code_digest.cache_clear()
    assert second != first and second.is_file()
    assert second.read_text() == first.read_text()


def test_a_class_is_looked_up_under_its_public_names() -> None:
    from sphinx_archviz.html import public_names

    assert list(public_names("torch.nn.modules.conv.Conv2d")) == [
        "torch.nn.modules.conv.Conv2d",
        "torch.nn.modules.Conv2d",
        "torch.nn.Conv2d",
        "torch.Conv2d",
    ]
    assert "keras.layers.Conv2D" in public_names("keras.src.layers.convolutional.conv2d.Conv2D")


def test_an_error_message_is_one_plain_bounded_line() -> None:
    keras_style = "Exception encountered.\n\n\x1b[1mThe structure of `inputs`\x1b[0m\n  • x"
    assert ArchvizError("forward", keras_style).message == (
        "Exception encountered. The structure of `inputs` • x"
    )
    flood = ArchvizError("forward", "start " + "x" * 100_000 + " end").message
    assert len(flood) <= MESSAGE_LIMIT
    assert flood.startswith("start x") and flood.endswith("x end")
    cut = int(re.search(r"\[([\d,]+) characters cut\]", flood)[1].replace(",", ""))
    assert len(flood) - len(f" … [{cut:,} characters cut] … ") + cut == 100_010
