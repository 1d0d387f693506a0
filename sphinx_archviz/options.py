"""Turn the directive's option strings into typed values, or say clearly what is wrong."""

from __future__ import annotations

import json
from typing import Any

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import DTYPES, ExampleInput

TRUE_WORDS = ("true", "yes", "on", "1", "")
FALSE_WORDS = ("false", "no", "off", "0")


def parse_choice(option: str, text: str, choices: tuple[str, ...]) -> str:
    value = text.strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ArchvizError("option", f":{option}: {value!r} is not one of {', '.join(choices)}")


def parse_flag(option: str, text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ArchvizError("option", f":{option}: {text.strip()!r} is not true or false")


def parse_depth(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ArchvizError(
            "option", f":depth: {text.strip()!r} is not a whole number of levels (1 or more)"
        )
    return value


def parse_kwargs(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchvizError(
            "option",
            f":kwargs: is not valid JSON ({exc.msg} at column {exc.colno}); "
            'write an object such as {"num_classes": 4}',
        ) from None
    if not isinstance(value, dict):
        raise ArchvizError(
            "option",
            f':kwargs: must be a JSON object such as {{"num_classes": 4}}, '
            f"not {type(value).__name__}",
        )
    return value


def parse_inputs(shape_text: str | None, dtype_text: str | None) -> tuple[ExampleInput, ...]:
    """``"1, 3, 32, 32; 1, 10"`` and ``"float32; int64"`` → one ExampleInput per input."""
    if shape_text is None:
        if dtype_text is not None:
            raise ArchvizError("input", ":input-dtype: needs :input-shape: as well")
        return ()
    shapes = [_parse_shape(part) for part in shape_text.split(";")]
    dtypes = _parse_dtypes(dtype_text or "float32", len(shapes))
    return tuple(ExampleInput(shape, dtype) for shape, dtype in zip(shapes, dtypes, strict=True))


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.replace("×", ",").split(",")]
    if parts == [""]:
        raise ArchvizError(
            "input", ":input-shape: is empty; write sizes separated by commas, e.g. 1, 3, 224, 224"
        )
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise ArchvizError(
            "input",
            f":input-shape: {text.strip()!r} is not a list of whole numbers; "
            "write sizes separated by commas, e.g. 1, 3, 224, 224 (inputs separated by ;)",
        ) from None
    if any(size <= 0 for size in shape):
        raise ArchvizError(
            "input", f":input-shape: {text.strip()!r} has a size below 1; every size must be ≥ 1"
        )
    return shape


def _parse_dtypes(text: str, count: int) -> list[str]:
    dtypes = [part.strip() for part in text.split(";")]
    for dtype in dtypes:
        if dtype not in DTYPES:
            raise ArchvizError(
                "input", f":input-dtype: {dtype!r} is not one of {', '.join(DTYPES)}"
            )
    if len(dtypes) == 1:
        return dtypes * count
    if len(dtypes) != count:
        raise ArchvizError(
            "input",
            f":input-dtype: gives {len(dtypes)} dtypes for {count} inputs; "
            "give one for all inputs or one per input",
        )
    return dtypes
