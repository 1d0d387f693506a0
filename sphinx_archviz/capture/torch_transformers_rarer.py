"""Example inputs of the rarer kinds of Hugging Face ``transformers`` models (see
:mod:`.torch_transformers_inputs`): a reinforcement-learning trajectory, the language of a
model with an adapter per language, the places of an image's embeddings in the text, which
tokens see which of a few images."""

from __future__ import annotations

from typing import Any

import torch

from sphinx_archviz.errors import ArchvizError

#: The inputs that go with the states of a reinforcement-learning trajectory (Decision
#: Transformer's), one per step; their widths are the configuration's ``<name>_dim``.
STEPS_WITH_STATES = ("actions", "returns_to_go", "timesteps")
#: Which text tokens see which of a few images (Idefics); where the image's embeddings go in
#: the text (Kosmos-2).
IMAGE_MASKS = ("image_attention_mask", "image_embeds_position_mask")
#: The inputs :func:`example` makes.
INPUTS = ("states", *STEPS_WITH_STATES, "lang_ids", "image_attention_mask")


def companions(given: set[str], accepted: set[str], config: Any) -> set[str]:
    """The inputs of these kinds that go with the ``given`` ones, among the ``accepted``."""
    found = set(IMAGE_MASKS) if "pixel_values" in given else set()
    if "states" in given:
        found |= set(STEPS_WITH_STATES)
    if getattr(config, "default_language", "") is None:  # X-MOD: each example's language
        found.add("lang_ids")
    return found & accepted


def example(parameter: str, config: Any, count: int, device: str) -> torch.Tensor | None:
    """The example ``parameter`` of ``count`` steps (a mask of images: by
    :func:`image_attention_mask`, once the images are made)."""
    if parameter == "lang_ids":
        return language(config)
    if parameter == "image_attention_mask":
        return None
    return steps(parameter, config, count, device)


def tokens(config: Any, accepted: set[str], default: int) -> int:
    """How many tokens the text has: ``default``, or as many as the image's embeddings where
    ``forward`` places them in the text, every token then one (Kosmos-2's
    ``latent_query_num``: on the meta device every place is taken)."""
    places = getattr(config, "latent_query_num", None)
    if "image_embeds_position_mask" in accepted and isinstance(places, int):
        return places
    return default


def image_attention_mask(values: dict[str, Any], count: int) -> torch.Tensor | None:
    """Every one of ``count`` text tokens sees every image of a few (Idefics'); none for one
    image."""
    images = _few_images(values)
    return torch.ones(1, count, images, dtype=torch.long) if images else None


def camera_mask(values: dict[str, Any]) -> torch.Tensor | None:
    """Which of a few images (one per camera, PI0's) are real: all, on the CPU; none for one
    image."""
    cameras = _few_images(values)
    return torch.ones(1, cameras, dtype=torch.bool) if cameras else None


def _few_images(values: dict[str, Any]) -> int:
    """How many images ``pixel_values`` holds when it is a few (1 × images × channels × height
    × width); 0 for one image."""
    images = values.get("pixel_values")
    return images.shape[1] if images is not None and images.dim() == 5 else 0


def language(config: Any) -> torch.Tensor:
    """The language of the example (X-MOD's adapters): the configuration's only language; with
    several, the user picks the default."""
    languages = list(getattr(config, "languages", ()))
    if len(languages) != 1:
        shown = ", ".join(map(str, languages[:3])) + (", ..." if len(languages) > 3 else "")
        raise ArchvizError(
            "input",
            f"{type(config).__name__} has {len(languages)} languages ({shown}) and no "
            'default_language: add "default_language" to :config:',
        )
    return torch.zeros(1, dtype=torch.long)


def steps(parameter: str, config: Any, count: int, device: str) -> torch.Tensor:
    """``count`` steps of a trajectory: each step's time, or a vector as wide as the
    configuration's ``<name>_dim`` (``state_dim`` for states, ``act_dim`` for actions), else
    one number (a return to go)."""
    if parameter == "timesteps":
        return torch.zeros(1, count, dtype=torch.long, device=device)
    widths = (
        value
        for name, value in vars(config).items()
        if name.endswith("_dim") and parameter.startswith(name[:-4]) and isinstance(value, int)
    )
    return torch.zeros(1, count, next(widths, 1), device=device)
