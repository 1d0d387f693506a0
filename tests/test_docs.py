"""The documentation's examples are the files these tests build, so docs and behaviour agree."""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from sphinx_archviz.config import CONFIG_VALUES
from sphinx_archviz.directive import ArchvizDirective
from sphinx_archviz.errors import SUBTYPES
from tests.conftest import BuildProject, requires_dot

DOCS = Path(__file__).parent.parent / "docs"
SNIPPETS = sorted(path.stem for path in (DOCS / "snippets").glob("*.md"))


@pytest.mark.framework
@requires_dot
@pytest.mark.parametrize("suffix", [".rst", ".md"])
def test_every_snippet_builds_without_warnings(
    suffix: str, build_project: BuildProject, tmp_path: Path
) -> None:
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    shutil.copy(DOCS / "models.py", srcdir)
    shutil.copy(DOCS / "small-encoder.onnx", srcdir)  # the ONNX snippet's file
    shutil.copy(DOCS / "flax_models.py", srcdir)
    pages = {f"{name}{suffix}": _titled(name, suffix) for name in SNIPPETS}
    toctree = "".join(f"   {name}\n" for name in SNIPPETS)
    pages["index.rst"] = f"Snippets\n========\n\n.. toctree::\n\n{toctree}"
    built = build_project(pages, conf="archviz_sys_path = ['.']\nnumfig = True")
    assert built.warnings == ""
    images = built.images(".svg") + built.images(".png")
    diagrams = {image.stem for image in images}  # a diagram's SVG and PNG share a name
    assert len(diagrams) == 15  # inputs draws two; basic and figure draw the same one


def _titled(name: str, suffix: str) -> str:
    """The snippet file's text under a title, so the page can sit in a toctree."""
    title = f"# {name}" if suffix == ".md" else f"{name}\n{'=' * len(name)}"
    return f"{title}\n\n{(DOCS / 'snippets' / f'{name}{suffix}').read_text()}"


def test_the_reference_documents_every_option_and_config_value() -> None:
    reference = (DOCS / "reference.md").read_text()
    for option in ArchvizDirective.option_spec:
        assert f"`:{option}:`" in reference, option
    for value in CONFIG_VALUES:
        assert f"```{{confval}} {value.name}" in reference, value.name


def test_every_option_has_rst_and_myst_examples() -> None:
    for suffix in (".rst", ".md"):
        examples = "".join((DOCS / "snippets" / f"{name}{suffix}").read_text() for name in SNIPPETS)
        for option in ArchvizDirective.option_spec:
            assert f":{option}:" in examples, (option, suffix)


def test_troubleshooting_explains_every_warning_subtype() -> None:
    troubleshooting = (DOCS / "troubleshooting.md").read_text()
    for subtype in SUBTYPES:
        assert f"`archviz.{subtype}`\n: " in troubleshooting, subtype


