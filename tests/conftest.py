from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.console import strip_colors

from sphinx_archviz.pool import stop_all

pytest_plugins = [
    "sphinx.testing.fixtures",
    "tests.browser",
    "tests.golden",
    "tests.tiers",
    "pytester",
]

TESTS = Path(__file__).parent
MODELS = TESTS / "models"
#: The documentation's models (the seed's CNN, its Keras CNN and small examples).
DOCS = TESTS.parent / "docs"
DIAGRAM_KEY = re.compile(r'data-archviz="(archviz-[0-9a-f]+)"')
WARNING_LINE = re.compile(r"^(?P<path>\S+?):(?P<line>\d+): WARNING: (?P<text>.*)$", re.MULTILINE)

requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return TESTS / "roots"


@pytest.fixture(scope="session", autouse=True)
def _stop_workers_at_end() -> None:
    yield
    stop_all()


def diagram_files(outdir: Path, page: str = "index", suffix: str = ".svg") -> list[Path]:
    """The image files of a built page's diagrams, in page order."""
    html = (outdir / f"{page}.html").read_text(encoding="utf-8")
    return [outdir / "_images" / f"{key}{suffix}" for key in DIAGRAM_KEY.findall(html)]


def write_site(srcdir: Path, pages: dict[str, str], conf: str = "") -> Path:
    """A Sphinx project for a build in another process: the docs' models.py, the tests' models
    on archviz_sys_path, and ``pages``."""
    srcdir.mkdir(parents=True)
    (srcdir / "models.py").write_text((DOCS / "models.py").read_text())
    (srcdir / "conf.py").write_text(
        f"extensions = ['sphinx_archviz']\narchviz_sys_path = ['.', {str(MODELS)!r}]\n{conf}\n"
    )
    for name, text in pages.items():
        (srcdir / name).parent.mkdir(parents=True, exist_ok=True)
        (srcdir / name).write_text(text, encoding="utf-8")
    return srcdir


@dataclass
class Built:
    app: SphinxTestApp
    outdir: Path

    @property
    def warnings(self) -> str:
        return strip_colors(self.app.warning.getvalue())

    def html(self, page: str = "index") -> str:
        return (self.outdir / f"{page}.html").read_text(encoding="utf-8")

    def images(self, suffix: str = ".svg") -> list[Path]:
        return sorted((self.outdir / "_images").glob(f"*{suffix}"))

    def archviz_warnings(self) -> list[dict[str, str]]:
        return [
            m.groupdict() for m in WARNING_LINE.finditer(self.warnings) if "[archviz." in m["text"]
        ]


BuildProject = Callable[..., Built]


@pytest.fixture
def build_project(tmp_path: Path, make_app: Callable[..., SphinxTestApp]) -> BuildProject:
    """Write a small Sphinx project (pages and conf.py lines) into tmp_path and build it."""

    def build(
        pages: dict[str, str],
        conf: str = "",
        builder: str = "html",
        models: str | None = None,
        **kwargs: object,
    ) -> Built:
        srcdir = tmp_path / "src"
        srcdir.mkdir(exist_ok=True)
        conf_lines = [
            'extensions = ["sphinx_archviz", "myst_parser"]',
            "myst_enable_extensions = ['colon_fence']",
            f"archviz_sys_path = ['.', {str(MODELS)!r}, {str(DOCS)!r}]",
            textwrap.dedent(conf),
        ]
        (srcdir / "conf.py").write_text("\n".join(conf_lines), encoding="utf-8")
        if models is not None:
            (srcdir / "models.py").write_text(textwrap.dedent(models), encoding="utf-8")
        for name, text in pages.items():
            (srcdir / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        app = make_app(builder, srcdir=srcdir, **kwargs)
        app.build()
        return Built(app, Path(app.outdir))

    return build


def build_in_subprocess(source: Path, html: Path) -> None:
    """``sphinx-build -W -b html`` in another process (whose imports stay out of this one)."""
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(html)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def built_site(
    tmp_path_factory: pytest.TempPathFactory, name: str, pages: dict[str, str], conf: str = ""
) -> Path:
    """The HTML of a site of ``pages``, built in another process (:func:`build_in_subprocess`)."""
    source = write_site(tmp_path_factory.mktemp(name) / "src", pages, conf)
    build_in_subprocess(source, source.parent / "html")
    return source.parent / "html"


def hide_module(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make importing ``name`` fail in the worker processes started from now on, as if it
    were not installed (a ``sitecustomize`` in ``folder`` on their ``PYTHONPATH``)."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {name!r}:\n"
        f'            raise ModuleNotFoundError("No module named {name!r}", name={name!r})\n'
        "sys.meta_path.insert(0, Block())\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(folder))
