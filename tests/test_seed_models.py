"""The seed's three models, built by Sphinx from RST and both MyST fence styles, give the same
graphs as the seed's own scripts run the plain way."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_archviz.capture.canonical import canonical_node_ids
from sphinx_archviz.nodes import archviz
from tests.conftest import DOCS, diagram_files, requires_dot

SEED_SCRIPTS = Path(__file__).parent.parent / "benchmarks" / "seed"

pytestmark = [pytest.mark.framework, requires_dot]


def seed_dot(script: str, tmp_path: Path, models_dir: Path) -> str:
    """Run one of the seed's scripts in its own process and return the DOT it drew."""
    out = tmp_path / f"{script}.dot"
    env = {**os.environ, "SEED_DOT_OUT": str(out), "PYTHONPATH": str(models_dir)}
    subprocess.run(
        [sys.executable, str(SEED_SCRIPTS / script)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    return canonical_node_ids(out.read_text())


def captured_dots(app: SphinxTestApp, docname: str) -> list[str]:
    return [node["dot"] for node in app.env.get_doctree(docname).findall(archviz)]


@pytest.fixture(scope="module")
def seed_site(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> SphinxTestApp:
    srcdir = tmp_path_factory.mktemp("seed") / "src"
    shutil.copytree(rootdir / "test-seed", srcdir)
    shutil.copy(DOCS / "models.py", srcdir)
    app = SphinxTestApp("html", srcdir=srcdir)
    app.build()
    yield app
    app.cleanup()


def test_site_builds_without_warnings(seed_site: SphinxTestApp) -> None:
    assert seed_site.warning.getvalue() == ""
    images = sorted((Path(seed_site.outdir) / "_images").glob("archviz-*.svg"))
    assert len(images) == 3


def test_cnn_matches_seed_script(seed_site: SphinxTestApp, tmp_path: Path) -> None:
    [dot] = captured_dots(seed_site, "cnn")
    assert dot == seed_dot("cnn_model.py", tmp_path, Path(seed_site.srcdir))
    assert 'label="conv1.weight\n (32, 1, 5, 5)"' in dot


def test_wide_resnet_from_torchvision_matches_seed_script(
    seed_site: SphinxTestApp, tmp_path: Path
) -> None:
    [dot] = captured_dots(seed_site, "wide_resnet")
    assert dot == seed_dot("wide_resnet50_2.py", tmp_path, Path(seed_site.srcdir))
    assert dot.count("->") == 514


def test_keras_model_matches_plot_model(seed_site: SphinxTestApp, tmp_path: Path) -> None:
    [dot] = captured_dots(seed_site, "keras_cnn")
    assert dot == seed_dot("plot_model_keras.py", tmp_path, Path(seed_site.srcdir))


def page_svg(app: SphinxTestApp, page: str) -> str:
    [svg] = diagram_files(Path(app.outdir), page)
    return svg.read_text()


def test_pictures_show_parameter_names_and_layer_shapes(seed_site: SphinxTestApp) -> None:
    # An autograd diagram's SVG is its first sight (its modules); the states the reader opens
    # are drawn from the page's hierarchy, which holds torchviz's labels.
    assert ">conv1<" in page_svg(seed_site, "cnn")
    cnn = (Path(seed_site.outdir) / "cnn.html").read_text()
    assert "conv1.weight\\n (32, 1, 5, 5)" in cnn and "ConvolutionBackward0" in cnn
    keras_svg = page_svg(seed_site, "keras_cnn")
    assert "110, 110, 3" in keras_svg
    assert "Dense" in keras_svg
    assert "layer4.2.conv3.weight" in (Path(seed_site.outdir) / "wide_resnet.html").read_text()


def test_caption_and_name_make_a_numbered_figure(seed_site: SphinxTestApp) -> None:
    html = (Path(seed_site.outdir) / "cnn.html").read_text()
    assert '<figure class="align-default" id="fig-cnn">' in html
    assert "사용자 정의 CNN" in html
    assert "Fig. 1" in html


def test_both_myst_fences_render(seed_site: SphinxTestApp) -> None:
    for page in ("wide_resnet", "keras_cnn"):
        html = (Path(seed_site.outdir) / f"{page}.html").read_text()
        assert '<div class="archviz archviz-svg align-center" data-archviz="archviz-' in html
        assert '<svg class="archviz-graph" role="img"' in html


def hierarchy_of(app: SphinxTestApp, docname: str) -> tuple[dict, str, str]:
    [node] = app.env.get_doctree(docname).findall(archviz)
    return json.loads(node["hierarchy"]), node["dot"], node["first_sight"]


def test_wide_resnet_opens_on_stem_stages_and_blocks(seed_site: SphinxTestApp) -> None:
    hierarchy, _, first_sight = hierarchy_of(seed_site, "wide_resnet")
    names = [group[0] for group in hierarchy["groups"]]
    assert {names[group] for group in hierarchy["open"]} == {"layer1", "layer2", "layer3", "layer4"}
    shown = re.findall(r"^\t+([ng]\d+) \[id=", first_sight, re.MULTILINE)
    shown_groups = {names[int(name[1:])] for name in shown if name.startswith("g")}
    assert {"conv1", "bn1", "maxpool", "layer1.0", "layer2.3", "layer3.5", "fc"} <= shown_groups
    assert len(shown) <= 40


def test_wide_resnets_groups_hold_every_node_of_torchviz(seed_site: SphinxTestApp) -> None:
    hierarchy, dot, _ = hierarchy_of(seed_site, "wide_resnet")
    torchviz_nodes = re.findall(r"^\t(n\d+) \[", dot, re.MULTILINE)
    assert len(hierarchy["leaves"]) == len(torchviz_nodes)
    assert len(hierarchy["edges"]) == dot.count("->") == 514
    names = [group[0] for group in hierarchy["groups"]]
    owner = {leaf[2]: names[leaf[0]] if leaf[0] >= 0 else None for leaf in hierarchy["leaves"]}
    # A parameter belongs to the module that owns it; the output to no module.
    assert owner["layer4.2.conv3.weight (2048, 1024, 1, 1)"] == "layer4.2.conv3"
    assert owner["layer1.0.downsample.1.bias (256)"] == "layer1.0.downsample.1"
    assert owner["(1, 1000)"] is None
    in_groups = sum(1 for leaf in hierarchy["leaves"] if leaf[0] >= 0)
    assert in_groups == len(torchviz_nodes) - 2  # all but the output and flatten's view


def test_a_keras_diagram_with_nothing_to_open_is_a_plain_picture(seed_site: SphinxTestApp) -> None:
    [node] = seed_site.env.get_doctree("keras_cnn").findall(archviz)
    assert node["hierarchy"] == "" and node["first_sight"] == ""
    assert "archviz-hierarchy" not in (Path(seed_site.outdir) / "keras_cnn.html").read_text()
