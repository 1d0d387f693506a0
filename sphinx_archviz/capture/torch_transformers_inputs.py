"""The example input of a Hugging Face ``transformers`` model, from its ``forward`` signature
and its configuration, when the docs give no ``:input-shape:``.

Where the configuration does not say which layout a model takes (audio as samples or as
spectrogram frames, image patches flat or as small images), :func:`example_inputs` gives the
few layouts it allows, likeliest first; the caller keeps the first one the model runs on.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from sphinx_archviz.capture import torch_transformers_fields as fields
from sphinx_archviz.capture import torch_transformers_images as images
from sphinx_archviz.capture import torch_transformers_rarer as rarer
from sphinx_archviz.capture import torch_transformers_sessions as sessions
from sphinx_archviz.errors import ArchvizError

#: Sequence length of the token ids fed to a text model.
TOKENS = 16
#: One second of audio at 16 kHz; spectrograms have this many frames unless the configuration
#: gives its encoder's positions.
SAMPLES = 16000
FRAMES = 200
#: At most this many layouts are tried.
LAYOUTS = 8

#: Inputs whose values the model's Python code reads (the grid of patches an image was cut
#: into; token ids, whose padding gives the sequences' lengths): made on the CPU, where they can
#: be read, even when the model runs on meta. They are small.
VALUES_READ = ("grid_thw", "merge_sizes", "spatial_shapes", "pixel_position_ids", "target_sizes")
#: Inputs that say where each patch of an image cut into a sequence of patches lies (SigLIP 2,
#: Gemma 4's vision model): their model takes the patches flat, as a sequence.
PATCH_POSITIONS = ("spatial_shapes", "pixel_position_ids", "pixel_attention_mask")

#: Audio features (log-mel frames), by the names models give them.
FEATURES = ("input_features", "audio_mel")
#: Masks, and what they mask; made on the CPU (VALUES_READ).
MASKS = {
    "input_features_mask": "input_features",
    "audio_mel_mask": "audio_mel",
    "past_values_padding": "past_values",
}
#: A mask's value for "real": 1, except a padding mask's 0 (Gemma 3n's audio mask is a bool
#: that is True for padding).
MASK_VALUE: dict[str, int | bool] = {"past_values_padding": 0, "audio_mel_mask": False}
#: Steps of a time series at most (TimesFM 2.5's context of 16,384 steps draws in minutes).
STEPS = 512
#: Images in the second layout tried for ``pixel_values``: a pair, as keypoint matchers take.
IMAGES = 2

#: Configuration fields that give the number of features per audio frame (mel bins).
BINS = (
    "num_mel_bins",
    "feature_size",
    "input_feat_per_channel",
    "input_feat_size",
    "n_mels",
    "feature_projection_input_dim",
)

#: Inputs that are a sequence of vectors (embeddings, hidden states, an audio codec's latents),
#: and the configuration fields that may give the vectors' width, likeliest first.
VECTORS = ("_embeds", "hidden_states", "latents", "inputs")
WIDTHS = (
    "hidden_size",
    "d_model",
    "latent_dim",
    "codebook_dim",
    "vae_dim",
    "d_latents",
    "embed_dim",
)
#: The configuration field that gives the width of the encoder's states a model attends to
#: (BLIP-2's Q-Former: the image encoder's), which it then requires.
ENCODER_WIDTH = "encoder_hidden_size"
#: At most this many widths are tried, each with the vectors in rows and in columns.
WIDTHS_TRIED = 3

#: An image given as features of detected regions and their boxes (``TOKENS`` regions), and
#: the configuration fields that give their widths.
REGIONS = {"visual_feats": "visual_feat_dim", "visual_pos": "visual_pos_dim"}


Inputs = tuple[torch.Tensor | None, ...]


def example_inputs(model: nn.Module, device: str) -> list[Inputs]:
    """The model's own example input, in ``forward``'s order (None where a parameter is left
    to its default): its main input, every input ``forward`` requires, and the inputs that go
    with them (the attention mask of token ids, the image of a text-and-image model), sized
    from the configuration. One tuple per layout the configuration allows, likeliest first."""
    config = model.config
    if sessions.session_class(model) is not None:  # a video tracker's video and prompts
        return [sessions.example_inputs(model, device)]
    parameters = list(inspect.signature(model.forward).parameters.values())
    accepted = {parameter.name for parameter in parameters}
    main = model.main_input_name  # OneFormer's is a list: its image and its task
    wanted = {*([main] if isinstance(main, str) else main)} & accepted or {parameters[0].name}
    wanted |= {
        parameter.name
        for parameter in parameters
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    }
    if getattr(config, "is_encoder_decoder", False):
        wanted |= {"decoder_input_ids", "decoder_input_values"}
    wanted |= _companions(wanted, accepted, config)
    optional = _audio_companion(wanted, accepted, config)
    names = [parameter.name for parameter in parameters]
    choices = [
        _examples(name, config, device, accepted, images.timm_size(model))
        if name in wanted
        else [None, *_examples(name, config, device, accepted)]
        if name in optional
        else [None]
        for name in names
    ]
    layouts = []
    for values in itertools.islice(itertools.product(*choices), LAYOUTS):
        values = _with_masks(dict(zip(names, values, strict=True)), config)
        if "decoder_input_values" in wanted & accepted and values.get("input_values") is not None:
            # SpeechT5's decoder: values of the encoder's layout (samples, frames, or states)
            values["decoder_input_values"] = torch.zeros_like(values["input_values"])
        layouts.append(values)
    if layouts[0].get("decoder_input_ids") is not None:
        # Last, the decoder's own start, where token ids do not fit it (Dia's codebooks).
        layouts.append({**layouts[0], "decoder_input_ids": None})
    return [_trimmed(values) for values in layouts]


def _trimmed(values: dict[str, torch.Tensor | None]) -> Inputs:
    """The values in ``forward``'s order, without the defaults that end it."""
    trimmed = list(values.values())
    while trimmed and trimmed[-1] is None:
        trimmed.pop()
    return tuple(trimmed)


