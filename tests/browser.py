"""Headless Chromium for the browser tests: Debian's ``chromium`` driven through Playwright.

A pytest plugin (conftest.py loads it once, so session fixtures exist once): the ``chromium``
and ``docs_site`` fixtures, the markers of the tests that use them, and helpers. Playwright's
own browser download needs the internet; the system Chromium does not.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sphinx_archviz.capture.graph.hierarchy import Group, Hierarchy, Leaf

CHROMIUM = os.environ.get("ARCHVIZ_CHROMIUM") or shutil.which("chromium") or ""
#: Flags that keep Chromium off the (closed) network and out of first-run dialogs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

requires_chromium = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use Chromium are ``browser`` tests; those on the docs site (which draws torch
    and Keras models) are ``framework`` tests too."""
    for item in items:
        if "chromium" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
        if "docs_site" in item.fixturenames:
            item.add_marker(pytest.mark.framework)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the whole session (a ``playwright`` Browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def page_url(site: Path, page: str) -> str:
    """The ``file://`` address of a built page (``page`` without ``.html``)."""
    return (site / f"{page}.html").resolve().as_uri()


#: Where the browser tests keep their screenshots (CI keeps docs/_build as its artifacts).
SCREENSHOTS = Path(__file__).parents[1] / "docs" / "_build" / "browser-tests" / "screenshots"


def save_screenshot(page: object, name: str) -> Path:
    """A full-page screenshot of a Playwright page under :data:`SCREENSHOTS`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


#: The documentation site as the browser tests see it; screenshots go beside it.
DOCS_SITE = Path(__file__).parents[1] / "docs" / "_build" / "browser-tests" / "html"


@pytest.fixture(scope="session")
def docs_site() -> Path:
    """Build the project's own documentation (incrementally) and return its HTML folder."""
    docs = DOCS_SITE.parents[2]
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, str(docs), str(DOCS_SITE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return DOCS_SITE


def luminance(css_colour: str) -> float:
    """The relative brightness (0 black … 1 white) of a computed ``rgb(…)``/``rgba(…)`` colour."""
    inside = css_colour[css_colour.index("(") + 1 : css_colour.index(")")]
    red, green, blue = (float(part) for part in inside.replace("/", ",").split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def serve(site: Path) -> Iterator[str]:
    """Serve a built site over HTTP while the generator is open; yields its address."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


def watched_page(chromium: object, url: str, ready: str, screenshot: str) -> Iterator[object]:
    """A 1280×900 page at ``url`` once the script ``ready`` is true; on closing, its screenshot
    is saved and it must have raised no script error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function(ready)
    yield page
    save_screenshot(page, screenshot)
    context.close()
    assert errors == []


def as_hierarchy(data: dict) -> Hierarchy:
    """The page's copy of a hierarchy (``to_json``'s), read back."""
    tree = Hierarchy(data["defaults"], reveals_insides=data["revealsInsides"])
    for (name, parent, *drawn, repeats), children in zip(
        data["groups"], data["children"], strict=True
    ):
        group = Group(name, None if parent < 0 else parent, *drawn, repeats=repeats)
        tree.groups.append(group)
        group.children = children
    tree.leaves = [Leaf(None if p < 0 else p, attrs, text) for p, attrs, text in data["leaves"]]
    tree.edges = [tuple(edge) for edge in data["edges"]]
    tree.top, tree.open = data["top"], data["open"]
    return tree
