"""Every flag of ``archviz render`` and keyword of ``sphinx_archviz.render()`` becomes the
directive's option text, and from it the same request and display as in a Sphinx page."""

from __future__ import annotations

import dataclasses

import pytest

from sphinx_archviz.api import Settings, _option_text
from sphinx_archviz.cli import option_texts, parser
from sphinx_archviz.options import DIAGRAM_OPTIONS, capture_request, capture_timeout, display
from tests.conftest import MODELS

REFERENCE = "torch_models:TinyMLP"
#: A value for each valued option, other than its default.
SAMPLES = {
    "input-shape": "2, 4",
    "input-dtype": "int64",
    "kwargs": '{"width": 3}',
    "framework": "keras",
    "view": "modules",
    "mode": "eval",
    "depth": "3",
    "rankdir": "LR",
    "device": "cpu",
    "timeout": "7",
    "format": "png",
    "caption": "A caption",
    "name": "fig-mlp",
    "alt": "An MLP",
    "align": "left",
    "width": "50%",
    "class": "wide",
    "color-by": "macs",
    "overlay": "overlays:layer_numbers",
    "config": '{"num_hidden_layers": 2}',
}
#: The request field or display attribute each option sets, and the value it gets.
EXPECTED = {
    "input-shape": ("inputs", lambda value: value[0].shape == (2, 4)),
    "input-dtype": ("inputs", lambda value: value[0].dtype == "int64"),
    "kwargs": ("kwargs", lambda value: value == {"width": 3}),
    "framework": ("framework", lambda value: value == "keras"),
    "view": ("view", lambda value: value == "modules"),
    "mode": ("mode", lambda value: value == "eval"),
    "depth": ("depth", lambda value: value == 3),
    "rankdir": ("rankdir", lambda value: value == "LR"),
    "device": ("device", lambda value: value == "cpu"),
    "format": ("format", lambda value: value == "png"),
    "caption": ("caption", lambda value: value == "A caption"),
    "name": ("name", lambda value: value == "fig-mlp"),
    "alt": ("alt", lambda value: value == "An MLP"),
    "align": ("align", lambda value: value == "left"),
    "width": ("width", lambda value: value == "50%"),
    "class": ("classes", lambda value: value == ("wide",)),
    "color-by": ("color_by", lambda value: value == "macs"),
    "overlay": ("overlay", lambda value: value == "overlays:layer_numbers"),
    "config": ("config", lambda value: value == '{"num_hidden_layers": 2}'),
}
#: Set along with an option's own field: ``:view:`` also says the view was chosen.
ALSO = {
    "view": {"view_chosen"},
    "color-by": {"view", "view_chosen"},
    "overlay": {"view", "view_chosen"},
    "depth": {"explore_depth"},
}
CONFIG = Settings(sys_path=[MODELS], cache_folder=None).config()


def outcome(texts: dict[str, str]) -> dict[str, object]:
    """The request's fields, the display's attributes and the timeout these texts give."""
    texts = {"input-shape": "1, 4", **texts}
    request = capture_request(REFERENCE, texts, CONFIG, ".")
    shown = display(REFERENCE, texts, CONFIG)
    return {
        **{field.name: getattr(request, field.name) for field in dataclasses.fields(request)},
        **{field.name: getattr(shown, field.name) for field in dataclasses.fields(shown)},
        "timeout": capture_timeout(texts, CONFIG),
    }


@pytest.mark.parametrize("option", DIAGRAM_OPTIONS, ids=lambda option: option.name)
def test_every_flag_sets_what_the_directive_option_sets(option) -> None:
    default = outcome({})
    if option.flag:
        on = option_texts(parser().parse_args(["render", REFERENCE, f"--{option.name}"]))
        off = option_texts(parser().parse_args(["render", REFERENCE, f"--no-{option.name}"]))
        assert (on, off) == ({option.name: "true"}, {option.name: "false"})
        field = option.name.replace("-", "_")
        assert (outcome(on)[field], outcome(off)[field]) == (True, False)
        return
    value = SAMPLES[option.name]
    texts = option_texts(parser().parse_args(["render", REFERENCE, f"--{option.name}", value]))
    assert texts == {option.name: value}
    changed = {key for key, found in outcome(texts).items() if found != default[key]}
    if option.name == "timeout":
        assert changed == {"timeout"} and outcome(texts)["timeout"] == 7
        return
    field, check = EXPECTED[option.name]
    assert changed == {field, *ALSO.get(option.name, ())} and check(outcome(texts)[field])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ((1, 3, 224, 224), "1, 3, 224, 224"),
        ([(1, 3, 32, 32), (1, 10)], "1, 3, 32, 32; 1, 10"),
        ("1, 4", "1, 4"),
        ({"num_classes": 4}, '{"num_classes": 4}'),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        (["wide", "dark"], "wide dark"),
    ],
)
def test_api_keywords_are_written_as_the_directive_would(value: object, text: str) -> None:
    assert _option_text(value) == text
