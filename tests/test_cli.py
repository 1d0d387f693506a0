"""``archviz render`` and ``sphinx_archviz.render()``: the directive's pipeline outside Sphinx,
with the same options, the same DOT and the same error messages."""

from __future__ import annotations

import inspect
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import sphinx_archviz
from sphinx_archviz.cli import main, parser
from sphinx_archviz.directive import ArchvizDirective
from sphinx_archviz.nodes import archviz
from sphinx_archviz.options import DIAGRAM_OPTIONS
from tests.browser import luminance, requires_chromium, save_screenshot
from tests.conftest import DOCS, MODELS, BuildProject, requires_dot
from tests.test_errors import CASES

pytestmark = requires_dot

ROOT = Path(__file__).parents[1]
CNN = ["models:CNNModel", "--input-shape", "1, 1, 64, 64"]
#: Directive errors that no command line can give: every flag is --name or --no-name.
NOT_A_FLAG_VALUE = {"flag not true or false"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("archviz-cache")


def archviz_render(
    arguments: list[str], cache: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Run ``archviz render`` in this process (workers are shared across tests): status, stderr."""
    status = main(
        [
            "render",
            *arguments,
            "--sys-path",
            str(DOCS),
            "--sys-path",
            str(MODELS),
            "--cache-dir",
            str(cache),
        ]
    )
    return status, capsys.readouterr().err


def directive_arguments(directive: str) -> list[str]:
    """``.. archviz:: ref`` and its ``:option: value`` lines as command-line arguments."""
    first, *lines = directive.splitlines()
    arguments = [first.removeprefix(".. archviz::").strip()]
    for line in lines:
        name, _, value = line.strip()[1:].partition(": ")
        arguments += [f"--{name}", value]
    return arguments


def test_every_directive_option_is_a_flag_and_a_keyword() -> None:
    flags = parser()._subparsers._group_actions[0].choices["render"]._option_string_actions
    keywords = set(inspect.signature(sphinx_archviz.render).parameters)
    for option in DIAGRAM_OPTIONS:
        assert f"--{option.name}" in flags
        assert option.keyword in keywords
        if option.flag:
            assert f"--no-{option.name}" in flags
    assert keywords - {option.keyword for option in DIAGRAM_OPTIONS} == {
        "reference",
        "output",
        "for_print",
        "settings",
    }
    assert set(ArchvizDirective.option_spec) == {o.name for o in DIAGRAM_OPTIONS}


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["render", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in DIAGRAM_OPTIONS:
        assert f"--{option.name}" in text
    for flag in ("--output", "--print", "--sys-path", "--dot", "--cache-dir", "--no-cache"):
        assert flag in text
    assert ".svg, .png, .pdf, .dot, .html" in text


@pytest.mark.framework
def test_svg_png_pdf_dot_by_suffix(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for suffix in ("svg", "png", "pdf", "dot"):
        status, err = archviz_render([*CNN, "-o", str(tmp_path / f"cnn.{suffix}")], cache, capsys)
        assert status == 0, err
        assert f"wrote {tmp_path / f'cnn.{suffix}'}" in err
    svg = (tmp_path / "cnn.svg").read_text()
    assert "<svg" in svg and "conv1.weight" in svg
    assert (tmp_path / "cnn.png").read_bytes().startswith(b"\x89PNG\r\n")
    assert (tmp_path / "cnn.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "cnn.dot").read_text().startswith("digraph")


@pytest.mark.framework
def test_dot_is_byte_identical_to_the_directive(
    build_project: BuildProject, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n\n"
            ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n   :view: modules\n"
            "   :rankdir: LR\n   :fold: false\n"
        }
    )
    directive_dots = [node["dot"] for node in built.app.env.get_doctree("index").findall(archviz)]
    commands = [CNN, [*CNN, "--view", "modules", "--rankdir", "LR", "--no-fold"]]
    for number, (arguments, expected) in enumerate(zip(commands, directive_dots, strict=True)):
        output = tmp_path / f"{number}.dot"
        status, err = archviz_render([*arguments, "-o", str(output), "--no-cache"], cache, capsys)
        assert status == 0, err
        assert output.read_bytes() == expected.encode()


@pytest.mark.framework
def test_standalone_svg_has_no_site_links(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "cnn.svg"
    archviz_render([*CNN, "--view", "modules", "-o", str(output)], cache, capsys)
    svg = output.read_text()
    assert "Conv2d" in svg and "archviz-class:" not in svg


@pytest.mark.framework
def test_html_is_one_self_contained_page(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "cnn.html"
    status, err = archviz_render(
        [*CNN, "--caption", "The seed's CNN", "--name", "fig-cnn", "-o", str(output)],
        cache,
        capsys,
    )
    assert status == 0, err
    page = output.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<figure class="archviz-figure" id="fig-cnn">' in page
    assert "<figcaption>The seed&#x27;s CNN</figcaption>" in page
    assert 'class="archviz-toolbar"' in page and "class Diagram" in page  # the explorer
    assert "--archviz-family-conv" in page and "prefers-color-scheme: dark" in page
    assert 'href="data:image/svg+xml;base64,' in page and 'href="data:text/vnd.graphviz' in page
    assert "data-archviz-png" in page  # drawn by the script
    assert not re.search(r'(src|href)="(?!data:|#)', page)  # nothing from elsewhere


@pytest.mark.framework
def test_print_variant(tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in ("svg", "pdf", "png", "html"):
        status, err = archviz_render(
            [*CNN, "--print", "-o", str(tmp_path / f"print.{suffix}")], cache, capsys
        )
        assert status == 0, err
    archviz_render([*CNN, "-o", str(tmp_path / "screen.png")], cache, capsys)
    svg = (tmp_path / "print.svg").read_text()
    assert "<symbol" in svg and "<text" not in svg  # outlined: no font needed
    assert "fill:rgb(100%,100%,100%)" in svg  # white paper
    pdf = (tmp_path / "print.pdf").read_bytes()
    assert b"/FontFile" in pdf  # fonts embedded
    assert b"/Subtype /Image" not in pdf  # vector
    assert (tmp_path / "print.png").stat().st_size > 2 * (tmp_path / "screen.png").stat().st_size
    page = (tmp_path / "print.html").read_text()
    assert 'class="archviz-toolbar"' not in page and "<script" not in page
    assert "\n<body>\n" in page  # no data-theme="auto": light only, no dark mode
    assert 'href="data:application/pdf;base64,' in page


@pytest.mark.framework
@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_A_FLAG_VALUE))
def test_errors_are_the_directive_warnings(
    name: str, cache: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    case = CASES[name]
    arguments = directive_arguments(case.directive)
    status, err = archviz_render([*arguments, "-o", str(tmp_path / "out.svg")], cache, capsys)
    assert status == 1
    [line] = err.strip().splitlines()
    assert line.startswith(f"archviz: {arguments[0]}: ")
    assert case.says in line and line.endswith(f"[archviz.{case.subtype}]")
    assert not (tmp_path / "out.svg").exists()


@pytest.mark.framework
def test_unknown_suffix_and_unwritable_output(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = archviz_render([*CNN, "-o", str(tmp_path / "cnn.gif")], cache, capsys)
    assert status == 1
    assert err.strip() == (
        "archviz: models:CNNModel: 'cnn.gif' does not end in one of .svg, .png, .pdf, .dot, "
        ".html, which choose what is written [archviz.option]"
    )
    (tmp_path / "file").write_text("")
    status, err = archviz_render([*CNN, "-o", str(tmp_path / "file" / "cnn.svg")], cache, capsys)
    assert status == 1
    assert "could not write" in err and "[archviz.graphviz]" in err
    assert "Traceback" not in err


@pytest.mark.framework
def test_missing_dot_program(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = archviz_render(
        [*CNN, "--dot", "no-such-dot", "-o", str(tmp_path / "cnn.svg")], cache, capsys
    )
    assert status == 1
    assert "the Graphviz program 'no-such-dot' was not found" in err


@pytest.mark.framework
def test_cache_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    for _ in range(2):
        archviz_render([*CNN, "-o", str(tmp_path / "cnn.dot")], cache, capsys)
    status, err = archviz_render([*CNN, "-o", str(tmp_path / "cnn.dot")], cache, capsys)
    assert "models:CNNModel: cached" in err
    assert list((cache / "captures").glob("*/*.json"))
    status, err = archviz_render([*CNN, "-q", "-o", str(tmp_path / "cnn.dot")], cache, capsys)
    assert status == 0 and err == ""
    status, err = archviz_render(
        [*CNN, "--no-cache", "-o", str(tmp_path / "cnn.dot")], tmp_path / "unused", capsys
    )
    assert "rendered in" in err and not (tmp_path / "unused").exists()


@pytest.mark.framework
def test_output_defaults_to_the_attribute_name(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _ = archviz_render(CNN, cache, capsys)
    assert status == 0 and (tmp_path / "CNNModel.svg").is_file()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["render"])
    assert exit_.value.code == 2
    assert "REFERENCE" in capsys.readouterr().err


@pytest.mark.framework
def test_python_api(tmp_path: Path) -> None:
    settings = sphinx_archviz.Settings(sys_path=[DOCS, MODELS], cache_folder=tmp_path / "cache")
    diagram = sphinx_archviz.render(
        "torch_models:TinyMLP",
        tmp_path / "mlp.svg",
        input_shape=(2, 4),
        view="modules",
        summary=True,
        settings=settings,
    )
    assert diagram.path == tmp_path / "mlp.svg" and diagram.path.is_file()
    assert diagram.dot.startswith("digraph") and diagram.summary is not None
    assert diagram.summary.rows
    again = sphinx_archviz.render(
        "torch_models:TinyMLP",
        input_shape="2, 4",
        view="modules",
        summary=True,
        settings=settings,
    )
    assert again.dot == diagram.dot and again.outcome == "cached" and again.path is None
    with pytest.raises(sphinx_archviz.ArchvizError, match=r":view: 'layers' is not one of"):
        sphinx_archviz.render(
            "torch_models:TinyMLP", input_shape=(2, 4), view="layers", settings=settings
        )


@pytest.mark.framework
def test_api_keywords_become_the_directive_texts(tmp_path: Path) -> None:
    settings = sphinx_archviz.Settings(sys_path=[DOCS, MODELS], cache_folder=None)
    diagram = sphinx_archviz.render(
        "models:CNNModel",
        input_shape=[(1, 1, 64, 64)],
        kwargs={},
        fold=False,
        depth=1,
        settings=settings,
    )
    assert "conv1.weight" in diagram.dot


@pytest.mark.framework
def test_command_line_imports_neither_sphinx_application_nor_frameworks(tmp_path: Path) -> None:
    script = (
        "import sys, json\n"
        "from sphinx_archviz.cli import main\n"
        f"status = main(['render', *{CNN!r}, '--sys-path', {str(DOCS)!r}, '--no-cache', "
        f"'-o', {str(tmp_path / 'cnn.svg')!r}])\n"
        "print(json.dumps([status, sorted(sys.modules)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    status, modules = json.loads(result.stdout.splitlines()[-1])
    assert status == 0
    for unwanted in ("torch", "tensorflow", "keras", "sphinx.application", "sphinx.builders"):
        assert unwanted not in modules


@pytest.mark.framework
def test_python_m_and_the_console_script(tmp_path: Path) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"archviz": "sphinx_archviz.cli:run"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx_archviz",
            "render",
            "models:CNNModle",
            "--sys-path",
            str(DOCS),
            "--no-cache",
            "-o",
            str(tmp_path / "x.svg"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "archviz: models:CNNModle: models has no attribute 'CNNModle'; did you mean "
        "'CNNModel'? [archviz.attribute]\n"
    )
    # One diagram per process: its capture goes to a worker, killed at exit.
    drawn = subprocess.run(
        [
            *(sys.executable, "-m", "sphinx_archviz", "render", *CNN),
            *("--sys-path", str(DOCS), "--no-cache", "-q", "-o", str(tmp_path / "cnn.svg")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (drawn.returncode, drawn.stderr) == (0, "")
    assert "conv1.weight" in (tmp_path / "cnn.svg").read_text()


def test_one_diagram_per_process_goes_to_a_worker(monkeypatch) -> None:
    from sphinx_archviz import pool

    monkeypatch.setattr(pool, "_one_capture", False)
    assert not isinstance(pool.pool_for("torch"), pool.WorkerPool)  # a warm process
    pool.for_one_capture()
    assert isinstance(pool.pool_for("torch"), pool.WorkerPool)


def snippet_commands() -> list[list[str]]:
    """The arguments after ``archviz render`` in the docs' snippet (continued lines joined)."""
    text = (DOCS / "snippets" / "cli.sh").read_text().replace("\\\n", " ")
    return [shlex.split(line)[2:] for line in text.splitlines() if line.startswith("archviz ")]


@pytest.mark.framework
def test_the_docs_python_snippet_runs(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "models.py").write_text((DOCS / "models.py").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = (DOCS / "snippets" / "api.py").read_text()
    exec(compile(code, "api.py", "exec"), {})  # the snippet as the docs show it
    assert (tmp_path / "cnn.svg").is_file() and list((tmp_path / "cache").rglob("*.json"))


@pytest.mark.framework
@requires_chromium
def test_wide_resnet_page_opens_from_file_with_the_explorer(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch, chromium
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in snippet_commands():
        status, err = archviz_render(command, cache, capsys)
        assert status == 0, err
    assert {path.name for path in tmp_path.iterdir()} >= {"cnn.svg", "wrn.html", "cnn.pdf"}
    wide_resnet = [
        "torchvision.models:wide_resnet50_2",
        "--input-shape",
        "1,3,224,224",
        "--kwargs",
        '{"weights": null}',
    ]
    status, err = archviz_render([*wide_resnet, "-o", "wrn-autograd.html"], cache, capsys)
    assert status == 0, err
    for name in ("wrn.html", "wrn-autograd.html"):
        page = chromium.new_page(viewport={"width": 1100, "height": 800})
        elsewhere: list[str] = []
        page.on("request", lambda request, seen=elsewhere: note_network(request.url, seen))
        page.goto((tmp_path / name).as_uri())
        root = page.locator("div.archviz.archviz-js")
        root.wait_for()
        assert page.locator("div.archviz-toolbar").is_visible()
        scale = float(root.get_attribute("data-archviz-scale"))
        page.click('button[data-archviz-action="zoom-in"]')
        assert float(root.get_attribute("data-archviz-scale")) == pytest.approx(
            scale * 1.25, rel=1e-3
        )
        page.fill("input.archviz-search", "layer3")
        assert int(page.locator("span.archviz-matches").inner_text().split(" / ")[-1]) > 0
        page.fill("input.archviz-search", "")
        assert page.locator("span.archviz-browser-png").is_visible()  # drawn by the script
        light = node_fill(page)
        page.emulate_media(color_scheme="dark")
        assert luminance(node_fill(page)) < luminance(light)  # follows the reader's dark mode
        save_screenshot(page, f"cli-{name.removesuffix('.html')}-dark")
        opens_a_group_offline(page, root)
        assert elsewhere == []  # nothing from the network
        page.close()


def opens_a_group_offline(page, root) -> None:
    """A group of the first sight opens in place: the page's own Graphviz lays it out."""
    assert root.locator("script.archviz-hierarchy").count() == 1
    shown = root.locator("svg.archviz-graph g.node").count()
    closed = root.locator('svg.archviz-graph [aria-expanded="false"]')
    name = closed.first.get_attribute("aria-label")
    closed.first.focus()  # the picture was zoomed in: the group may lie outside the view
    closed.first.press("Enter")
    page.wait_for_function(
        "root => Number(root.dataset.archvizDrawn || 0) > 0", arg=root.element_handle()
    )
    opened = root.locator(f'svg.archviz-graph [aria-label="{name}"]')
    assert opened.get_attribute("aria-expanded") == "true"
    assert root.locator("svg.archviz-graph g.node").count() > shown


def note_network(url: str, seen: list[str]) -> None:
    if not url.startswith(("file:", "data:", "blob:")):
        seen.append(url)


def node_fill(page) -> str:
    return page.evaluate(
        "getComputedStyle(document.querySelector("
        "'svg.archviz-graph g.node :is(polygon, path, ellipse)')).fill"
    )


@pytest.mark.framework
def test_print_downloads_under_site_diagrams(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"},
        conf="archviz_print_downloads = ['pdf', 'svg']\nlanguage = 'ko'",
    )
    assert built.warnings == ""
    [pdf] = built.images("-print.pdf")
    [svg] = built.images("-print.svg")
    assert b"/FontFile" in pdf.read_bytes() and "<symbol" in svg.read_text()
    assert (
        f'<p class="archviz-downloads archviz-print-downloads">인쇄용: '
        f'<a class="archviz-download" href="_images/{pdf.name}" download="CNNModel-print.pdf">'
        f'PDF</a> · <a class="archviz-download" href="_images/{svg.name}" '
        'download="CNNModel-print.svg">SVG</a></p>'
    ) in built.html()


@pytest.mark.framework
def test_no_print_downloads_by_default_or_in_e_books(build_project: BuildProject) -> None:
    page = {"index.rst": ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n"}
    assert "archviz-print-downloads" not in build_project(page).html()
    built = build_project(page, conf="archviz_print_downloads = ['pdf']", builder="epub")
    assert not list(built.outdir.rglob("*-print.pdf"))