def test_troubleshooting_lists_every_bad_input_with_its_test() -> None:
    import importlib

    from tests import test_errors

    names = ("builds", "errors", "hardening", "overlay", "partial", "report", "speed")
    modules = [importlib.import_module(f"tests.test_{name}") for name in names]

    section = (DOCS / "troubleshooting.md").read_text().split("## 잘못된 입력 표", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    tests = {}
    for row in rows:
        _, result, test = (cell.strip() for cell in row.rstrip().rstrip("|").rsplit("|", 2))
        tests[test.strip("`")] = result
    assert len(tests) >= 25
    for name, result in tests.items():
        if name in test_errors.CASES:
            assert result == f"`archviz.{test_errors.CASES[name].subtype}`", name
        else:
            # test_model_sources skips itself where transformers is missing: read, not imported
            sources = (Path(__file__).parent / "test_model_sources.py").read_text()
            assert any(hasattr(module, name) for module in modules) or f"def {name}(" in sources, (
                name
            )
    assert set(test_errors.CASES) <= set(tests)


#: The example pages: the markers of the block each one shows from docs/models.py (None: the
#: model is torchvision's), and a line of the code the built page must show.
EXAMPLES = {
    "wide-resnet50-2": (None, "model = wide_resnet50_2(weights=None)"),
    "custom-cnn": ("cnn", "class CNNModel(nn.Module):"),
    "keras-plot-model": ("keras", "def get_model():"),
    "decoder-7b": (None, "LlamaForCausalLM"),
}
MODEL_CODE = ("class CNNModel", "def get_model", "nn.Conv2d", "keras.layers", "make_dot(")


@pytest.mark.parametrize("page", EXAMPLES)
def test_example_pages_include_their_code_and_directive_instead_of_copying_them(
    page: str,
) -> None:
    source = (DOCS / "examples" / f"{page}.md").read_text()
    markers, _ = EXAMPLES[page]
    if markers is not None:
        start, end = f"# [{markers}-start]", f"# [{markers}-end]"
        assert "```{literalinclude} ../models.py" in source
        assert f':start-after: "{start}"' in source and f':end-before: "{end}"' in source
        models = (DOCS / "models.py").read_text()
        assert start in models and end in models
    snippet = f"../snippets/examples/{page}.md"
    assert f"```{{include}} {snippet}" in source
    assert f"```{{literalinclude}} {snippet}" in source
    assert "{archviz}" not in source
    assert not [code for code in MODEL_CODE if code in source]


@pytest.mark.framework
@requires_dot
def test_each_example_page_draws_one_diagram_and_shows_its_code(
    build_project: BuildProject, tmp_path: Path
) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(DOCS / "snippets", srcdir / "snippets")
    (srcdir / "examples").mkdir()
    for page in EXAMPLES:
        shutil.copy(DOCS / "examples" / f"{page}.md", srcdir / "examples")
    shutil.copy(DOCS / "models.py", srcdir)
    shutil.copytree(DOCS.parent / "benchmarks" / "seed", tmp_path / "benchmarks" / "seed")
    linked = ["reference", "troubleshooting", "sources/transformers"]  # pages they link to
    (srcdir / "sources").mkdir()
    toctree = "\n".join([*(f"examples/{page}" for page in EXAMPLES), *linked])
    pages = {f"{name}.md": f"# {name}\n" for name in linked}
    # The sections they link to.
    pages["reference.md"] += "\n(explore-groups)=\n## Exploring\n\n(node-links)=\n## Node links\n"
    pages["index.md"] = f"# Examples\n\n```{{toctree}}\n{toctree}\n```\n"
    built = build_project(pages, conf="numfig = True\nexclude_patterns = ['snippets']")
    assert built.warnings == ""
    for page, (_, code) in EXAMPLES.items():
        page_html = built.html(f"examples/{page}")
        classes = [value.split() for value in re.findall(r'class="([^"]*)"', page_html)]
        assert sum("archviz" in names for names in classes) == 1, page
        assert "archviz-unavailable" not in page_html, page
        assert code in html.unescape(re.sub(r"<[^>]+>", "", page_html)), page


def test_the_project_ships_the_mit_license_its_metadata_names() -> None:
    root = DOCS.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert "LICENSE" in project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    text = (root / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 sphinx-archviz developers" in text


def test_the_readme_gives_routes_that_work_on_a_fresh_debian_or_ubuntu() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text()
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    # pip install nox fails on Debian 12 / Ubuntu 24.04 (externally-managed-environment).
    assert "pipx install nox" in readme
    # On Linux the torch extra brings the CUDA build; the CPU wheels are PyTorch's own index.
    assert "CUDA" in install
    assert "--index-url https://download.pytorch.org/whl/cpu" in install
    # Debian's own nox (2022.11) cannot read the noxfile: nox says so itself.
    noxfile = (root / "noxfile.py").read_text()
    ci_pin = re.search(r"'nox(>=[\d.]+)'", (root / ".ci" / "run").read_text())
    assert ci_pin is not None
    assert f'nox.needs_version = "{ci_pin[1]}"' in noxfile
