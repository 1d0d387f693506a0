"""The meta device, the diagram cache and big models (timings live in benchmarks/)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from docutils import nodes
from sphinx.testing.util import SphinxTestApp
from sphinx.util.console import strip_colors

from sphinx_archviz.nodes import archviz
from tests.conftest import BuildProject, requires_dot, write_site

pytestmark = [pytest.mark.framework, requires_dot]


def dots(app: SphinxTestApp, docname: str = "index") -> list[str]:
    return [node["dot"] for node in app.env.get_doctree(docname).findall(archviz)]


@pytest.mark.parametrize(
    "directive",
    [
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n",
        ".. archviz:: torchvision.models:resnet18\n   :input-shape: 1, 3, 64, 64\n",
        ".. archviz:: torch_models:tiny_instance\n   :input-shape: 2, 4\n",
        ".. archviz:: torch_models:TwoInputs\n   :input-shape: 1, 3, 8, 8; 1, 10\n",
    ],
)
def test_meta_and_cpu_give_the_same_diagram(directive: str, build_project: BuildProject) -> None:
    page = f"{directive}   :device: meta\n\n{directive}   :device: cpu\n"
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    on_meta, on_cpu = dots(built.app)
    assert on_meta == on_cpu


@pytest.mark.parametrize(
    "directive",
    [
        '.. archviz:: keras.applications:MobileNetV2\n   :kwargs: {"weights": null}\n',
        ".. archviz:: models:get_model\n   :input-shape: 1, 110, 110, 3\n",
        ".. archviz:: models:get_model\n   :input-shape: 1, 110, 110, 3\n   :view: modules\n"
        "   :summary:\n",
        ".. archviz:: keras_models:ThreeLayers\n   :input-shape: 1, 32, 32, 3\n",
    ],
)
def test_keras_models_drawn_without_computing_their_weights_look_the_same(
    directive: str, build_project: BuildProject
) -> None:
    """On the meta device (the default) a Keras model's weights get a shape and no value, or
    zeros if the model is run; on the CPU they are initialised for real."""
    page = f"{directive}   :device: meta\n\n{directive}   :device: cpu\n"
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    assert "meta device" not in strip_colors(built.app.status.getvalue())
    on_meta, on_cpu = dots(built.app)
    assert on_meta == on_cpu
    tables = [table.astext() for table in built.app.env.get_doctree("index").findall(nodes.table)]
    assert len(set(tables)) <= 1


def test_device_config_sets_the_default(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: torch_models:DataDependent\n   :input-shape: 2, 4\n"},
        conf="archviz_device = 'cpu'",
    )
    assert "meta device" not in strip_colors(built.app.status.getvalue())


def test_data_dependent_model_falls_back_to_the_cpu_and_says_so(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: torch_models:DataDependent\n   :input-shape: 2, 4\n"}
    )
    assert built.warnings == ""
    status = strip_colors(built.app.status.getvalue())
    assert status.count("cannot run on the meta device") == 1
    assert "Tensor.item() cannot be called on meta tensors); drawn on the CPU instead" in status
    assert "layer.weight\n (4, 4)" in dots(built.app)[0]


def test_regnet_builds_on_the_meta_device(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: torchvision.models:regnet_y_400mf\n"
            "   :input-shape: 1, 3, 64, 64\n"
        }
    )
    assert built.warnings == ""
    assert "meta device" not in strip_colors(built.app.status.getvalue())


def test_a_7b_parameter_decoder_renders(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: big_models:decoder_7b\n   :input-shape: 1, 16\n"
            "   :input-dtype: int64\n"
        }
    )
    assert built.warnings == ""
    [dot] = dots(built.app)
    assert "layers.31.mlp.down_proj.weight\n (4096, 11008)" in dot
    assert "lm_head.weight\n (32000, 4096)" in dot
    # The page shows its first sight (the layers closed) and can open every op.
    [svg] = built.images()
    assert "layers.0" in svg.read_text() and "q_proj" not in svg.read_text()
    assert "layers.0.attention.q_proj.weight" in built.html()


# The cache ---------------------------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import json, sys
    from sphinx.cmd.build import main
    from sphinx_archviz.pool import running_frameworks
    status = main(["-b", "html", *sys.argv[3:], sys.argv[1], sys.argv[2]])
    print(json.dumps({"status": status, "workers": sorted(running_frameworks())}))
    """
)

