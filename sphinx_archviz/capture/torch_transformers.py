"""Hugging Face ``transformers`` models built from a configuration, never from weights.

A reference to a ``PreTrainedModel`` subclass (``transformers:BertModel``) or to an
``AutoModel*`` class is built with ``from_config``: on the meta device every tensor its
constructor makes is a shape only, so an 8B-parameter decoder costs no memory. The model's
example input comes from its configuration when the docs give no ``:input-shape:``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sphinx_archviz.errors import ArchvizError

#: Sequence length of the token ids fed to a text model.
TOKENS = 16


def is_transformers_class(found: Any) -> bool:
    """A ``PreTrainedModel`` subclass or an ``AutoModel*`` class (by name: no import)."""
    return isinstance(found, type) and any(
        base.__module__.startswith("transformers.")
        and base.__name__ in ("PreTrainedModel", "_BaseAutoModelClass")
        for base in found.__mro__
    )


def is_transformers_model(model: Any) -> bool:
    return is_transformers_class(type(model))


def build(found: type, config: str | None, device: str, name: str) -> nn.Module:
    """The model of class ``found`` for ``config`` (``:config:``), on ``device``."""
    settings = _config(found, config, name)
    # Mixture-of-experts layers default to a grouped matmul that has no meta kernel in float32.
    options = {"experts_implementation": "batched_mm"}
    with torch.device(device):
        if hasattr(found, "from_config"):
            return found.from_config(settings, **options)
        return found._from_config(settings, **options)


def _config(found: type, config: str | None, name: str) -> Any:
    transformers = importlib.import_module("transformers")
    if config is None:
        config_class = getattr(found, "config_class", None)
        if config_class is None:
            raise ArchvizError(
                "config",
                f"{name} needs a configuration: add :config: with a JSON object, a "
                "module:attribute naming a PretrainedConfig, or the path of a config.json",
            )
        return config_class()
    text = config.strip()
    if text.startswith("{"):
        return _config_from_dict(found, _json(text, "the :config: JSON"), transformers, name)
    if text.endswith(".json"):
        path = Path(text)
        shown = os.path.relpath(path)  # the worker runs in the folder of conf.py
        if not path.is_file():
            raise ArchvizError(
                "config", f"the :config: file {shown} does not exist (paths are from conf.py)"
            )
        return _config_from_dict(found, _json(path.read_text(), shown), transformers, name)
    module, _, attribute = text.partition(":")
    try:
        value: Any = importlib.import_module(module)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError, ValueError):
        raise ArchvizError(
            "config", f"the :config: reference {text} names nothing that can be imported"
        ) from None
    if callable(value) and not isinstance(value, transformers.PretrainedConfig):
        value = value()
    if not isinstance(value, transformers.PretrainedConfig):
        raise ArchvizError("config", f"{text} is a {type(value).__name__}, not a PretrainedConfig")
    return value


def _json(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchvizError("config", f"{where} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ArchvizError("config", f"{where} must be a JSON object")
    return value


def _config_from_dict(found: type, values: dict[str, Any], transformers: Any, name: str) -> Any:
    config_class = getattr(found, "config_class", None)
    if config_class is not None:
        return config_class(**values)
    model_type = values.pop("model_type", None)
    if model_type is None:
        raise ArchvizError(
            "config", f'{name} needs "model_type" in its :config: (for example "llama")'
        )
    try:
        return transformers.AutoConfig.for_model(model_type, **values)
    except ValueError as exc:
        raise ArchvizError("config", f"unknown model_type {model_type!r} ({exc})") from None


def example_inputs(model: nn.Module, device: str) -> tuple[torch.Tensor | None, ...]:
    """The model's own example input, in ``forward``'s order (None where a parameter is left
    to its default): token ids, pixels or audio sized from the configuration."""
    config = model.config
    wanted = {model.main_input_name}
    if getattr(config, "is_encoder_decoder", False):
        wanted.add("decoder_input_ids")
    parameters = list(inspect.signature(model.forward).parameters)
    values = [
        _example(parameter, config, device) if parameter in wanted else None
        for parameter in parameters
    ]
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def _example(parameter: str, config: Any, device: str) -> torch.Tensor:
    if parameter in ("input_ids", "decoder_input_ids"):
        return torch.ones(1, TOKENS, dtype=torch.long, device=device)
    if parameter == "pixel_values":
        vision = getattr(config, "vision_config", None) or config
        size = getattr(vision, "image_size", 224)
        size = size[0] if isinstance(size, list | tuple) else size
        channels = getattr(vision, "num_channels", 3)
        return torch.zeros(1, channels, size, size, device=device)
    if parameter == "input_features":
        mel_bins = getattr(config, "num_mel_bins", 80)
        frames = 2 * getattr(config, "max_source_positions", 1500)
        return torch.zeros(1, mel_bins, frames, device=device)
    if parameter == "input_values":
        return torch.zeros(1, 16000, device=device)
    raise ArchvizError(
        "input",
        f"cannot make an example {parameter!r} for {type(config).__name__}; give :input-shape:",
    )
