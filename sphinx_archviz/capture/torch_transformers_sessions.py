"""The example inference session of a Hugging Face ``transformers`` video tracker (SAM 2
Video, SAM 3 Tracker Video, EdgeTAM Video), whose ``forward`` takes the video and the user's
prompts in one ``inference_session`` object rather than as tensors.

The example is the simplest interaction: a short video of ``FRAMES`` blank frames of the
configuration's image size, and one object, given by one positive click at the centre of
the first frame; forward draws frame 0. Another prompt (a box, a mask, several objects)
needs a factory of the user's own.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import torch
from torch import nn

from sphinx_archviz.capture import torch_transformers_fields as fields
from sphinx_archviz.capture import torch_transformers_images as images
from sphinx_archviz.errors import ArchvizError

#: The parameter of ``forward`` that takes the session, and the frame it draws.
SESSION = "inference_session"
FRAME = "frame_idx"
#: Frames of the example video.
FRAMES = 3
#: The object the click gives, and the click's label (1: a positive click).
OBJECT_ID = 1
POSITIVE = 1


def session_class(model: nn.Module) -> type | None:
    """The session class ``forward``'s signature names for ``inference_session``."""
    parameter = inspect.signature(model.forward).parameters.get(SESSION)
    if parameter is None:
        return None
    annotation = parameter.annotation
    if isinstance(annotation, str):  # postponed annotations: a name in forward's module
        annotation = getattr(sys.modules[type(model).__module__], annotation, None)
    return annotation if isinstance(annotation, type) else None


def example(model: nn.Module, device: str) -> Any:
    """A session of ``FRAMES`` blank frames of the configuration's image size on ``device``,
    with one positive click at the centre of frame 0 for one object."""
    config = model.config
    kind = session_class(model)
    if not hasattr(kind, "add_point_inputs"):  # SAM 3 Video: text prompts, no clicks
        raise ArchvizError(
            "input",
            f"{type(model).__name__} tracks the objects its detector finds for a text prompt, "
            "which depends on trained weights: write a factory that returns a module which "
            "builds the inference session and calls the model",
        )
    height, width = images.dimensions(config, fields.number(config, ("image_size",), 0) or None)
    session = kind(
        video=torch.zeros(FRAMES, 3, height, width, device=device),
        video_height=height,
        video_width=width,
        inference_device=device,
        inference_state_device=device,
        video_storage_device=device,
        dtype=torch.float32,
    )
    index = session.obj_id_to_idx(OBJECT_ID)
    click = {
        "point_coords": torch.tensor([[[[width / 2, height / 2]]]], device=device),
        "point_labels": torch.tensor([[[POSITIVE]]], dtype=torch.int32, device=device),
    }
    session.add_point_inputs(index, 0, click)
    session.obj_with_new_inputs = [OBJECT_ID]
    return session


def shown(value: Any) -> torch.Tensor | None:
    """The tensor an input stands for in the drawing: a tensor itself; a session's frame 0,
    the frame the example draws; nothing for a number (the frame's index)."""
    if isinstance(value, torch.Tensor):
        return value
    frames = getattr(value, "processed_frames", None)
    return frames[0] if isinstance(frames, dict) and frames else None


def example_inputs(model: nn.Module, device: str) -> tuple[Any, ...]:
    """``forward``'s inputs, in its order: the example session and frame 0."""
    given = {SESSION: example(model, device), FRAME: 0}
    names = list(inspect.signature(model.forward).parameters)
    values = [given.get(name) for name in names]
    while values and values[-1] is None:
        values.pop()
    return tuple(values)