def _companions(wanted: set[str], accepted: set[str], config: Any) -> set[str]:
    """The inputs that go with the ``wanted`` ones, among those ``forward`` accepts."""
    companions = set()
    if "input_ids" in wanted and "bbox" in accepted:  # a document model (LayoutLM)
        companions.add("bbox")
    if {"input_ids", "pixel_values"} <= accepted and (
        "pixel_values" in wanted or not _has_tokens(config, "image")
    ):
        # A model of text and images (CLIP) needs both; one that puts the image's features in
        # the text at image tokens draws its language model from the text alone (LLaVA), unless
        # it requires the image (InstructBLIP).
        companions |= {"input_ids", "pixel_values"}
    if "encoder_hidden_states" in accepted and fields.number(config, (ENCODER_WIDTH,), 0):
        companions.add("encoder_hidden_states")  # what a Q-Former's cross-attention reads
    if {"input_values", "pixel_values_videos"} <= accepted and not _has_tokens(config, "video"):
        # Audio and video (PE Audio-Video); not where a video's features fill video tokens
        companions |= {"input_values", "pixel_values_videos"}
    if set(REGIONS) <= accepted:  # LXMERT: the image as features of regions and their boxes
        companions |= set(REGIONS)
    if "pixel_values" in wanted | companions and accepted & set(PATCH_POSITIONS[:2]):
        companions |= set(PATCH_POSITIONS) & accepted
    if "pixel_values" in wanted | companions and "target_sizes" in accepted:
        companions.add("target_sizes")  # MiniCPM-V: the image's grid of patches
    companions |= rarer.companions(wanted | companions, accepted, config)
    companions |= {
        mask for mask, masked in MASKS.items() if masked in wanted | companions and mask in accepted
    }
    return companions


def _audio_companion(wanted: set[str], accepted: set[str], config: Any) -> set[str]:
    """The audio features a model of text that also takes audio may need (CLAP, Voxtral
    Realtime; SeamlessM4T draws from its text alone), tried after the text alone; none for a
    model that puts the audio's features in the text at audio tokens."""
    if "input_ids" not in wanted or "input_features" not in accepted - wanted:
        return set()
    if _has_tokens(config, "audio"):
        return set()
    return {"input_features"}


def _has_tokens(config: Any, kind: str) -> bool:
    """Whether the configuration names tokens of ``kind`` (``image_token_id``) in the text,
    where that kind of input's features go: as a field or as another name of one (Molmo 2's
    ``image_token_id`` is its ``image_patch_id``)."""
    names = [*vars(config), *getattr(config, "attribute_map", {})]
    return any(f"{kind}_token" in name for name in names)


