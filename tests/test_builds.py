"""Whole builds: determinism, parallel builds, other builders, and what the Sphinx process
imports."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeXML
import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.console import strip_colors

from tests.conftest import DOCS, TESTS, BuildProject, requires_dot, write_site

pytestmark = requires_dot

SEED_ROOT = TESTS / "roots" / "test-seed"
# SphinxTestApp swaps alabaster for "basic" after reading conf.py, which a rebuild sees as a
# configuration change; naming the theme keeps rebuilds incremental.
SAME_THEME_ON_REBUILD = "html_theme = 'basic'"


def build_seed_site(destination: Path, *extra_args: str) -> Path:
    """Build the seed site with sphinx-build in a fresh process; return the output folder."""
    srcdir = destination / "src"
    shutil.copytree(SEED_ROOT, srcdir)
    shutil.copy(DOCS / "models.py", srcdir)
    outdir = destination / "html"
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", *extra_args, srcdir, outdir],
        check=True,
        capture_output=True,
    )
    return outdir


def image_files(outdir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (outdir / "_images").iterdir()}


@pytest.mark.framework
def test_two_builds_give_identical_files(tmp_path: Path) -> None:
    first = build_seed_site(tmp_path / "first")
    second = build_seed_site(tmp_path / "second")
    assert len(image_files(first)) == 3 * 2  # the seed's three diagrams as SVG and DOT
    for image in (first / "_images").iterdir():
        assert image.stat().st_mode & 0o444 == 0o444, f"{image.name} is not readable by all"
    assert image_files(first) == image_files(second)
    for page in ("cnn", "wide_resnet", "keras_cnn"):
        assert filecmp.cmp(first / f"{page}.html", second / f"{page}.html", shallow=False)


@pytest.mark.framework
def test_parallel_build_gives_the_same_files_as_a_serial_one(tmp_path: Path) -> None:
    serial = build_seed_site(tmp_path / "serial", "-j", "1")
    parallel = build_seed_site(tmp_path / "parallel", "-j", "2")
    assert image_files(serial) == image_files(parallel)


PROBE = textwrap.dedent(
    """
    import json, sys
    from sphinx.cmd.build import main
    from sphinx_archviz.pool import running_frameworks
    status = main(["-q", "-b", "html", sys.argv[1], sys.argv[2]])
    frameworks = sorted(m for m in ("torch", "torchvision", "tensorflow", "keras")
                        if m in sys.modules)
    print(json.dumps({"status": status, "imported": frameworks,
                      "workers": sorted(running_frameworks())}))
    """
)


def probe_build(tmp_path: Path, page: str) -> dict[str, object]:
    srcdir = write_site(tmp_path / "src", {"index.rst": page})
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(srcdir), str(tmp_path / "out")],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.framework
def test_sphinx_process_imports_no_framework(tmp_path: Path) -> None:
    page = (
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n\n"
        ".. archviz:: keras_models:image_classifier\n"
    )
    assert probe_build(tmp_path, page) == {
        "status": 0,
        "imported": [],
        "workers": ["keras", "torch"],
    }


@pytest.mark.framework
def test_torch_only_build_starts_no_keras_worker(tmp_path: Path) -> None:
    page = ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"
    assert probe_build(tmp_path, page)["workers"] == ["torch"]


@pytest.mark.slow
def test_build_without_diagrams_starts_no_worker(tmp_path: Path) -> None:
    assert probe_build(tmp_path, "Nothing to draw\n===============\n")["workers"] == []


@pytest.mark.framework
def test_sphinx_sys_path_is_left_as_it_was(build_project: BuildProject) -> None:
    before = list(sys.path)
    build_project({"index.rst": ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"})
    assert sys.path == before


@pytest.mark.framework
@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        ("text", "[Architecture diagram of torch_models:TinyMLP]"),
        ("man", "[Architecture diagram of torch_models:TinyMLP]"),
    ],
)
def test_text_builders_show_the_alt_text(
    builder: str, expected: str, build_project: BuildProject
) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n\n.. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"},
        builder=builder,
    )
    assert built.warnings == ""
    [output] = (path for path in built.outdir.iterdir() if path.suffix in (".txt", ".1"))
    assert expected in output.read_text()


@pytest.mark.framework
def test_texinfo_builder_includes_a_png(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n\n.. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"},
        builder="texinfo",
    )
    assert built.warnings == ""
    [png] = built.outdir.glob("archviz-*.png")
    texinfo = next(built.outdir.glob("*.texi")).read_text()
    assert f"@image{{{png.stem},,,Architecture diagram of torch_models:TinyMLP,png}}" in texinfo


@pytest.mark.framework
def test_latex_builder_includes_a_pdf(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": "Title\n=====\n\n"
            ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :caption: A tiny MLP\n"
        },
        builder="latex",
    )
    assert built.warnings == ""
    [pdf] = built.outdir.glob("archviz-*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    tex = next(built.outdir.glob("*.tex")).read_text()
    assert f"\\sphinxincludegraphics[]{{{pdf.name}}}" in tex
    assert "A tiny MLP" in tex


@pytest.mark.framework
def test_css_is_added_only_to_pages_with_diagrams(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": "Home\n====\n\n.. toctree::\n\n   other\n\n"
            ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n",
            "other.rst": "Other\n=====\n\nNo diagram.\n",
        }
    )
    assert "_static/archviz.css" in built.html("index")
    assert "_static/archviz.css" not in built.html("other")
    assert (built.outdir / "_static" / "archviz.css").is_file()


@pytest.mark.framework
def test_model_source_is_a_dependency_of_the_page(build_project: BuildProject) -> None:
    models = "import torch.nn as nn\n\ndef net():\n    return nn.Linear(3, {})\n"
    built = build_project(
        {"index.rst": ".. archviz:: models:net\n   :input-shape: 1, 3\n"},
        models=models.format(2),
        conf=SAME_THEME_ON_REBUILD,
    )
    srcdir = Path(built.app.srcdir)
    assert str(srcdir / "models.py") in {
        str(Path(srcdir, dep)) for dep in built.app.env.dependencies["index"]
    }
    (srcdir / "models.py").write_text(models.format(5))
    app = SphinxTestApp("html", srcdir=srcdir)
    try:
        app.build()
        dot = app.env.get_doctree("index").next_node(lambda n: "dot" in n.attributes)["dot"]
        status = strip_colors(app.status.getvalue())
    finally:
        app.cleanup()
    assert "0 added, 1 changed, 0 removed" in status
    assert "weight\n (5, 3)" in dot


@pytest.mark.framework
def test_unchanged_rebuild_reads_and_writes_nothing(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"},
        conf=SAME_THEME_ON_REBUILD,
    )
    [image] = built.images()
    modified = image.stat().st_mtime_ns
    app = SphinxTestApp("html", srcdir=Path(built.app.srcdir))
    try:
        app.build()
        status = strip_colors(app.status.getvalue())
    finally:
        app.cleanup()
    assert "0 added, 0 changed, 0 removed" in status
    assert image.stat().st_mtime_ns == modified


PARALLEL_PROBE = textwrap.dedent(
    """
    import json, sys
    from sphinx.cmd.build import main
    from sphinx_archviz import warm
    status = main(["-q", "-j", "2", "-b", "html", sys.argv[1], sys.argv[2]])
    print(json.dumps({"status": status,
                      "torch_processes": len(warm.started_here()),
                      "captures": warm.process_for("torch").status().captures}))
    """
)


@pytest.mark.framework
def test_parallel_readers_share_one_framework_process(tmp_path: Path) -> None:
    """Both readers send their captures to the one torch process, which forks a child each."""
    pages = [f"page{i}" for i in range(8)]
    site = {
        f"{page}.rst": f"Page {index}\n======\n\n.. archviz:: torch_models:tiny_mlp\n"
        f'   :input-shape: 2, 4\n   :kwargs: {{"width": {index + 2}}}\n'
        for index, page in enumerate(pages)
    }
    site["index.rst"] = "Home\n====\n\n.. toctree::\n\n" + "".join(f"   {p}\n" for p in pages)
    srcdir = write_site(tmp_path / "src", site)
    result = subprocess.run(
        [sys.executable, "-c", PARALLEL_PROBE, str(srcdir), str(tmp_path / "out")],
        check=True,
        capture_output=True,
        text=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"status": 0, "torch_processes": 1, "captures": 8}
    assert len(list((tmp_path / "out" / "_images").glob("archviz-*.svg"))) == 8


@pytest.mark.framework
def test_epub_builder_gets_a_static_inline_svg(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n\n.. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"},
        builder="epub",
        conf="version = '1'\ncopyright = '2026'",
    )
    assert built.warnings == ""
    page = (built.outdir / "index.xhtml").read_text()
    SafeXML.fromstring(page.encode())  # e-book pages are XHTML: the inline SVG must be XML too
    assert '<svg class="archviz-graph" role="img"' in page
    assert "archviz-toolbar" not in page and "archviz-download" not in page
    assert "archviz.js" not in page
    # The page holds the whole picture: no image file of it is written, or packed into the book.
    assert not list(built.outdir.glob("_images/archviz-*"))
    with zipfile.ZipFile(next(built.outdir.glob("*.epub"))) as book:
        assert "_static/archviz.css" in book.namelist()
        assert not [name for name in book.namelist() if "_images/archviz-" in name]


@pytest.mark.framework
def test_every_colour_a_diagram_uses_has_a_dark_counterpart(build_project: BuildProject) -> None:
    from sphinx_archviz.style import DARK_FILLS, DARK_INK, FAMILIES

    built = build_project(
        {
            "index.rst": "Colours\n=======\n\n"
            ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n\n"
            ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n   :show-saved:\n\n"
            ".. archviz:: torch_models:ResidualNet\n   :input-shape: 1, 3, 16, 16\n"
            "   :view: modules\n   :depth: 3\n\n"
            ".. archviz:: models:get_model\n"
        }
    )
    assert built.warnings == ""
    svgs = [SafeXML.parse(path).getroot() for path in built.images(".svg")]
    assert len(svgs) == 4
    family_fills = {family.fill for family in FAMILIES.values()}
    unmapped = set()
    for element in (element for svg in svgs for element in svg.iter()):
        is_text = element.tag.endswith("}text")
        fill, stroke = element.get("fill"), element.get("stroke")
        if stroke not in (None, "none", "transparent") and stroke not in DARK_INK:
            unmapped.add(("stroke", stroke))
        if fill in (None, "none", "transparent"):
            continue
        # Text is recoloured as ink; Keras' white heading text stays white on a dark heading.
        if is_text and fill not in DARK_INK and fill != "white":
            unmapped.add(("text", fill))
        if not is_text and not ({fill} & (DARK_FILLS.keys() | DARK_INK.keys() | family_fills)):
            unmapped.add(("fill", fill))
    assert unmapped == set()
