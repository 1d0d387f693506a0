"""Every bad input gets one located ``archviz`` warning, a visible placeholder, and the rest of
the build goes on."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from sphinx_archviz.pool import pool_for
from tests.conftest import DOCS, MODELS, BuildProject, Built, hide_module, requires_dot

pytestmark = [pytest.mark.framework, requires_dot]

GOOD = ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n"


@dataclass(frozen=True)
class Case:
    directive: str
    subtype: str
    says: str


CASES = {
    "malformed reference": Case(
        ".. archviz:: torch_models.CNNModel", "reference", "is not a reference of the form"
    ),
    "module not found": Case(
        ".. archviz:: no_such_module:Net", "import", "no module named 'no_such_module'"
    ),
    "error while importing the module": Case(
        ".. archviz:: broken_import:Net\n   :input-shape: 1, 2",
        "import",
        "No module named 'a_package_that_is_not_installed' (broken_import.py:6, in <module>)",
    ),
    "attribute missing": Case(
        ".. archviz:: models:CNNModle\n   :input-shape: 1, 1, 64, 64",
        "attribute",
        "models has no attribute 'CNNModle'; did you mean 'CNNModel'?",
    ),
    "nested attribute missing": Case(
        ".. archviz:: torch_models:Zoo.large\n   :input-shape: 2, 4",
        "attribute",
        "torch_models:Zoo has no attribute 'large'",
    ),
    "factory raises": Case(
        ".. archviz:: broken_models:raises\n   :input-shape: 2, 4",
        "factory",
        "calling raises() raised ValueError: bad config (broken_models.py:12, in raises)",
    ),
    "object is not a model": Case(
        ".. archviz:: broken_models:settings\n   :input-shape: 2, 4",
        "not-a-model",
        "settings is a dict, not a model",
    ),
    "factory returns something else": Case(
        ".. archviz:: broken_models:returns_int\n   :input-shape: 2, 4",
        "not-a-model",
        "calling returns_int() returned int, which is not a model",
    ),
    "forward pass fails": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28",
        "forward",
        "running the model on input (1, 1, 28, 28) float32 raised RuntimeError",
    ),
    "keras forward pass fails": Case(
        ".. archviz:: keras_models:image_classifier\n   :input-shape: 1, 64, 64",
        "forward",
        "running the model on input (1, 64, 64) float32 raised",
    ),
    "keras subclassed model fails inside its call": Case(
        ".. archviz:: keras_models:ThreeLayers\n   :input-shape: 1, 32, 32",
        "forward",
        "raised ValueError: Exception encountered when calling ThreeLayers.call(). Input 0 with "
        "name 'None' of layer 'conv' is incompatible with the layer: expected min_ndim=4",
    ),
    "input shape missing": Case(
        ".. archviz:: models:CNNModel", "input", "PyTorch models need :input-shape:"
    ),
    "keras model without inputs": Case(
        ".. archviz:: keras_models:Subclassed", "input", "the model has no defined inputs"
    ),
    "input shape not numbers": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, x, 64",
        "input",
        "is not a list of whole numbers",
    ),
    "input shape with zero": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 0, 64",
        "input",
        "has a size below 1",
    ),
    "unknown dtype": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n   :input-dtype: float8",
        "input",
        ":input-dtype: 'float8' is not one of",
    ),
    "kwargs not JSON": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n   :kwargs: {num_classes: 4}",
        "option",
        ":kwargs: is not valid JSON",
    ),
    "kwargs not an object": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 64, 64\n   :kwargs: [4]",
        "option",
        ":kwargs: must be a JSON object",
    ),
    "kwargs for an instance": Case(
        '.. archviz:: torch_models:tiny_instance\n   :input-shape: 2, 4\n   :kwargs: {"width": 3}',
        "option",
        "tiny_instance is already a model instance",
    ),
    "unknown format": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :format: gif",
        "option",
        ":format: 'gif' is not one of svg, png",
    ),
    "unknown rankdir": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :rankdir: XY",
        "option",
        ":rankdir: 'XY' is not one of",
    ),
    "flag not true or false": Case(
        ".. archviz:: keras_models:image_classifier\n   :show-shapes: maybe",
        "option",
        ":show-shapes: 'maybe' is not true or false",
    ),
    "unknown framework": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :framework: jax",
        "option",
        ":framework: 'jax' is not one of auto, torch, keras",
    ),
    "bad width": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :width: wide",
        "option",
        ":width: 'wide' is not a length",
    ),
    "framework cannot be told": Case(
        ".. archviz:: neither:make", "framework", "(its source names none); add :framework: torch"
    ),
    "factory calls sys.exit": Case(
        ".. archviz:: broken_models:exits\n   :input-shape: 2, 4",
        "worker",
        "SystemExit: 3",
    ),
    "factory calls os._exit": Case(
        ".. archviz:: broken_models:hard_exits\n   :input-shape: 2, 4",
        "worker",
        "the torch worker process died during the capture (exit code 7",
    ),
    "factory returns None": Case(
        ".. archviz:: broken_models:returns_none\n   :input-shape: 2, 4",
        "not-a-model",
        "calling returns_none() returned NoneType, which is not a model",
    ),
    "reference with a path separator": Case(
        ".. archviz:: models/cnn:CNNModel", "reference", "is not a reference of the form"
    ),
    "reference with ..": Case(
        ".. archviz:: ..models:CNNModel", "reference", "is not a reference of the form"
    ),
    "absurd input on the CPU": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 3, 100000, 100000\n   :device: cpu",
        "input",
        "would take 111.8 GiB on the CPU",
    ),
    "unknown device": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :device: gpu",
        "option",
        ":device: 'gpu' is not one of meta, cpu",
    ),
    "timeout not a number": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :timeout: soon",
        "option",
        ":timeout: 'soon' is not a positive number of seconds",
    ),
    "unknown view": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :view: layers",
        "option",
        ":view: 'layers' is not one of autograd, modules",
    ),
    "depth below 1": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :view: modules\n   :depth: 0",
        "option",
        ":depth: '0' is not a whole number of levels (1 or more)",
    ),
    "meta forward fails: the CPU's clearer message": Case(
        ".. archviz:: torchvision.models:resnet18\n   :input-shape: 1, 1, 64, 64",
        "forward",
        "expected input[1, 1, 64, 64] to have 3 channels, but got 1 channels instead",
    ),
    "meta forward fails on a model too big to retry on the CPU": Case(
        ".. archviz:: torchvision.models:resnet50\n   :input-shape: 1, 1, 64, 64",
        "forward",
        "Invalid channel dimensions",
    ),
    "batch norm in training mode with a batch of 1": Case(
        ".. archviz:: torchvision.models:inception_v3\n   :input-shape: 1, 3, 299, 299\n"
        '   :kwargs: {"init_weights": false}',
        "forward",
        "batch norm in training mode needs more than one example: use a batch of 2 or more in "
        ":input-shape:, or add :mode: eval",
    ),
    "unknown mode": Case(
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n   :mode: inference",
        "option",
        ":mode: 'inference' is not one of train, eval",
    ),
    "modules view: forward pass fails": Case(
        ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n   :view: modules",
        "forward",
        "running the model on input (1, 1, 28, 28) float32 raised RuntimeError",
    ),
}


def test_mode_eval_draws_a_model_whose_batch_norm_needs_a_batch_in_training(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": ".. archviz:: torchvision.models:inception_v3\n"
            '   :input-shape: 1, 3, 299, 299\n   :kwargs: {"init_weights": false}\n'
            "   :mode: eval\n   :view: modules\n   :depth: 1\n"
        }
    )
    assert built.warnings == ""
    [svg] = built.images()
    assert "AuxLogits" not in svg.read_text()  # eval mode: no auxiliary classifier


@pytest.fixture(scope="module")
def bad_inputs_page() -> tuple[str, dict[str, int]]:
    """One page with every bad directive, a good diagram between each; their line numbers."""
    lines = ["Bad inputs", "==========", ""]
    where: dict[str, int] = {}
    for name, case in CASES.items():
        where[name] = len(lines) + 1
        lines += [*case.directive.splitlines(), "", *GOOD.splitlines(), ""]
    return "\n".join(lines), where


@pytest.fixture(scope="module")
def bad_build(
    bad_inputs_page, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Built, dict[str, int]]:
    from sphinx.testing.util import SphinxTestApp

    page, where = bad_inputs_page
    srcdir = tmp_path_factory.mktemp("bad") / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        "extensions = ['sphinx_archviz']\n"
        f"archviz_sys_path = ['.', {str(MODELS)!r}, {str(DOCS)!r}]\n"
    )
    (srcdir / "index.rst").write_text(page)
    app = SphinxTestApp("html", srcdir=srcdir)
    app.build()
    yield Built(app, app.outdir), where
    app.cleanup()


@pytest.mark.parametrize("name", CASES)
def test_bad_input_gives_one_located_warning(name: str, bad_build) -> None:
    built, where = bad_build
    case = CASES[name]
    at_line = [w for w in built.archviz_warnings() if int(w["line"]) == where[name]]
    assert len(at_line) == 1, built.warnings
    [warning] = at_line
    assert warning["path"].endswith("index.rst")
    assert warning["text"].endswith(f"[archviz.{case.subtype}]")
    assert case.says in warning["text"]
    assert "Traceback" not in built.warnings


def test_every_warning_is_one_of_the_cases_and_each_gets_a_placeholder(bad_build) -> None:
    built, _ = bad_build
    warnings = [line for line in built.warnings.splitlines() if "WARNING" in line]
    assert len(warnings) == len(CASES)
    html = built.html()
    placeholders = html.count('<div class="archviz-unavailable docutils container">')
    # A forward pass that fails inside the model shows what ran, labelled as partial.
    partial = html.count('<div class="archviz-partial docutils container">')
    assert placeholders + partial == len(CASES)
    assert partial == built.warnings.count("the diagram shows the part that ran")
    assert partial >= 5


def test_every_warning_is_one_plain_line(bad_build) -> None:
    """Keras' messages carry ANSI colour codes and run over several lines; a warning does not."""
    built, _ = bad_build
    lines = built.app.warning.getvalue().splitlines()  # as written, colours not stripped
    assert len(lines) == len(CASES)
    for line in lines:
        # Sphinx colours each warning line red; nothing inside it may carry colours of its own.
        text = line.removeprefix("\x1b[91m").removesuffix("\x1b[39;49;00m")
        assert ": WARNING: " in text and "\x1b" not in text, line


