"""Module nodes link to where their class is defined: viewcode's pages, or linkcode_resolve's
addresses, beside the link to the class's documentation. Built in another process: autodoc
imports the models (and torch) there, not in the test process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import page_url, requires_chromium
from tests.conftest import MODELS, build_in_subprocess, requires_dot, write_site

pytestmark = [requires_dot, pytest.mark.framework, pytest.mark.slow]

PAGE = """\
Models
======

.. autoclass:: torch_models.ResidualBlock

.. archviz:: torch_models:ResidualNet
   :input-shape: 1, 3, 8, 8
   :view: modules
"""
LINKCODE = """
extensions += ['sphinx.ext.autodoc', 'sphinx.ext.linkcode']

def linkcode_resolve(domain, info):
    return f"https://code.example/{info['module'].replace('.', '/')}.py#{info['fullname']}"
"""


def build(folder: Path, conf: str) -> str:
    autodoc_path = f"import sys\nsys.path.insert(0, {str(MODELS)!r})\n"
    source = write_site(folder / "src", {"index.rst": PAGE}, autodoc_path + conf)
    html = folder / "html"
    build_in_subprocess(source, html)
    return (html / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def viewcode_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("viewcode")
    build(folder, "extensions += ['sphinx.ext.autodoc', 'sphinx.ext.viewcode']")
    return folder / "html"


def node_link(html: str, name: str) -> str:
    """The ``<a …>`` of the node whose tooltip starts with ``name``."""
    match = re.search(rf'<a ([^>]*)xlink:title="{re.escape(name)}&#10;', html)
    assert match, name
    return match[1]


def test_viewcode_page_beside_the_class_documentation(viewcode_site: Path) -> None:
    html = (viewcode_site / "index.html").read_text(encoding="utf-8")
    link = node_link(html, "blocks.0–2")
    assert 'href="#torch_models.ResidualBlock"' in link
    assert 'data-archviz-source="_modules/torch_models.html#ResidualBlock"' in link
    source_page = (viewcode_site / "_modules" / "torch_models.html").read_text(encoding="utf-8")
    assert 'id="ResidualBlock"' in source_page
    # Classes the site does not show (torch's Conv2d) link to no source.
    assert "data-archviz-source" not in node_link(html, "stem")


def test_linkcode_resolve_gives_the_address(tmp_path: Path) -> None:
    html = build(tmp_path, LINKCODE)
    link = node_link(html, "blocks.0–2")
    assert 'data-archviz-source="https://code.example/torch_models.py#ResidualBlock"' in link
    # torch was imported by autodoc, so its classes are asked about too.
    assert (
        'data-archviz-source="https://code.example/torch/nn/modules/conv.py#Conv2d"'
        in node_link(html, "stem")
    )


def test_no_source_links_without_viewcode_or_linkcode(tmp_path: Path) -> None:
    html = build(tmp_path, "extensions += ['sphinx.ext.autodoc']")
    assert "data-archviz-source=" not in html


@requires_chromium
def test_the_tooltip_offers_the_source(viewcode_site: Path, chromium) -> None:
    page = chromium.new_page(viewport={"width": 1000, "height": 900})
    page.goto(page_url(viewcode_site, "index"))
    node = page.locator("svg.archviz-graph g.node", has_text="blocks.0–2")
    node.hover()
    source = page.locator("div.archviz-tooltip a.archviz-source")
    source.wait_for()
    assert source.inner_text() == "Source"
    # The fold is a group (a click opens it), so its class's documentation is offered too.
    assert node.get_attribute("aria-expanded") == "false"
    documentation = page.locator("div.archviz-tooltip a.archviz-class")
    assert documentation.inner_text() == "Class"
    assert documentation.get_attribute("href") == "#torch_models.ResidualBlock"
    source.hover()  # the tooltip stays while the pointer moves onto it
    source.click()
    page.wait_for_url(re.compile(r"_modules/torch_models\.html#ResidualBlock$"))
    page.close()
