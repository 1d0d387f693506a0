"""Hugging Face ``transformers`` models built from a configuration, never from weights.

A reference to a ``PreTrainedModel`` subclass (``transformers:BertModel``) or to an
``AutoModel*`` class is built with ``from_config``: on the meta device every tensor its
constructor makes is a shape only, so an 8B-parameter decoder costs no memory. The model's
example input comes from its configuration (:mod:`.torch_transformers_inputs`) when the docs
give no ``:input-shape:``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sphinx_archviz.errors import ArchvizError, describe_exception


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
    _without_cache(settings)
    if device != "meta":
        _require_bounded_keypoints(settings)
    # Mixture-of-experts layers default to a grouped matmul that has no meta kernel in float32.
    options = {"experts_implementation": "batched_mm"}
    try:
        with torch.device(device), _without_initialisation(device):
            if hasattr(found, "from_config"):
                model = found.from_config(settings, **options)
            else:
                model = found._from_config(settings, **options)
    except ImportError as exc:
        raise _missing_package(exc) from exc
    except Exception as exc:
        raise ArchvizError(
            "config",
            f"building the model from its configuration ({type(settings).__name__}) raised "
            f"{describe_exception(exc, ())}; give a complete configuration with :config:",
        ) from exc
    _require_forward(model)
    # As from_pretrained gives it (:mode: train still applies): some models need labels, or a
    # batch of two for batch norm, in training mode.
    return (model if device == "meta" else _zeroed(model)).eval()


def _require_bounded_keypoints(config: Any) -> None:
    """A keypoint matcher (LightGlue) matches every keypoint its detector keeps; without weights
    every pixel scores alike, so all of them are kept unless ``max_keypoints`` bounds them, and
    matching 50,000 keypoints takes the CPU minutes (the matcher cannot run on meta)."""
    detector = getattr(config, "keypoint_detector_config", None)
    if detector is None or getattr(detector, "max_keypoints", 0) >= 0:
        return
    example = {
        "keypoint_detector_config": {"model_type": detector.model_type, "max_keypoints": 512}
    }
    raise ArchvizError(
        "config",
        f"{type(config).__name__}'s keypoint detector keeps every keypoint (max_keypoints is "
        f"{detector.max_keypoints}), and without weights every pixel is one, too many to match "
        f"on the CPU: bound them in :config:, for example {json.dumps(example)}",
    )


def _require_forward(model: nn.Module) -> None:
    """A model that is never called (Bark generates with its models one after another) has no
    forward pass to draw: name the models it is made of, which have one."""
    if _has_forward(model):
        return
    parts = [
        f"transformers:{type(child).__name__}"
        for child in model.children()
        if is_transformers_model(child) and _has_forward(child)
    ]
    instead = (
        f"draw one of the models it is made of instead: {', '.join(parts)}"
        if parts
        else "return the part you want to show from a factory instead"
    )
    raise ArchvizError(
        "forward",
        f"{type(model).__name__} has no forward pass of its own (it is used through its "
        f"methods, such as generate), so there is nothing to trace; {instead}",
    )


def _has_forward(model: nn.Module) -> bool:
    return type(model).forward is not nn.Module.forward


@contextlib.contextmanager
def _without_initialisation(device: str) -> Iterator[None]:
    """On the CPU, weights are left uninitialised and then zeroed: a drawing reads no weight's
    value, zeros are the same in every build, and initialising a large model takes seconds."""
    if device == "meta":
        yield
        return
    initialization = importlib.import_module("transformers.initialization")
    with initialization.no_init_weights():
        yield


def _zeroed(model: nn.Module) -> nn.Module:
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model


def _without_cache(config: Any) -> None:
    """No key-value cache: a drawing is one forward pass, and some caches cannot be sized
    from shapes alone (hybrid attention layers ask theirs for a sequence length)."""
    config_type = importlib.import_module("transformers").PretrainedConfig
    for each in [config, *vars(config).values()]:
        if isinstance(each, config_type) and hasattr(each, "use_cache"):
            each.use_cache = False


#: transformers' message when a model needs a package that is missing: "DinatModel requires
#: the natten library but it was not found in your environment".
_REQUIRES = re.compile(r"(\w+) requires the (\S+) library")


def _missing_package(exc: ImportError) -> ArchvizError:
    """The error for a model whose code needs a package that is not installed."""
    found = _REQUIRES.search(str(exc))
    model, package = found.groups() if found else ("the model", exc.name or "")
    package = package.partition(".")[0]
    if not package:
        return ArchvizError("import", f"building the model raised {describe_exception(exc, ())}")
    return ArchvizError(
        "dependency",
        f"{model} needs the {package} package, which is not installed, so this diagram cannot "
        f"be drawn: pip install {package} in the environment that builds the docs",
    )


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


@contextlib.contextmanager
def shapes_only(model: nn.Module) -> Iterator[None]:
    """While a transformers model runs on the meta device: tell transformers it is being
    traced, so that it takes the paths that never read a tensor's values (whether an attention
    mask has padding, whether sequences are packed), which the meta device cannot answer."""
    if not is_transformers_model(model):
        yield
        return
    import_utils = importlib.import_module("transformers.utils.import_utils")
    compiling = import_utils.is_torchdynamo_compiling
    import_utils.is_torchdynamo_compiling = lambda: True
    try:
        yield
    finally:
        import_utils.is_torchdynamo_compiling = compiling
