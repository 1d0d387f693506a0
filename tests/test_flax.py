"""Flax NNX models: the jaxpr of one call, grouped by module, in a process of their own."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from sphinx_archviz.nodes import archviz
from sphinx_archviz.pool import pool_for
from sphinx_archviz.units import format_macs
from tests.conftest import BuildProject, Built, hide_module, requires_dot
from tests.test_module_view import summary_rows

pytestmark = [
    pytest.mark.framework,
    requires_dot,
    pytest.mark.skipif(
        importlib.util.find_spec("flax") is None, reason="the [flax] extra is not installed"
    ),
]

#: Counts ``stacked_mlp()``'s parameters and batch statistics with Flax itself, in a process of
#: its own (JAX stays out of the test process, as it stays out of the build).
_COUNT = """
import jax, json
from flax import nnx
from tests.models.flax_models import stacked_mlp
model = stacked_mlp()
print(json.dumps([sum(leaf.size for leaf in jax.tree.leaves(nnx.state(model, kind)))
                  for kind in (nnx.Param, nnx.BatchStat)]))
"""


def dots(built: Built) -> list[str]:
    return [node["dot"] for node in built.app.env.get_doctree("index").findall(archviz)]


def flax_counts() -> tuple[int, int]:
    """Trainable parameters and batch statistics of ``stacked_mlp()``, as Flax counts them."""
    result = subprocess.run(
        [sys.executable, "-c", _COUNT], capture_output=True, text=True, check=True
    )
    params, stats = json.loads(result.stdout.strip().splitlines()[-1])
    return params, stats


def test_an_nnx_model_draws_its_modules_with_shapes_and_parameters(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": """
            Flax
            ====

            .. archviz:: flax_models:stacked_mlp
               :input-shape: 4, 6
               :view: modules
               :depth: 3
               :summary:

            .. archviz:: flax_models:stacked_mlp
               :input-shape: 4, 6
            """
        }
    )
    assert built.archviz_warnings() == []
    modules, jaxpr = dots(built)
    names = set(re.findall(r"label=<<B>([^<]+)</B>", modules))
    assert {"embed", "blocks.0–2", "norm", "head", "input", "output"} <= names
    assert "Residual&#160;<B>× 3</B>" in modules
    assert "4×16" in modules and "4×32" in modules and "4×3" in modules
    assert "3,312 params, 1,104 each" in modules  # 32 (norm) + 16·32 + 32 (up) + 32·16 + 16
    params, stats = flax_counts()
    assert (params, stats) == (3507, 32)  # 112 + 3 · 1,104 + 32 + 51; the mean and variance
    html = built.html()
    assert f">{params:,}<" in html and f">{stats:,}<" in html  # the summary's totals
    # The jaxpr view: the equations themselves, one call's worth.
    equations = set(re.findall(r"label=<<B>([^<]+)</B>", jaxpr))
    assert {"dot_general", "reduce_sum", "relu", "add"} <= equations
    assert "<B>blocks.0.up</B>&#160;Linear" in jaxpr  # inside the module calls they ran in
    assert "Residual&#160;<B>× 3</B>" in jaxpr
    assert len(built.images()) == 2
    # Both open in the page as hierarchies: the fold of three blocks, each block a group, and
    # in the jaxpr view every equation a leaf inside the module call it ran in.
    for node in built.app.env.get_doctree("index").findall(archviz):
        hierarchy = json.loads(node["hierarchy"])
        names = [group[0] for group in hierarchy["groups"]]
        assert {"blocks.0–2", "blocks.0", "blocks.1", "blocks.2"} <= set(names)
    leaves = [leaf[2].split(" ")[0] for leaf in hierarchy["leaves"]]
    assert leaves.count("dot_general") >= 8  # embed, 2 per block, head


def test_the_summary_counts_a_dense_and_a_conv_layers_macs(build_project: BuildProject) -> None:
    """Counted by hand on a 2 × 8 × 8 × 3 input: the 3 × 3 convolution ("SAME") makes
    2·8·8·8 outputs of 3·3·3 products each; the dense layer 2·8·8·4 outputs of 8."""
    page = (
        ".. archviz:: flax_models:conv_dense\n"
        "   :input-shape: 2, 8, 8, 3\n   :view: modules\n   :summary:\n"
    )
    built = build_project({"index.rst": page})
    assert built.archviz_warnings() == []
    conv, dense = 2 * 8 * 8 * 8 * 27, 2 * 8 * 8 * 4 * 8
    assert (conv, dense) == (27_648, 4_096)
    rows = {row[0]: row for row in summary_rows(built.html())}
    assert format_macs(conv) in rows["conv"] and format_macs(dense) in rows["dense"]
    total = summary_rows(built.html())[-1]
    assert format_macs(conv + dense) in total
    assert "27.6K MACs" in dots(built)[0]  # the conv node's tooltip


def test_the_framework_is_detected_and_can_be_named(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": """
            Flax
            ====

            .. archviz:: flax_models:model
               :input-shape: 2, 6
               :view: modules

            .. archviz:: flax_models:model
               :input-shape: 2, 6
               :view: modules
               :framework: flax

            .. archviz:: flax_models:reads_a_weight
               :input-shape: 2, 6
               :view: modules
            """
        }
    )
    assert built.archviz_warnings() == []
    detected, named, built_for_real = dots(built)
    assert detected == named
    assert "StackedMLP" in detected
    assert built_for_real == detected  # the same model, built with real weights
    status = built.app.status.getvalue()
    assert "cannot run from shapes alone (nnx.eval_shape)" in status
    assert "drawn on the CPU instead" in status
    assert "meta device" not in status  # PyTorch's words, not Flax's


def test_a_factory_that_raises_and_a_call_that_fails_warn_once_each(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": """
            Flax
            ====

            .. archviz:: flax_models:raises
               :input-shape: 4, 6

            .. archviz:: flax_models:stacked_mlp
               :input-shape: 4, 5
            """
        }
    )
    factory, call = built.archviz_warnings()
    assert factory["path"].endswith("index.rst") and factory["line"] == "4"
    assert "calling raises() raised ValueError: no width given" in factory["text"]
    assert factory["text"].endswith("[archviz.factory]")
    assert call["line"] == "7"
    assert "running the model on input (4, 5) float32 raised" in call["text"]
    assert "check :input-shape:" in call["text"]
    assert call["text"].endswith("[archviz.forward]")
    assert "Traceback" not in built.warnings


def test_missing_flax_names_the_extra_to_install(
    build_project: BuildProject, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module("flax", tmp_path / "blocker", monkeypatch)
    pool_for("flax").stop()
    try:
        built = build_project(
            {"index.rst": "Flax\n====\n\n.. archviz:: flax_models:model\n   :input-shape: 2, 6\n"}
        )
    finally:
        pool_for("flax").stop()
    [warning] = built.archviz_warnings()
    assert warning["line"] == "4"
    assert "flax is not installed" in warning["text"]
    assert "pip install 'sphinx-archviz[flax]'" in warning["text"]
    assert warning["text"].endswith("[archviz.dependency]")