def test_the_good_diagrams_between_the_bad_ones_render(bad_build) -> None:
    built, _ = bad_build
    html = built.html()
    assert html.count('<div class="archviz archviz-svg align-center" data-archviz=') == len(CASES)
    good = re.findall(r'<div class="archviz archviz-svg align-center" data-archviz="([^"]+)"', html)
    assert len(set(good)) == 1  # the same good diagram each time: one file
    partial = re.findall(r'class="[^"]*archviz-partial-diagram" data-archviz="([^"]+)"', html)
    assert len(built.images()) == 1 + len(set(partial))
    assert "_static/archviz.css" in html


def test_warnings_fail_the_build_with_w(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n"},
        warningiserror=True,
    )
    assert built.app.statuscode == 1
    assert "[archviz.forward]" in built.warnings


def test_warnings_can_be_suppressed_by_subtype(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": ".. archviz:: models:CNNModel\n   :input-shape: 1, 1, 28, 28\n"},
        conf="suppress_warnings = ['archviz.forward']",
    )
    assert built.warnings == ""
    assert "Partial diagram: stopped at conv3" in built.html()  # what ran, labelled


def test_myst_warning_points_at_the_directive_line(build_project: BuildProject) -> None:
    page = "# Title\n\nText.\n\n```{archviz} torch_models:Nope\n:input-shape: 2, 4\n```\n"
    built = build_project({"index.md": page})
    [warning] = built.archviz_warnings()
    assert warning["path"].endswith("index.md")
    assert warning["line"] == "5"
    assert "[archviz.attribute]" in warning["text"]


