"""Isolation and safe output: what user code can do to a build, and what it cannot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sphinx_archviz.nodes import archviz
from tests.conftest import BuildProject, requires_dot, write_site

pytestmark = [pytest.mark.framework, requires_dot]


def sphinx_build(srcdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", *args, str(srcdir), str(srcdir / "_build")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_megabytes_on_stdout_stay_out_of_the_build_log(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "src",
        {
            "index.rst": "Chatty\n======\n\n"
            ".. archviz:: broken_models:chatty\n   :input-shape: 1, 2\n"
        },
    )
    result = sphinx_build(site)
    assert result.returncode == 0
    assert "xxxxxxxx" not in result.stdout + result.stderr
    assert "WARNING" not in result.stderr
    assert len(list((site / "_build" / "_images").glob("archviz-*.svg"))) == 1


def test_tensorflow_start_up_noise_stays_out_of_the_build_log(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "src",
        {"index.rst": "Keras\n=====\n\n.. archviz:: keras_models:image_classifier\n"},
    )
    result = sphinx_build(site)
    assert result.returncode == 0
    output = result.stdout + result.stderr
    assert "oneDNN" not in output and "absl" not in output and "cpu_feature_guard" not in output


def test_absurd_input_on_the_meta_device_allocates_nothing(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: models:ImageWithMetadata\n"
            "   :input-shape: 1, 3, 100000, 100000; 1, 10\n   :show-saved:\n"
        }
    )
    assert built.warnings == ""
    [dot] = [node["dot"] for node in built.app.env.get_doctree("index").findall(archviz)]
    assert "(1, 3, 100000, 100000)" in dot


@pytest.mark.parametrize(
    ("reference", "shape"), [("broken_models:OddNames", "1, 2"), ("keras_models:odd_names", "1, 4")]
)
def test_names_with_markup_are_text_in_the_svg(
    reference: str, shape: str, build_project: BuildProject
) -> None:
    built = build_project({"index.rst": f".. archviz:: {reference}\n   :input-shape: {shape}\n"})
    assert built.warnings == ""
    [svg] = built.images()
    text = svg.read_text()
    root = ET.fromstring(text.encode())  # well-formed XML
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert "&lt;script&gt;alert(1)" in text
    assert "한국어" in text
    assert "{a|b}" in text or "{x|y}" in text


def test_caption_and_name_with_markup(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"
            "   :caption: *Tiny* <b>MLP</b> & co\n   :name: Tiny <MLP> & co\n\n"
            "See :numref:`Tiny <MLP> & co`.\n"
        },
        conf="numfig = True",
    )
    assert built.warnings == ""
    html = built.html()
    assert "<em>Tiny</em> &lt;b&gt;MLP&lt;/b&gt; &amp; co" in html
    assert 'id="tiny-mlp-co"' in html and "Fig. 1" in html


def test_the_same_diagram_on_many_pages_with_j2_is_rendered_once(tmp_path: Path) -> None:
    pages = {
        f"p{i}.rst": f"P{i}\n==\n\n.. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"
        for i in range(8)
    }
    pages["index.rst"] = "Home\n====\n\n.. toctree::\n\n" + "".join(f"   p{i}\n" for i in range(8))
    site = write_site(tmp_path / "src", pages)
    result = sphinx_build(site, "-j", "2")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    files = list((site / "_build" / "_images").glob("archviz-*"))
    # Once each: the first sight's SVG and the whole graph's DOT.
    assert sorted(path.suffix for path in files) == [".dot", ".svg"]
    assert not list((site / "_build" / "_images").glob(".tmp-*"))


def test_a_write_interrupted_midway_leaves_nothing_that_is_used(tmp_path: Path) -> None:
    page = "CNN\n===\n\n.. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"
    site = write_site(tmp_path / "src", {"index.rst": page})
    assert sphinx_build(site).returncode == 0
    cache = site / "_build" / ".doctrees" / "archviz"
    [entry] = cache.rglob("*.json")
    entry.write_text(entry.read_text()[: len(entry.read_text()) // 2])  # cut short
    (entry.parent / ".tmp-abandoned").write_text("{")  # a temporary file left behind
    images = site / "_build" / "_images"
    [image] = images.glob("archviz-*.svg")
    image.unlink()
    (site / "index.rst").write_text(page + "\nEdited.\n")
    result = sphinx_build(site)
    assert "1 rendered, 0 cached" in result.stdout
    assert json.loads(entry.read_text())["dot"].startswith("digraph")
    assert image.is_file()


def test_a_worker_out_of_memory_is_a_located_warning(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": "Greedy\n======\n\n.. archviz:: broken_models:greedy\n"
            "   :input-shape: 2, 4\n\n"
            ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"
        },
        conf="archviz_worker_memory = '2G'",
    )
    [warning] = built.archviz_warnings()
    assert warning["line"] == "4"
    assert "MemoryError" in warning["text"] and "archviz_worker_memory" in warning["text"]
    assert len(built.images()) == 1


def worker_pids(build: int) -> set[int]:
    """The framework processes (and their children) started by the build process ``build``."""
    parents: dict[int, int] = {}
    commands: dict[int, bytes] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            commands[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            pass
    found: set[int] = set()
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor != build:
            ancestor = parents[ancestor]
        if ancestor == build and b"sphinx_archviz" in commands[pid]:
            found.add(pid)
    return found


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_no_worker_outlives_an_interrupted_build(how: signal.Signals, tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "src",
        {"index.rst": "Hang\n====\n\n.. archviz:: broken_models:hangs\n   :input-shape: 2, 4\n"},
    )
    build = subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-b", "html", str(site), str(site / "_build")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    # The framework process and the child it forked for the hanging capture.
    while len(worker_pids(build.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    started = worker_pids(build.pid)
    assert len(started) >= 2
    time.sleep(1)
    os.killpg(build.pid, how) if how == signal.SIGINT else build.kill()
    build.wait(timeout=30)
    deadline = time.monotonic() + 10
    while alive(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(started)


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def test_failed_diagrams_are_recapped_and_their_pages_read_again(tmp_path: Path) -> None:
    page = "Bad\n===\n\n.. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n"
    site = write_site(tmp_path / "src", {"index.rst": page})
    first = sphinx_build(site)
    assert first.returncode == 0
    assert "archviz: 1 diagram could not be drawn:" in first.stdout
    assert "index.rst:4: models:CNNModel [archviz.forward]" in first.stdout
    again = sphinx_build(site)
    assert "0 added, 1 changed, 0 removed" in again.stdout
    assert again.stderr.count("[archviz.forward]") == 1


def test_fail_on_error_fails_the_build_without_w(tmp_path: Path) -> None:
    page = "Bad\n===\n\n.. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n"
    site = write_site(tmp_path / "src", {"index.rst": page}, conf="archviz_fail_on_error = True")
    result = sphinx_build(site)
    assert result.returncode != 0
    assert "1 diagram could not be drawn (archviz_fail_on_error is on)" in result.stderr
