"""The visual language (style.py): layer families, and the stylesheets whose every colour comes
from style.py, which also writes archviz-colours.css."""

from __future__ import annotations

import re

from sphinx_archviz import style
from sphinx_archviz.assets import CSS_FILE, JS_FILE, STATIC_DIR
from sphinx_archviz.style import colours_css

COLOUR_LITERAL = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(")


def test_the_hand_written_assets_name_no_colour_and_no_dark_mode() -> None:
    for name in (CSS_FILE, JS_FILE):
        text = re.sub(r"/\*.*?\*/", "", (STATIC_DIR / name).read_text(), flags=re.DOTALL)
        assert not COLOUR_LITERAL.findall(text), name
        assert "data-theme" not in text and "prefers-color-scheme" not in text, name


def test_every_colour_variable_the_assets_use_is_written_from_style_py() -> None:
    generated = colours_css()
    declared = set(re.findall(r"^\s*(--archviz-[\w-]+):", generated, flags=re.MULTILINE))
    used = {
        variable
        for name in (CSS_FILE, JS_FILE)
        for variable in re.findall(r"--archviz-[\w-]+", (STATIC_DIR / name).read_text())
    }
    assert used and used <= declared, used - declared


def test_dark_pages_get_a_dark_value_for_every_light_colour() -> None:
    blocks = re.findall(r"^([^{}\n]+) \{\n((?:  --archviz-.*\n)+)\}", colours_css(), re.MULTILINE)
    light, dark, auto = (set(re.findall(r"--archviz-[\w-]+", body)) for _, body in blocks)
    assert light == dark == auto
    assert 'html[data-theme="dark"] div.archviz-unavailable' in blocks[1][0]
    assert blocks[2][0].startswith('body[data-theme="auto"] div.archviz')


def test_layer_families_are_the_same_for_both_frameworks() -> None:
    pairs = [
        ("Conv2d", "Conv2D", "conv"),
        ("Linear", "Dense", "linear"),
        ("BatchNorm2d", "BatchNormalization", "norm"),
        ("ReLU", "ReLU", "activation"),
        ("MaxPool2d", "MaxPooling2D", "pool"),
        ("Dropout", "Dropout", "dropout"),
        ("Embedding", "Embedding", "attention"),
        ("MultiheadAttention", "MultiHeadAttention", "attention"),
        ("LSTM", "LSTM", "recurrent"),
    ]
    for torch_name, keras_name, family in pairs:
        assert style.family_of(torch_name) == style.family_of(keras_name) == family
    assert style.family_of("add", is_function=True) == "op"
    assert style.family_of("relu", is_function=True) == "activation"
    assert style.family_of("Bottleneck", is_container=True) == "container"
    assert style.family_of("Identity") == "other"