def test_missing_graphviz_says_how_to_install_it(build_project: BuildProject) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n\n" + GOOD}, conf="archviz_dot = '/nowhere/dot'"
    )
    [warning] = built.archviz_warnings()
    assert warning["line"] == "4"
    assert "the Graphviz program '/nowhere/dot' was not found" in warning["text"]
    assert "apt-get install graphviz" in warning["text"]
    assert warning["text"].endswith("[archviz.graphviz]")
    assert "archviz-unavailable" in built.html()
    assert built.images() == []


def test_failing_graphviz_shows_dots_message(build_project: BuildProject) -> None:
    built = build_project({"index.rst": GOOD}, conf="archviz_dot_args = ['-Knowhere']")
    [warning] = built.archviz_warnings()
    assert warning["line"] == "1"
    assert (
        'dot failed: There is no layout engine support for "nowhere" Use one of:'
        in (warning["text"])
    )
    assert "archviz-unavailable" in built.html()


def test_segfaulting_factory_is_reported_and_a_fresh_worker_continues(
    build_project: BuildProject,
) -> None:
    page = ".. archviz:: broken_models:segfaults\n   :input-shape: 2, 4\n\n" + GOOD
    built = build_project({"index.rst": page})
    [warning] = built.archviz_warnings()
    assert warning["line"] == "1"
    assert (
        "the torch worker process died during the capture (killed by SIGSEGV" in (warning["text"])
    )
    assert len(built.images()) == 1