def _examples(
    parameter: str, config: Any, device: str, accepted: set[str], image_size: int | None = None
) -> list[torch.Tensor | None]:
    """The example values of ``parameter``: one, or one per layout it may take."""
    if parameter in PATCH_POSITIONS:
        return [images.patch_positions(parameter, config)]
    if parameter == "target_sizes":  # MiniCPM-V: the image's grid of patches, on the CPU
        patch = fields.number(fields.vision(config), ("patch_size",), 14)
        return [torch.tensor([[side // patch for side in images.dimensions(config, image_size)]])]
    if parameter.endswith(VALUES_READ):
        return [images.grid(parameter, config)]
    if parameter == "pixel_values" and accepted & set(PATCH_POSITIONS[:2]):
        return [images.patch_sequence(config, device)]
    if parameter in ("hidden_states", "pixel_values") and any(
        name.endswith("grid_thw") for name in accepted
    ):
        return list(images.patches(config, device))
    if parameter == "classes_structure":  # OmDet-Turbo: the image has the one class prompt
        return [torch.ones(1, dtype=torch.long)]  # of classes_input_ids, on the CPU
    if parameter == "task_inputs":  # OneFormer: its task's token ids, task_seq_len of them
        return [torch.ones(1, fields.number(config, ("task_seq_len",), TOKENS), dtype=torch.long)]
    tokens = rarer.tokens(config, accepted, TOKENS)
    if parameter == "input_ids":
        return list(_token_ids(config, tokens))
    if parameter.endswith(("input_ids", "attention_mask", "image_embeds_position_mask")):
        return [torch.ones(1, tokens, dtype=torch.long)]  # on the CPU: VALUES_READ
    if parameter in rarer.INPUTS:
        return [rarer.example(parameter, config, TOKENS, device)]
    if parameter == "token_type_ids":
        return [torch.zeros(1, TOKENS, dtype=torch.long)]
    if parameter == "bbox":
        return [torch.zeros(1, TOKENS, 4, dtype=torch.long, device=device)]
    if parameter == "pixel_values_videos":
        return [images.image(config, device, image_size, video=True)]
    if parameter.endswith(("pixel_values", "prompt_masks")):  # SegGPT's prompt too
        image = images.image(config, device, image_size)
        if "prompt_pixel_values" in accepted:  # SegGPT's image_size: image and prompt stacked
            image = image[..., : image.shape[-2] // 2, :].contiguous()
        if parameter != "pixel_values" or image.dim() != 4:
            return [image]
        # Or a pair of images (a keypoint matcher's), a few images (Idefics'), frames.
        return [image, torch.zeros(1, IMAGES, *image.shape[1:], device=device)]
    if parameter in FEATURES:
        return list(_audio_features(config, device, "input_values" in accepted))
    if parameter == "input_values":
        return list(_audio(config, device))
    if parameter == "past_values":
        return list(_series(config, device))
    if parameter in MASKS or parameter == "decoder_input_values":
        return [None]  # sized from what it masks, by _with_masks; from the encoder's values
    if parameter in REGIONS:
        width = fields.number(config, (REGIONS[parameter],), 0)
        return [torch.zeros(1, TOKENS, width, device=device) if width else None]
    if parameter == "freq":  # TimesFM: the frequency class of each series
        return [torch.zeros(1, 1, dtype=torch.long, device=device)]
    if parameter == "encoder_hidden_states" and (
        width := fields.number(config, (ENCODER_WIDTH,), 0)
    ):
        return [torch.zeros(1, TOKENS, width, device=device)]
    if parameter.endswith(VECTORS):
        return list(_vectors(config, device))
    raise ArchvizError(
        "input",
        f"cannot make an example {parameter!r} for {type(config).__name__}; give :input-shape:",
    )


def _token_ids(config: Any, tokens: int) -> Iterator[torch.Tensor]:
    """``tokens`` token ids, on the CPU (VALUES_READ); for a model of audio codebooks
    (``num_codebooks``), then one id per codebook at each step, and one more for a text
    stream beside them (Kyutai's speech-to-text)."""
    yield torch.ones(1, tokens, dtype=torch.long)
    if codebooks := fields.number(config, ("num_codebooks",), 0):
        yield torch.ones(1, tokens, codebooks, dtype=torch.long)
        yield torch.ones(1, tokens, codebooks + 1, dtype=torch.long)


def _bins(config: Any) -> list[int]:
    """The numbers of features per audio frame the configurations give, outermost first."""
    found = fields.integers(fields.configs(config), BINS)
    stacked = fields.number(config, ("num_stacked_frames",), 1)  # FunASR: frames stacked as one
    return list(dict.fromkeys(value * stacked for value in found)) or [80, 128]


def _audio_features(config: Any, device: str, with_audio: bool) -> Iterator[torch.Tensor]:
    """Log-mel features: Whisper's layout (bins × 30 s of frames) where the configuration
    gives its encoder's positions, and frames × bins, for each number of bins it gives; then
    frames × bins as a one-channel image (CLAP's)."""
    frames, whisper = _frames(config, with_audio)
    bins = _bins(config)
    for each in bins:
        bins_first = torch.zeros(1, each, frames, device=device)
        frames_first = torch.zeros(1, frames, each, device=device)
        yield from (bins_first, frames_first) if whisper else (frames_first, bins_first)
    yield torch.zeros(1, 1, frames, bins[0], device=device)


def _frames(config: Any, with_audio: bool) -> tuple[int, bool]:
    """Frames of audio features: 30 s where the configuration gives its encoder's positions
    (Whisper's, whose features are bins × frames: then True); those of the second of audio
    given ``with_audio`` (X-Codec 2's features of its samples), one every ``hop_length``
    samples; as many as the text's ``TOKENS`` take where each token stands for
    ``audio_length_per_tok`` frames (Voxtral Realtime adds the audio to the text); else
    ``FRAMES``."""
    positions = fields.number(config, ("max_source_positions",), 0)
    if positions:
        return 2 * positions, True
    hop = fields.number(config, ("hop_length",), 0) if with_audio else 0
    if hop:
        return _samples(config) // hop, False
    per_token = fields.number(config, ("audio_length_per_tok",), 0)
    return (TOKENS * per_token if per_token else FRAMES), False


def _audio(config: Any, device: str) -> Iterator[torch.Tensor]:
    """A second of raw audio, without and with a channel axis (``audio_channels``); frames of
    spectrogram features (as many as ``max_length`` says: the Audio Spectrogram Transformer's
    positions), or of features already of the model's width."""
    samples = _samples(config)
    yield torch.zeros(1, samples, device=device)
    channels = fields.number(config, ("audio_channels", "channels"), 1)
    yield torch.zeros(1, channels, samples, device=device)
    frames = fields.number(config, ("max_length",), FRAMES)
    for features in (*_bins(config)[:1], fields.number(config, ("hidden_size", "d_model"), 0)):
        if features:
            yield torch.zeros(1, frames, features, device=device)


def _samples(config: Any) -> int:
    """``SAMPLES``, rounded up to whole tokens of ``samples_per_token`` (Muse Spark's audio)."""
    per_token = fields.number(config, ("samples_per_token",), 1)
    return math.ceil(SAMPLES / per_token) * per_token


def _vectors(config: Any, device: str) -> Iterator[torch.Tensor]:
    """``TOKENS`` vectors of each width the configurations give (outermost first), as rows
    (embeddings) and as columns (the latents of an audio codec), then a second of audio."""
    widths = dict.fromkeys(fields.integers(fields.configs(config), WIDTHS))
    for width in list(widths)[:WIDTHS_TRIED]:
        yield torch.zeros(1, TOKENS, width, device=device)
        yield torch.zeros(1, width, TOKENS, device=device)
    yield torch.zeros(
        1, fields.number(config, ("audio_channels", "channels"), 1), SAMPLES, device=device
    )


def _series(config: Any, device: str) -> Iterator[torch.Tensor]:
    """A time series of ``context_length`` steps (at most ``STEPS``), with its channels
    (PatchTST) and without (TimesFM)."""
    steps = min(fields.number(config, ("context_length",), STEPS), STEPS)
    channels = fields.number(config, ("num_input_channels", "input_size"), 1)
    yield torch.zeros(1, steps, channels, device=device)
    yield torch.zeros(1, steps, device=device)


def _with_masks(
    values: dict[str, torch.Tensor | None], config: Any
) -> dict[str, torch.Tensor | None]:
    """The masks of audio features and time series: every frame and step is real; of a few
    images (:func:`.rarer.image_attention_mask`, :func:`.rarer.camera_mask`)."""
    for mask, masked in MASKS.items():
        given = values.get(masked)
        if mask in values and given is not None:
            length = (
                _frames(config, "input_values" in values)[0]
                if masked in FEATURES
                else given.shape[1]
            )
            values[mask] = torch.full((1, length), MASK_VALUE.get(mask, 1))
    if "image_attention_mask" in values:
        values["image_attention_mask"] = rarer.image_attention_mask(values, TOKENS)
    if values.get("pixel_attention_mask", 0) is None:  # not a patch mask (SigLIP 2's)
        values["pixel_attention_mask"] = rarer.camera_mask(values)
    return values
