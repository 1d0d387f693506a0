"""A model whose forward pass fails still shows what ran: the modules and ops up to the
failing call, the failing one marked with the error, the picture labelled as partial."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from tests.conftest import DOCS, MODELS, Built, requires_dot

pytestmark = [pytest.mark.framework, requires_dot]

PAGES = {
    "torch": ".. archviz:: broken_models:MismatchInBlock3\n   :input-shape: 1, 8\n"
    "   :view: modules\n",
    "autograd": ".. archviz:: broken_models:MismatchInBlock3\n   :input-shape: 1, 8\n",
    "keras": ".. archviz:: keras_models:BrokenStack\n   :input-shape: 1, 8\n   :view: modules\n",
    "op": ".. archviz:: broken_models:BadView\n   :input-shape: 1, 8\n   :view: modules\n",
}
FAILED_NODE = re.compile(
    r'<g id="[^"]*" class="node (?:archviz-\w+ )?archviz-failed">(.*?)</g>', re.S
)


@pytest.fixture(scope="module")
def partial_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    srcdir = tmp_path_factory.mktemp("partial") / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        "extensions = ['sphinx_archviz']\n"
        f"archviz_sys_path = ['.', {str(MODELS)!r}, {str(DOCS)!r}]\n"
    )
    toctree = "".join(f"   {name}\n" for name in PAGES)
    (srcdir / "index.rst").write_text(f"Index\n=====\n\n.. toctree::\n\n{toctree}")
    for name, directive in PAGES.items():
        (srcdir / f"{name}.rst").write_text(f"{name}\n{'=' * len(name)}\n\n{directive}")
    app = SphinxTestApp("html", srcdir=srcdir, warningiserror=True)
    app.build()
    yield Built(app, Path(app.outdir))
    app.cleanup()


def warning_on(built: Built, page: str) -> dict[str, str]:
    """The page's one warning (Keras' messages may still run over several lines)."""
    [warning] = re.findall(
        rf"{page}\.rst:(\d+): WARNING: (.*?\[archviz\.\w+\])", built.warnings, re.S
    )
    return {"line": warning[0], "text": " ".join(warning[1].split())}


def failed_node(built: Built, page: str) -> str:
    [node] = FAILED_NODE.findall(html.unescape(built.html(page)))
    return node


def test_the_part_that_ran_is_drawn_and_the_failing_module_marked(partial_build: Built) -> None:
    warning = warning_on(partial_build, "torch")
    assert warning["line"] == "4"
    assert warning["text"].endswith("[archviz.forward]")
    assert "mat1 and mat2 shapes cannot be multiplied" in warning["text"]
    assert "the diagram shows the part that ran, up to blocks.2.0" in warning["text"]
    html = partial_build.html("torch")
    assert "archviz-unavailable" not in html
    assert "Partial diagram: stopped at blocks.2.0" in html
    node = failed_node(partial_build, "torch")
    assert "blocks.2" in node and "mat1 and mat2 shapes cannot be multiplied" in node
    assert ">stem<" in html and "blocks.0–1" in html  # what ran before, folded as usual
    assert ">head<" not in html and ">output<" not in html  # what never ran


def test_the_autograd_view_falls_back_to_the_partial_modules_view(partial_build: Built) -> None:
    warning = warning_on(partial_build, "autograd")
    assert "drawn in the modules view" in warning["text"]
    assert "blocks.2" in failed_node(partial_build, "autograd")


def test_a_keras_model_that_fails_shows_its_layers_up_to_the_failing_one(
    partial_build: Built,
) -> None:
    warning = warning_on(partial_build, "keras")
    assert "The total size of the tensor must be unchanged" in warning["text"]
    assert "the diagram shows the part that ran, up to reshape" in warning["text"]
    node = failed_node(partial_build, "keras")
    assert "reshape" in node
    html = partial_build.html("keras")
    assert ">first<" in html and ">second<" in html and ">head<" not in html


def test_a_failing_op_between_modules_is_the_marked_node(partial_build: Built) -> None:
    node = failed_node(partial_build, "op")
    assert ">view<" in node and "shape '[-1, 3]' is invalid for input of size 8" in node
    assert "Partial diagram: stopped at view" in partial_build.html("op")


def test_a_partial_diagram_still_fails_the_build_with_w_and_is_not_cached(
    partial_build: Built,
) -> None:
    assert partial_build.app.statuscode == 1
    assert partial_build.warnings.count("WARNING") == len(PAGES)
    cache = Path(partial_build.app.doctreedir) / "archviz"
    assert not list(cache.glob("*/*.json"))
