"""``:overlay: module:function``: the docs' own numbers per module, coloured on the heatmap's
scale with a legend, in tooltips and in a column of the summary; each bad overlay one located
warning, the diagram drawn without it, said again when the diagram comes from the cache."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from sphinx_archviz.style import HEAT
from tests.conftest import BuildProject, Built, requires_dot
from tests.test_metrics import heat, node_classes, per_node
from tests.test_module_view import summary_rows, svgs, texts, tooltip_of

pytestmark = [pytest.mark.framework, requires_dot]

RESIDUAL = ".. archviz:: torch_models:ResidualNet\n   :input-shape: 1, 3, 8, 8\n"
TINY = ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"


def fills(svg: str) -> dict[str, str]:
    """Each node's name → the fill of its shape."""
    return per_node(svg, r'<(?:polygon|path|ellipse) fill="([^"]*)"')


def test_an_overlay_colours_the_nodes_with_a_legend_tooltips_and_a_summary_column(
    build_project: BuildProject,
) -> None:
    spare = ".. archviz:: torch_models:WithASpareHead\n   :input-shape: 2, 4\n"
    built = build_project(
        {
            "index.rst": RESIDUAL
            + "   :overlay: overlays:latency_ms\n   :summary:\n\n"
            + spare
            + "   :overlay: overlays:every_module\n"
        }
    )
    # every_module names "spare" too: a module of the model that did not run, so not drawn
    assert built.warnings == ""
    svg, with_a_spare = svgs(built)
    assert "spare" not in node_classes(with_a_spare)
    assert heat(node_classes(with_a_spare)["hidden"]) == heat(node_classes(with_a_spare)["out"])
    levels = {name: heat(names) for name, names in node_classes(svg).items()}
    # 0.25 ms (head) to 7 ms (the three blocks, folded): five log-spaced steps between them
    assert levels["head"] == 1 and levels["stem"] == 2 and levels["blocks.0–2"] == 5
    assert levels["mean"] == 0  # an op: no module path, so no number: the first step
    colour = fills(svg)
    assert colour["head"] == HEAT[1][0] and colour["blocks.0–2"] == HEAT[5][0]
    legend = texts(svg)[-7:]
    assert legend == ["latency_ms", "0 or none", "≥ 0.25", "≥ 0.487", "≥ 0.948", "≥ 1.85", "≥ 3.59"]
    assert tooltip_of(svg, "blocks.0–2").endswith("\nlatency_ms: 7 (the sum of 3 modules)")
    assert tooltip_of(svg, "stem").endswith("\nlatency_ms: 0.5")
    rows = summary_rows(built.html())
    assert rows[0][-1] == "latency_ms"
    by_name = {row[0].strip(): row[-1] for row in rows[1:-1]}
    # A module without a number of its own (blocks) has the sum of those inside it.
    assert by_name == {"stem": "0.5", "blocks": "7", "blocks.0–2": "7", "head": "0.25"}
    assert rows[-1][0] == "Total: 590 params" and rows[-1][-1] == "7.75"


def test_a_keras_overlay_colours_its_layers_in_rst_and_myst(build_project: BuildProject) -> None:
    myst = (
        "---\norphan: true\n---\n\n```{archviz} keras_models:ThreeLayers\n"
        ":input-shape: 1, 16, 16, 3\n:overlay: overlays:parameters_per_layer\n:summary:\n```\n"
    )
    rst = myst.split("```{archviz} ")[1].replace(":input", "   :input").replace("\n:", "\n   :")
    built = build_project(
        {"index.rst": ".. archviz:: " + rst.removesuffix("```\n"), "other.md": myst}
    )
    assert built.warnings == ""
    for page in ("index", "other"):
        [svg] = svgs(built, page)
        levels = {name: heat(names) for name, names in node_classes(svg).items()}
        # conv 3 × 3 × 3 × 8 + 8, classifier 8 × 4 + 4, pool none
        assert (levels["conv"], levels["pool"], levels["classifier"], levels["input"]) == (
            5,
            0,
            1,
            None,
        )
        legend = ["parameters_per_layer", "0", "≥ 36", "≥ 51.9", "≥ 74.8", "≥ 108", "≥ 155"]
        assert texts(svg)[-7:] == legend
        assert tooltip_of(svg, "pool").endswith("\nparameters_per_layer: 0")
        rows = summary_rows(built.html(page))
        assert [row[-1] for row in rows] == ["parameters_per_layer", "224", "0", "36", "260"]


