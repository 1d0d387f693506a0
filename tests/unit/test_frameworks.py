"""The framework registry: detection, the cache's distributions and the import bans all follow
it. Nothing here imports a framework."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from sphinx_archviz.detect import detect_framework
from sphinx_archviz.frameworks import FRAMEWORK_INFO, FRAMEWORKS
from sphinx_archviz.reference import Reference

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def _ruff_lint_settings() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]


def test_pyproject_bans_exactly_the_frameworks_own_packages() -> None:
    banned = _ruff_lint_settings()["flake8-tidy-imports"]["banned-api"]
    assert set(banned) == {package for info in FRAMEWORK_INFO.values() for package in info.packages}


def test_only_the_frameworks_capture_modules_may_import_them() -> None:
    """Exempt from the ban: each framework's backend and modules view, and its helpers beside
    them (``capture/keras_macs.py``): all under ``capture/``, named after the framework."""
    ignores = _ruff_lint_settings()["per-file-ignores"]
    allowed = {path for path, rules in ignores.items() if "TID251" in rules}
    allowed = {path for path in allowed if path.startswith("sphinx_archviz/")}
    capture_modules = {
        module.replace(".", "/") + ".py"
        for info in FRAMEWORK_INFO.values()
        for module in (info.backend, info.modules_view)
    }
    assert capture_modules <= allowed
    assert all((PYPROJECT.parent / path).is_file() for path in allowed)
    prefixes = tuple(f"sphinx_archviz/capture/{framework}" for framework in FRAMEWORKS)
    assert all(path.startswith(prefixes) for path in allowed), allowed


def test_every_framework_has_install_hints_for_its_packages() -> None:
    for info in FRAMEWORK_INFO.values():
        assert set(info.packages) <= set(info.install_hints), info.name
    assert tuple(info.name for info in FRAMEWORK_INFO.values()) == FRAMEWORKS


@pytest.mark.parametrize(
    ("imports", "framework"),
    [
        ("from transformers import BertConfig, BertModel", "torch"),
        ("import timm", "torch"),
        ("from diffusers import UNet2DModel", "torch"),
        ("from sentence_transformers import SentenceTransformer", "torch"),
        ("import ultralytics", "torch"),
        ("from keras_hub.models import BertBackbone", "keras"),
        ("import tensorflow_hub as hub", "keras"),
        ("import tf_keras", "keras"),
    ],
)
def test_a_model_built_on_a_library_is_that_librarys_framework(
    imports: str, framework: str, tmp_path: Path
) -> None:
    """Detection reads source and package names, so the library need not be installed."""
    (tmp_path / "models.py").write_text(
        textwrap.dedent(
            f"""
            {imports}


            def make():
                return build_from_library()
            """
        ),
        encoding="utf-8",
    )
    found = detect_framework(Reference("models", "make"), (str(tmp_path),))
    assert found == framework


def test_a_model_class_based_on_a_transformers_class_is_torch(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        textwrap.dedent(
            """
            from transformers import BertConfig, BertModel


            class Classifier(BertModel):
                def __init__(self):
                    super().__init__(BertConfig(num_hidden_layers=2))
            """
        ),
        encoding="utf-8",
    )
    assert detect_framework(Reference("models", "Classifier"), (str(tmp_path),)) == "torch"


def test_a_reference_into_a_library_is_that_librarys_framework() -> None:
    assert detect_framework(Reference("transformers", "BertModel"), ()) == "torch"
    assert detect_framework(Reference("keras_hub.models", "BertBackbone"), ()) == "keras"