def test_hanging_factory_is_stopped_at_the_timeout(build_project: BuildProject) -> None:
    page = ".. archviz:: broken_models:hangs\n   :input-shape: 2, 4\n   :timeout: 2\n\n" + GOOD
    built = build_project({"index.rst": page})
    [warning] = built.archviz_warnings()
    assert "the capture took longer than 2 s" in warning["text"]
    assert warning["text"].endswith("[archviz.worker]")
    assert len(built.images()) == 1


def test_missing_torchviz_names_the_extra_to_install(
    build_project: BuildProject, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module("torchviz", tmp_path / "blocker", monkeypatch)
    pool_for("torch").stop()
    try:
        built = build_project({"index.rst": GOOD})
    finally:
        pool_for("torch").stop()
    [warning] = built.archviz_warnings()
    assert "torchviz is not installed" in warning["text"]
    assert "pip install 'sphinx-archviz[torch]'" in warning["text"]
    assert warning["text"].endswith("[archviz.dependency]")


def test_user_code_cannot_move_the_working_directory_or_sys_path(
    build_project: BuildProject,
) -> None:
    page = (
        ".. archviz:: broken_models:moves_cwd_and_sys_path\n   :input-shape: 1, 2\n\n"
        ".. archviz:: broken_models:reports_cwd_and_sys_path\n   :input-shape: 1, 2\n"
    )
    built = build_project({"index.rst": page})
    [warning] = built.archviz_warnings()
    srcdir = str(built.app.srcdir)
    assert re.search(rf"cwd={re.escape(srcdir)} nowhere_on_path=False", warning["text"])


@pytest.mark.parametrize(("builder", "output"), [("latex", "*.tex"), ("texinfo", "*.texi")])
def test_write_time_failures_leave_the_same_placeholder_in_every_builder(
    builder: str, output: str, build_project: BuildProject
) -> None:
    built = build_project(
        {"index.rst": "Title\n=====\n\n" + GOOD},
        conf="archviz_dot = '/nowhere/dot'",
        builder=builder,
    )
    [warning] = built.archviz_warnings()
    assert warning["text"].endswith("[archviz.graphviz]")
    written = next(built.outdir.glob(output)).read_text()
    assert "Diagram unavailable: torch\\_models:TinyMLP" in written or (
        "Diagram unavailable: torch_models:TinyMLP" in written
    )
    assert "was not found" in written


def test_a_dead_workers_last_output_is_quoted_in_a_bounded_tail(
    build_project: BuildProject,
) -> None:
    """Each capture runs in a child of its own, so the output quoted is the dying capture's."""
    page = (
        ".. archviz:: broken_models:chatty\n   :input-shape: 1, 2\n\n"
        ".. archviz:: broken_models:chatty_then_exits\n   :input-shape: 2, 4\n"
    )
    built = build_project({"index.rst": page})
    [warning] = built.archviz_warnings()
    assert warning["line"] == "4"
    assert "the torch worker process died during the capture (exit code 7" in warning["text"]
    assert len(warning["text"]) < 5000
    assert "bytes of earlier output cut]" in warning["text"]
    assert warning["text"].endswith("xxxx) [archviz.worker]")
