"""The images, and images cut into patches, that Hugging Face ``transformers`` models take
as example inputs (:mod:`.torch_transformers_inputs`), sized from their configuration."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from sphinx_archviz.capture import torch_transformers_fields as fields

#: Image patches: the side of the grid, in merged patches.
GRID = 4
#: Frames of a video clip whose configuration gives none.
VIDEO_FRAMES = 8
#: Configuration fields that give how many windows a side an image's patches are split into
#: (RF-DETR's, LW-DETR's): the image's side holds a whole number of windows.
WINDOWS = ("num_windows_side", "num_windows")
#: Configuration fields that give how many patches a side are merged into one.
MERGE = ("spatial_merge_size", "merge_kernel_size", "merge_size")


def image(
    config: Any, device: str, image_size: int | None = None, *, video: bool = False
) -> torch.Tensor:
    """An image (a clip of ``num_frames`` images for a video model) of
    :func:`dimensions`."""
    vision = fields.vision(config)
    channels = getattr(vision, "num_channels", 3)
    frames = fields.number(vision, ("num_frames", "frames_per_clip"), VIDEO_FRAMES if video else 0)
    clip = (frames,) if frames else ()
    return torch.zeros(1, *clip, channels, *dimensions(config, image_size), device=device)


def dimensions(config: Any, image_size: int | None = None) -> tuple[int, int]:
    """The height and width of the vision configuration's images, or ``image_size``."""
    vision = fields.vision(config)
    size = image_size or getattr(vision, "image_size", None) or getattr(vision, "crop_size", None)
    size = size or next(_sizes(config), 224)
    height, width = (size[0], size[-1]) if isinstance(size, list | tuple) else (size, size)
    ratios = getattr(vision, "scaled_images_ratios", None)
    if ratios:  # Depth Pro: the image at its smallest scale still holds a patch
        smallest = math.ceil(vision.patch_size / min(ratios))
        height, width = max(height, smallest), max(width, smallest)
    return _whole_windows(config, height), _whole_windows(config, width)


def _whole_windows(config: Any, side: int) -> int:
    """``side`` rounded up to hold a whole number of windows of patches (RF-DETR's default
    518 pixels are 37 patches, which 4 windows do not split)."""
    for each in fields.configs(config):
        windows = next(fields.integers([each], WINDOWS), 0)
        patch = fields.number(each, ("patch_size",), 0)
        if windows and patch:
            return math.ceil(side / (windows * patch)) * windows * patch
    return side


def _sizes(config: Any) -> Iterator[Any]:
    """The image sizes the configuration and the ones nested in it give (SAM 2's prompt
    encoder, TVP's ``max_img_size``), outermost first."""
    for each in fields.configs(config):
        for name in ("image_size", "max_img_size"):
            if value := getattr(each, name, None):
                yield value


def timm_size(model: nn.Module) -> int | None:
    """The side of the images a timm backbone inside the model was made for: the one its
    patch embedding requires (OmDet-Turbo's Swin, made for 640 pixels), else its
    ``pretrained_cfg``'s (the configuration of a ``TimmWrapper`` names the backbone only)."""
    for module in model.modules():
        if getattr(module, "strict_img_size", False) and getattr(module, "img_size", None):
            return int(module.img_size[-1])
    for module in model.modules():
        size = (getattr(module, "pretrained_cfg", None) or {}).get("input_size")
        if isinstance(size, tuple | list) and size:
            return int(size[-1])
    return None


def _patch_side(config: Any) -> int:
    """The side of the square grid of patches: ``GRID`` times the pooling kernel (whose
    windows must tile it), within the configuration's number of patches."""
    vision = fields.vision(config)
    pooling = fields.number(vision, ("pooling_kernel_size",), 1)
    side = GRID * pooling
    patches = fields.number(vision, ("num_patches",), 0)
    return min(side, math.isqrt(patches)) if patches else side


def patch_sequence(config: Any, device: str) -> torch.Tensor:
    """An image cut into :func:`_patch_side` ² flat patches, as a sequence."""
    vision = fields.vision(config)
    side = fields.number(vision, ("patch_size",), 16)
    channels = fields.number(vision, ("num_channels",), 3)
    return torch.zeros(1, _patch_side(config) ** 2, channels * side * side, device=device)


def patch_positions(parameter: str, config: Any) -> torch.Tensor:
    """Where the patches of :func:`patch_sequence` lie: the grid's height and width, or
    each patch's (x, y), or that every patch is real, on the CPU."""
    side = _patch_side(config)
    if parameter == "spatial_shapes":
        return torch.tensor([[side, side]])
    if parameter == "pixel_attention_mask":
        return torch.ones(1, side * side, dtype=torch.long)
    y, x = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    return torch.stack([x.flatten(), y.flatten()], dim=-1)[None]


def grid(parameter: str, config: Any) -> torch.Tensor:
    """The grid an image was cut into (one image, ``GRID`` merged patches a side), or the
    merge size of each image, on the CPU."""
    merge = fields.number(fields.vision(config), MERGE, 2)
    if parameter.endswith("merge_sizes"):
        return torch.tensor([merge])
    return torch.tensor([[1, GRID * merge, GRID * merge]])


def patches(config: Any, device: str) -> Iterator[torch.Tensor]:
    """The image cut into the patches of :func:`grid`'s grid, each flat (Qwen-VL's
    layout), as a small image, or as a small clip of ``temporal_patch_size`` frames; or the
    grid's patches merged ``spatial_merge_size`` a side (Inkling 2's grid counts those), each
    a small image with its channels last."""
    vision = fields.vision(config)
    merge = fields.number(vision, MERGE, 2)
    count = (GRID * merge) ** 2
    channels = fields.number(vision, ("in_channels", "num_channels"), 3)
    frames = fields.number(vision, ("temporal_patch_size", "patch_temporal"), 1)
    side = fields.number(vision, ("patch_size",), 14)
    yield torch.zeros(count, channels * frames * side * side, device=device)
    yield torch.zeros(count, channels, side, side, device=device)
    if frames > 1:
        yield torch.zeros(count, channels, frames, side, side, device=device)
    yield torch.zeros(count, merge * side, merge * side, channels, device=device)
