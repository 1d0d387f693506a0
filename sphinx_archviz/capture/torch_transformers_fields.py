"""Fields of a Hugging Face ``transformers`` configuration and of the ones nested in it, as
the example inputs read them (:mod:`.torch_transformers_inputs`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def vision(config: Any) -> Any:
    return getattr(config, "vision_config", None) or config


def number(config: Any, names: tuple[str, ...], default: int) -> int:
    """The first of the configuration's ``names`` that is an integer, else ``default``."""
    return next(integers([config], names), default)


def integers(configs: Iterable[Any], names: tuple[str, ...]) -> Iterator[int]:
    """The integers the ``configs`` give under ``names``, in that order (not booleans)."""
    for each in configs:
        for name in names:
            value = getattr(each, name, None)
            if isinstance(value, int) and not isinstance(value, bool):
                yield value


def configs(config: Any) -> Iterator[Any]:
    """The configuration and the ones nested in it (an encoder's, the audio tower's)."""
    yield config
    for value in vars(config).values():
        if hasattr(value, "to_dict") and hasattr(value, "model_type"):
            yield from configs(value)