PAGES = {
    "cnn.rst": "CNN\n===\n\n.. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n",
    "mlp.rst": "MLP\n===\n\n.. archviz:: models:mlp\n   :input-shape: 2, 4\n",
    "tiny.rst": "Tiny\n====\n\n.. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n",
    "index.rst": "Home\n====\n\n.. toctree::\n\n   cnn\n   mlp\n   tiny\n",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "src", PAGES)


def sphinx_build(srcdir: Path, *args: str) -> tuple[dict[str, object], str]:
    """Build in a fresh process (as sphinx-build would); its summary and its output."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(srcdir), str(srcdir / "_build"), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]), strip_colors("\n".join(lines[:-1]))


def touch(path: Path) -> None:
    """Mark a page as edited after the last build read it."""
    later = time.time() + 5
    os.utime(path, (later, later))


def test_rebuild_of_changed_pages_uses_the_cache_and_starts_no_worker(site: Path) -> None:
    first, log = sphinx_build(site)
    assert first["workers"] == ["torch"]
    assert "archviz: 3 diagrams: 3 rendered, 0 cached, 0 failed" in log
    for page in ("cnn.rst", "mlp.rst", "tiny.rst"):
        touch(site / page)
    again, log = sphinx_build(site)
    assert again["workers"] == []
    assert "archviz: 3 diagrams: 0 rendered, 3 cached, 0 failed" in log
    assert "archviz: models:CNNModel (" in log and "cnn.rst:4): cached" in log


def test_editing_a_model_file_rerenders_exactly_its_diagrams(site: Path) -> None:
    sphinx_build(site)
    models = site / "models.py"
    models.write_text(models.read_text().replace("nn.Linear(width, 2)", "nn.Linear(width, 3)"))
    _, log = sphinx_build(site)
    # cnn.rst and mlp.rst draw models from models.py; tiny.rst's model lives elsewhere.
    assert "archviz: 2 diagrams: 2 rendered, 0 cached, 0 failed" in log
    assert "mlp.rst:4): rendered in" in log and "cnn.rst:4): rendered in" in log
    assert "tiny.rst" not in log


def test_unchanged_rebuild_starts_no_worker(site: Path) -> None:
    sphinx_build(site)
    again, log = sphinx_build(site)
    assert again["workers"] == []
    assert "archviz:" not in log


def test_corrupt_cache_entry_is_recomputed(site: Path) -> None:
    sphinx_build(site)
    entries = sorted((site / "_build" / ".doctrees" / "archviz").rglob("*.json"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_text(entry.read_text()[:40])
        touch(site / "cnn.rst")
        touch(site / "mlp.rst")
        touch(site / "tiny.rst")
    _, log = sphinx_build(site)
    assert "archviz: 3 diagrams: 3 rendered, 0 cached, 0 failed" in log
    assert all(json.loads(entry.read_text())["dot"] for entry in entries)


def test_cache_can_be_turned_off(site: Path) -> None:
    sphinx_build(site)
    touch(site / "tiny.rst")
    _, log = sphinx_build(site, "-D", "archviz_cache=0")
    assert "archviz: 1 diagram: 1 rendered, 0 cached, 0 failed" in log


def test_unwritable_cache_gives_a_located_warning_and_the_diagram(
    build_project: BuildProject, tmp_path: Path
) -> None:
    doctrees = tmp_path / "src" / "_build" / "doctrees"
    doctrees.mkdir(parents=True)
    (doctrees / "archviz").write_text("a file where the cache folder should be")
    built = build_project(
        {"index.rst": "Title\n=====\n\n.. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"}
    )
    [warning] = built.archviz_warnings()
    assert warning["line"] == "4"
    assert "the diagram could not be stored in" in warning["text"]
    assert warning["text"].endswith("[archviz.cache]")
    assert len(built.images()) == 1


# Big graphs: recursion and layout --------------------------------------------------------


def test_the_deepest_torchvision_model_is_captured(build_project: BuildProject) -> None:
    """torchviz recurses once per graph level: EfficientNet-V2-L is deeper than Python's
    default recursion limit allows."""
    built = build_project(
        {
            "index.rst": ".. archviz:: torchvision.models:efficientnet_v2_l\n"
            "   :input-shape: 1, 3, 224, 224\n"
        }
    )
    assert built.warnings == ""
    [dot] = dots(built.app)
    assert dot.count("->") > 3000


def test_densenet_is_laid_out_with_bounded_iterations(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: torchvision.models:densenet121\n"
            "   :input-shape: 1, 3, 224, 224\n"
        }
    )
    assert built.warnings == ""
    assert "faster sfdp layout" not in strip_colors(built.app.status.getvalue())
    assert len(built.images()) == 1


def test_densenet_201_opens_layered_without_a_fallback(build_project: BuildProject) -> None:
    """Its whole graph (713 ranks) takes dot minutes and fell back to sfdp; the page shows its
    first sight, which dot lays out, and the whole graph is left to the browser."""
    built = build_project(
        {
            "index.rst": ".. archviz:: torchvision.models:densenet201\n"
            "   :input-shape: 1, 3, 224, 224\n"
        }
    )
    assert built.warnings == ""
    assert "sfdp" not in strip_colors(built.app.status.getvalue())
    [svg] = built.images()
    drawn = svg.read_text()
    assert 'class="node"' in drawn and "features.denseblock4" in drawn
    # dot's layers: the dense blocks one under another, top to bottom.
    tops = [float(re.search(rf">{name}<.*?y=\"([-\d.]+)\"", drawn, re.S)[1]) for name in BLOCKS]
    assert [name for _, name in sorted(zip(tops, BLOCKS, strict=True))] == list(BLOCKS)
    html = built.html()
    assert 'class="archviz-hierarchy"' in html and 'download="densenet201.svg"' in html
    assert len(built.images(".dot")) == 1 and built.images(".dot")[0].read_text().count("->") > 3000


BLOCKS = [f"features.denseblock{number}" for number in (1, 2, 3, 4)]


def test_a_layout_over_its_time_budget_falls_back_and_says_so(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": "Title\n=====\n\n"
            ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"
        },
        # Without the explorer, the page shows the whole graph.
        conf="archviz_layout_timeout = 0.001\narchviz_interactive = False",
    )
    assert built.warnings == ""
    status = strip_colors(built.app.status.getvalue())
    assert status.count("archviz_layout_timeout") == 1
    assert "index.rst:4): the layout took longer than 0.001 s" in status
    [svg] = built.images()
    assert "conv1.weight" in svg.read_text()


def test_graphviz_crash_on_right_angled_edges_falls_back_to_curves(
    build_project: BuildProject,
) -> None:
    """Graphviz 2.43's ortho router, plot_model's default, crashes on EfficientNet-B0's whole
    picture (drawn at build time without the explorer, whose first sight is smaller)."""
    built = build_project(
        {
            "index.rst": "Title\n=====\n\n.. archviz:: keras.applications:EfficientNetB0\n"
            '   :kwargs: {"weights": null}\n'
        },
        conf="archviz_interactive = False",
    )
    assert built.warnings == ""
    [svg] = built.images()
    assert "block1a_dwconv" in svg.read_text()
    status = strip_colors(built.app.status.getvalue())
    if "curved instead of right-angled edges" not in status:
        pytest.skip("this Graphviz lays out EfficientNet-B0's right-angled edges")
    assert "index.rst:4): dot failed:" in status