#: Each bad overlay, what its one warning says and its subtype.
BAD = {
    "no_such_module:latency": (
        "overlay",
        ":overlay: no module named 'no_such_module': check the module path",
    ),
    "overlays:latency": (
        "overlay",
        ":overlay: overlays has no attribute 'latency'; did you mean 'latency_ms'?",
    ),
    "overlays:not_a_function": (
        "overlay",
        ":overlay: overlays:not_a_function is a int, not a function",
    ),
    "overlays:raises": (
        "overlay",
        ":overlay: calling raises(model) raised ValueError: no profile for this model xxx",
    ),
    "overlays:returns_a_list": (
        "overlay-values",
        ":overlay: returns_a_list(model) returned a list, not a mapping of module paths to numbers",
    ),
    "overlays:bad_values": (
        "overlay-values",
        ":overlay: bad_values(model) returned 2 of 2 entries that are not a module path and a "
        "finite number: 'hidden': 'fast', 'out': nan;",
    ),
    "overlays:meta_tensors": (
        "overlay-values",
        "on the meta device: draw it with :device: cpu",
    ),
    "overlays:misspelt_keys": (
        "overlay-keys",
        ":overlay: misspelt_keys(model) returned 2 keys name no module that ran in the forward "
        "pass: 'hiden', 'outt'; modules near them: 'hidden', 'out'. The other modules are "
        "coloured",
    ),
}


def bad_page() -> tuple[str, dict[int, str]]:
    """A page with a diagram per bad overlay, and the line of each."""
    text, lines = "", {}
    for overlay in BAD:
        lines[text.count("\n") + 1] = overlay
        text += TINY + f"   :overlay: {overlay}\n\n"
    return text, lines


def said(built: Built) -> dict[int, tuple[str, str]]:
    found = {}
    for warning in built.archviz_warnings():
        assert warning["path"].endswith("index.rst")
        subtype = re.search(r"\[archviz\.([\w-]+)\]$", warning["text"])
        assert subtype and int(warning["line"]) not in found, warning
        found[int(warning["line"])] = (subtype[1], warning["text"])
    return found


def test_each_bad_overlay_warns_once_at_its_line_and_again_from_the_cache(
    build_project: BuildProject,
) -> None:
    page, lines = bad_page()
    for build in range(2):
        built = build_project({"index.rst": page}, freshenv=True)
        warnings = said(built)
        assert sorted(warnings) == sorted(lines)
        for line, overlay in lines.items():
            subtype, text = warnings[line]
            assert subtype == BAD[overlay][0] and BAD[overlay][1] in text, text
            assert "Traceback" not in text and len(text) < 700
        drawn = svgs(built)
        assert len(drawn) == len(BAD) and "archviz-unavailable" not in built.html()
        for svg, overlay in zip(drawn, BAD, strict=True):
            coloured = [name for name, names in node_classes(svg).items() if heat(names)]
            assert coloured == (["hidden"] if overlay.endswith("misspelt_keys") else []), overlay
        if build:
            assert built.app.status.getvalue().count("): cached") == len(BAD)


def test_an_overlay_module_that_appears_or_changes_redraws_the_diagram(
    build_project: BuildProject, tmp_path: Path
) -> None:
    page = {"index.rst": TINY + "   :overlay: later:numbers\n"}
    first = build_project(page)
    [(subtype, text)] = said(first).values()
    assert subtype == "overlay" and "no module named 'later'" in text
    later = tmp_path / "src" / "later.py"
    later.write_text('def numbers(model):\n    return {"hidden": 1, "out": 10}\n')
    second = build_project(page)
    assert second.archviz_warnings() == []
    [svg] = svgs(second)
    levels = {name: heat(names) for name, names in node_classes(svg).items()}
    assert (levels["x"], levels["hidden"], levels["relu"], levels["out"]) == (None, 1, 0, 5)
    later.write_text('def numbers(model):\n    return {"hidden": 10, "out": 1}\n')
    later_still = time.time() + 5
    os.utime(later, (later_still, later_still))
    third = build_project(page)
    assert "rendered in" in third.app.status.getvalue()
    [svg] = svgs(third)
    assert heat(node_classes(svg)["hidden"]) == 5 and heat(node_classes(svg)["out"]) == 1
