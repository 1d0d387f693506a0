"""Golden files (a pytest plugin that conftest.py loads): ``golden(name, text)`` compares
``text`` with ``golden/<name>`` beside the test file; ``pytest --overwrite`` rewrites the files
from the current output instead, for review with ``git diff``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Golden = Callable[[str, str], None]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--overwrite",
        action="store_true",
        help="rewrite the golden files from the current output instead of comparing with them",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    folder = request.path.parent / "golden"
    overwrite = request.config.getoption("overwrite")

    def check(name: str, text: str) -> None:
        path = folder / name
        if overwrite:
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"no golden file {path}: run pytest --overwrite, then review it"
        assert text == path.read_text(encoding="utf-8"), f"differs from {path}"

    return check
