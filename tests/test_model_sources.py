"""Model sources beyond the docs' own classes: Hugging Face transformers models built from a
configuration, torch.export programs and ONNX files — real packages, nothing downloaded."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sphinx_archviz.nodes import archviz
from tests.conftest import DOCS, BuildProject, Built, requires_dot

pytestmark = [pytest.mark.framework, requires_dot]

pytest.importorskip("transformers")

LLAMA = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
}


def dots(built: Built, docname: str = "index") -> list[str]:
    return [node["dot"] for node in built.app.env.get_doctree(docname).findall(archviz)]


def groups(dot: str) -> set[str]:
    """The bold names of a modules-view diagram: its module nodes and clusters."""
    return set(re.findall(r"label=<<B>([^<]+)</B>", dot))


def test_a_transformers_class_draws_from_a_json_config_with_its_own_input(
    build_project: BuildProject,
) -> None:
    built = build_project(
        {
            "index.rst": f"""
            Llama
            =====

            .. archviz:: transformers:LlamaModel
               :config: {json.dumps(LLAMA)}
               :view: modules
               :summary:
            """
        }
    )
    assert built.archviz_warnings() == []
    (dot,) = dots(built)
    assert "layers.0–3" in dot and "LlamaDecoderLayer × 4" in dot
    assert {"embed_tokens", "norm", "input_ids"} <= groups(dot)
    assert "1×16×64" in dot  # the hidden states of the 16 example tokens
    html = built.html()
    embedding, layer = 1000 * 64, 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128 + 2 * 64
    assert f"{embedding + 4 * layer + 64:,}" in html  # the summary's total


def test_automodel_takes_model_type_and_a_config_file(build_project: BuildProject) -> None:
    built = build_project(
        {
            "config.json": json.dumps({"model_type": "vit", "num_hidden_layers": 2}),
            "index.rst": """
            ViT
            ===

            .. archviz:: transformers:AutoModel
               :config: config.json
               :view: modules
            """,
        }
    )
    assert built.archviz_warnings() == []
    (dot,) = dots(built)
    assert "pixel_values" in dot and "1×3×224×224" in dot
    assert "ViTLayer × 2" in dot


def test_mixture_of_experts_draws_on_the_meta_device(build_project: BuildProject) -> None:
    config = {
        "model_type": "mixtral",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_local_experts": 4,
        "vocab_size": 1000,
    }
    built = build_project(
        {
            "index.rst": f"""
            Mixtral
            =======

            .. archviz:: transformers:AutoModel
               :config: {json.dumps(config)}
               :view: modules
            """
        }
    )
    assert built.archviz_warnings() == []
    assert "MixtralDecoderLayer × 2" in dots(built)[0]
    assert "drawn on the CPU" not in built.warnings


def small(model_type: str, **values: object) -> str:
    """An ``archviz`` directive for ``AutoModel`` of a small ``model_type`` configuration."""
    config = {"model_type": model_type, **values}
    return f"\n.. archviz:: transformers:AutoModel\n   :config: {json.dumps(config)}\n" + (
        "   :view: modules\n"
    )


def test_inputs_come_from_the_models_own_signature_on_the_meta_device(
    build_project: BuildProject,
) -> None:
    """CLIP takes token ids and an image; LayoutLM token ids and their boxes; Bamba's hybrid
    layers ask a key-value cache for its length unless there is none; BERT's padding check
    reads token values. All draw on the meta device."""
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    tiny |= {"num_hidden_layers": 1}
    clip = {
        "model_type": "clip",
        "text_config": tiny,
        "vision_config": {**tiny, "image_size": 32, "patch_size": 8},
    }
    page = "Inputs\n======\n" + "".join(
        [
            f"\n.. archviz:: transformers:AutoModel\n   :config: {json.dumps(clip)}\n"
            "   :view: modules\n",
            small("layoutlm", **tiny),
            small("bamba", **tiny, num_key_value_heads=1, mamba_n_heads=4, mamba_d_head=16),
            small("megatron-bert", **tiny),
        ]
    )
    built = build_project({"index.rst": page})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    clip_dot, layoutlm, bamba, bert = dots(built)
    assert {"input_ids", "pixel_values", "text_model", "vision_model"} <= groups(clip_dot)
    assert "1×3×32×32" in clip_dot
    assert {"input_ids", "bbox"} <= groups(layoutlm) and "1×16×4" in layoutlm
    assert "BambaDecoderLayer" in bamba
    assert "input_ids" in groups(bert)


def test_a_missing_package_and_a_model_too_large_for_the_cpu_warn_clearly(
    build_project: BuildProject,
) -> None:
    """Dinat needs natten, which is not installed here; JetMoE counts the tokens each expert
    gets from the values of the router's output (.tolist()), which the meta device does not
    have, and one layer of it is too many parameters (418M) to build on the CPU: what ran is
    drawn."""
    assert importlib.util.find_spec("natten") is None
    page = "Missing\n=======\n" + small("dinat", depths=[1], num_heads=[1], embed_dim=16)
    page += "\n" + small("jetmoe", num_hidden_layers=1)
    built = build_project({"index.rst": page})
    missing, too_large = built.archviz_warnings()
    assert "[archviz.dependency]" in missing["text"] and missing["line"] == "4"
    assert "DinatModel needs the natten package, which is not installed" in missing["text"]
    assert "pip install natten" in missing["text"]
    assert "[archviz.device]" in too_large["text"] and too_large["line"] == "9"
    assert "cannot run on the meta device" in too_large["text"]
    assert "too large to be built on the CPU" in too_large["text"]
    assert "drawn on the CPU" not in built.app.status.getvalue()
    assert "Partial diagram: stopped at" in built.html()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (":config: {not json", ":config: JSON is not valid JSON"),
        (":config: missing.json", "the :config: file missing.json does not exist"),
        (':config: {"model_type": "no-such-model"}', "unknown model_type 'no-such-model'"),
        (":view: modules", "transformers:AutoModel needs a configuration: add :config:"),
    ],
)
def test_a_bad_config_is_one_located_warning(
    options: str, expected: str, build_project: BuildProject
) -> None:
    built = build_project(
        {"index.rst": f"Bad\n===\n\n.. archviz:: transformers:AutoModel\n   {options}\n"}
    )
    (warning,) = built.archviz_warnings()
    assert warning["line"] == "4"
    assert expected in warning["text"]


def test_config_on_a_plain_class_says_what_to_use(build_project: BuildProject) -> None:
    built = build_project(
        {
            "index.rst": """
            CNN
            ===

            .. archviz:: models:CNNModel
               :input-shape: 1, 1, 64, 64
               :config: {"width": 2}
            """
        }
    )
    (warning,) = built.archviz_warnings()
    assert ":config: applies to Hugging Face transformers model classes" in warning["text"]


ENCODER = """
.. archviz:: models:SmallEncoder
   :input-shape: 1, 16
   :input-dtype: int64
   :view: modules
   :depth: 3
   :fold: false
"""


def test_export_draws_the_same_modules_as_the_live_trace(build_project: BuildProject) -> None:
    built = build_project({"index.rst": f"Encoder\n=======\n{ENCODER}\n{ENCODER}   :export:\n"})
    assert built.archviz_warnings() == []
    live, exported = dots(built)
    assert groups(live) == groups(exported)
    assert {"blocks.0.up", "blocks.1.down", "embedding", "head"} <= groups(exported)


def test_an_onnx_file_draws_the_same_modules_as_torch_export(
    build_project: BuildProject, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    shutil.copy(DOCS / "small-encoder.onnx", tmp_path / "src" / "encoder.onnx")
    built = build_project(
        {
            "index.rst": f"""
            Encoder
            =======

            .. archviz:: encoder.onnx
               :view: modules
               :depth: 3
               :fold: false
            {ENCODER}   :export:
            """
        }
    )
    assert built.archviz_warnings() == []
    from_file, exported = dots(built)
    assert groups(from_file) - {"tokens"} == groups(exported) - {"tokens"}
    assert "1×16×32" in from_file  # shapes from ONNX shape inference
    # The page explores the file by its module scopes (:fold: false: no folded repeat).
    node = next(built.app.env.get_doctree("index").findall(archviz))
    names = [group[0] for group in json.loads(node["hierarchy"])["groups"]]
    assert {"blocks", "blocks.0", "blocks.1"} <= set(names)
    assert not any("–" in name for name in names)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "no model file missing.onnx: paths are relative to the page"),
        ({"missing.onnx": "not an onnx model"}, "cannot read missing.onnx as an ONNX model"),
    ],
)
def test_a_bad_model_file_is_one_located_warning(
    files: dict[str, str], expected: str, build_project: BuildProject
) -> None:
    built = build_project({**files, "index.rst": "File\n====\n\n.. archviz:: missing.onnx\n"})
    (warning,) = built.archviz_warnings()
    assert warning["line"] == "4"
    assert expected in warning["text"]
    assert "[archviz.file]" in warning["text"]


def test_inputs_of_patches_and_audio_take_the_layout_the_model_runs_on(
    build_project: BuildProject,
) -> None:
    """Qwen2.5-VL's vision encoder takes flat patches and the grid they were cut from, whose
        values it reads (on the CPU while the model stays on meta); Speech2Text takes frames × mel
        bins although its configuration gives encoder positions (Whisper's bins × frames comes
        first and fails); DAC takes audio with a channel axis; XLM reads its sequences' lengths from
    the token ids' values. All draw on the meta device."""
    tiny = {"hidden_size": 32, "intermediate_size": 64}
    vision = small(
        "qwen2_5_vl_vision",
        **tiny,
        depth=2,
        num_heads=2,
        out_hidden_size=32,
        fullatt_block_indexes=[1],
    )
    speech = small(
        "speech_to_text",
        encoder_layers=1,
        decoder_layers=1,
        d_model=32,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        conv_channels=32,
        input_feat_per_channel=8,
        max_source_positions=100,
    )
    codec = small("dac", decoder_hidden_size=64)
    # XLM reads its sequences' lengths from the token ids' values: they are on the CPU.
    text = small("xlm", emb_dim=32, n_layers=1, n_heads=2, vocab_size=1000)
    # PatchTST takes a series of context_length steps × its channels.
    series = small("patchtst", context_length=24, num_input_channels=2, num_hidden_layers=1)
    # AltCLIP moves its position ids to the token ids' device: they stay on meta.
    tiny = {**tiny, "num_attention_heads": 2, "num_hidden_layers": 1}
    vision_tiny = {**tiny, "image_size": 32, "patch_size": 8}
    pair = small("altclip", text_config=tiny, vision_config=vision_tiny)
    page = "Layouts\n=======\n" + vision + speech + codec + text + series + pair
    built = build_project({"index.rst": page})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    patches, features, audio, tokens, steps, both = dots(built)

    assert {"hidden_states", "grid_thw", "patch_embed", "blocks.1", "merger"} <= groups(patches)
    assert "64×1176" in patches  # 8 × 8 patches of 3 channels × 2 frames × 14 × 14
    assert "input_features" in groups(features) and "1×200×8" in features
    assert "input_values" in groups(audio) and "1×1×16000" in audio
    assert {"input_ids", "embeddings", "attentions.0", "ffns.0"} <= groups(tokens)
    assert "1×16×32" in tokens
    assert "past_values" in groups(steps) and "1×24×2" in steps
    assert {"input_ids", "pixel_values", "text_model", "vision_model"} <= groups(both)


def test_a_model_without_a_forward_pass_names_the_models_it_is_made_of(
    build_project: BuildProject,
) -> None:
    built = build_project({"index.rst": "Bark\n====\n" + small("bark")})
    (warning,) = built.archviz_warnings()
    assert "[archviz.forward]" in warning["text"] and warning["line"] == "4"
    assert "BarkModel has no forward pass of its own" in warning["text"]
    assert "transformers:BarkSemanticModel" in warning["text"]
    assert "meta device" not in warning["text"]


def test_patch_sequences_vectors_and_timm_backbones_take_layouts_from_the_config(
    build_project: BuildProject,
) -> None:
    """SigLIP 2's vision model takes its image as a sequence of flat patches with the grid's
    height and width (read on the CPU); Gemma 4's with each patch's (x, y); Perceiver a
    sequence of d_model-wide vectors; a timm ViT made for 384-pixel images (timm knows its
    size, the configuration names the backbone only) an image of that size; the Audio
    Spectrogram Transformer max_length frames of mel bins. All draw on the
    meta device; the timm model is built without weights."""
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    tiny |= {"num_hidden_layers": 1}
    siglip = small("siglip2_vision_model", **tiny, patch_size=4, num_patches=16)
    gemma = small("gemma4_vision", **tiny, num_key_value_heads=2, head_dim=16)
    perceiver = small(
        "perceiver",
        num_latents=8,
        d_latents=32,
        d_model=16,
        num_blocks=1,
        num_self_attends_per_block=1,
        num_self_attention_heads=2,
        num_cross_attention_heads=1,
    )
    timm = small("timm_wrapper", architecture="vit_tiny_patch16_384")
    # The Audio Spectrogram Transformer's positions fit max_length frames, not 200.
    spectrogram = small(
        "audio-spectrogram-transformer", **tiny, patch_size=8, max_length=32, num_mel_bins=16
    )
    # Gemma 3n's audio mask is a bool that is True for padding.
    mel = small(
        "gemma3n_audio",
        hidden_size=32,
        conf_num_attention_heads=2,
        conf_num_hidden_layers=1,
        input_feat_size=16,
    )
    # LXMERT takes an image as features of regions and their boxes; EfficientLoFTR a pair.
    regions = small(
        "lxmert",
        hidden_size=32,
        intermediate_size=64,
        num_attention_heads=2,
        l_layers=1,
        x_layers=1,
        r_layers=1,
        vocab_size=1000,
        visual_feat_dim=8,
    )
    pair = small("efficientloftr")
    # SEW-D masks its attention with a value it makes on the CPU: it joins the meta tensors.
    scalar = small("sew-d", **tiny)
    # CLAP takes token ids and mel frames as a one-channel image; SegGPT's image_size is its
    # image and its prompt stacked.
    text_and_audio = small("clap", text_config=tiny, audio_config={"depths": [1, 1, 1, 1]})
    prompted = small(
        "seggpt",
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        mlp_dim=64,
        image_size=[64, 32],
        patch_size=8,
        decoder_hidden_size=16,
        intermediate_hidden_state_indices=[0, 1],
        merge_index=0,
    )
    # TVP's image size is max_img_size; SAM 2's is its prompt encoder's; FunASR stacks 3 frames
    # of 8 bins as one.
    video = small("tvp", num_hidden_layers=1)
    segmenter = small("sam2")
    stacked = small("fun_asr_nano_encoder", **tiny, num_mel_bins=8, num_stacked_frames=3)
    # Gemma 4's audio model names no mel bins: 80 fails, 128 runs.
    unnamed = small("gemma4_audio", **tiny, subsampling_conv_channels=[128, 4], output_proj_dims=16)
    page = "Sequences\n=========\n" + siglip + gemma + perceiver + timm + spectrogram + mel
    page += regions + pair + scalar + text_and_audio + prompted + video + segmenter + stacked
    # Depth Pro's image must still hold a 384-pixel patch at a quarter of its size.
    page += unnamed + small("depth_pro")
    built = build_project({"index.rst": page})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    (
        patches,
        positions,
        vectors,
        backbone,
        frames,
        masked,
        features,
        images,
        audio,
        clap,
        seggpt,
        tvp,
        sam2,
        funasr,
        bins,
        depth,
    ) = dots(built)
    assert {"pixel_values", "spatial_shapes", "embeddings", "encoder"} <= groups(patches)
    assert "1×16×48" in patches  # 4 × 4 patches of 3 channels × 4 × 4
    assert {"pixel_values", "pixel_position_ids"} <= groups(positions)
    assert "1×144×768" in positions and "1×144×2" in positions  # 12 × 12: pooled 3 × 3
    assert "inputs" in groups(vectors) and "1×16×16" in vectors
    assert "pixel_values" in groups(backbone) and "1×3×384×384" in backbone
    assert "input_values" in groups(frames) and "1×32×16" in frames
    assert {"audio_mel", "audio_mel_mask"} <= groups(masked) and "1×200×16" in masked
    assert {"input_ids", "visual_feats", "visual_pos"} <= groups(features)
    assert "1×16×8" in features and "1×16×4" in features
    assert "pixel_values" in groups(images) and "1×2×3×224×224" in images
    assert {"input_values", "encoder.encoder"} <= groups(audio)
    assert {"input_ids", "input_features", "audio_model"} <= groups(clap)
    assert "1×1×200×64" in clap
    assert {"pixel_values", "prompt_pixel_values", "prompt_masks"} <= groups(seggpt)
    assert "1×3×32×32, 1×3×32×32 → 1×3×64×32" in seggpt  # stacked by the model itself
    assert "pixel_values" in groups(tvp) and "1×48×3×448×448" in tvp
    assert "pixel_values" in groups(sam2) and "1×3×1024×1024" in sam2
    assert {"input_features", "input_features_mask"} <= groups(funasr)
    assert "1×200×24" in funasr
    assert "input_features" in groups(bins) and "1×200×128" in bins
    assert "pixel_values" in groups(depth) and "1×3×1536×1536" in depth


def test_vision_inputs_read_their_grids_windows_and_encoder_states_from_the_config(
    build_project: BuildProject,
) -> None:
    """RF-DETR's image holds whole windows of patches (126 pixels are 9 patches, which 2
    windows do not split: 140); MiniCPM-V's vision model takes its image's grid of patches
    (target_sizes, read on the CPU even where the model sends it to meta); BLIP-2's Q-Former
    the encoder states of encoder_hidden_size its cross-attention reads; Sam3LiteText's text
    model, whose main input is pixel_values, its forward's token ids; Inkling 2's vision model
    its patches merged two a side, channels last; InstructBLIP its image and both texts;
    OmDet-Turbo its one class prompt (classes_structure) and an image of its Swin's 640 pixels.
    All draw on the meta device."""
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    tiny |= {"num_hidden_layers": 1}
    windows = small(
        "rf_detr",
        backbone_config={
            "model_type": "rf_detr_dinov2",
            **tiny,
            "num_hidden_layers": 2,
            "image_size": 126,
            "num_windows": 2,
            "out_indices": [1, 2],
        },
        d_model=32,
        decoder_layers=1,
        decoder_self_attention_heads=2,
        decoder_cross_attention_heads=2,
        decoder_ffn_dim=64,
        num_queries=10,
    )
    grid = small("minicpm_ocr_vision", **tiny, image_size=64, patch_size=8, insert_layer_id=0)
    qformer = small("blip_2_qformer", **tiny, encoder_hidden_size=24)
    text = small("sam3_lite_text_text_model", **tiny)
    merged = small("inkling2_vision", **tiny, patch_size=4, posemb_grid_size=8)
    instructed = small(
        "instructblip",
        image_token_index=3,
        num_query_tokens=4,
        text_config={"model_type": "opt", **tiny, "ffn_dim": 64, "word_embed_proj_dim": 32},
        vision_config={**tiny, "image_size": 32, "patch_size": 8},
        qformer_config=tiny,
    )
    page = "Vision\n======\n" + windows + grid + qformer + text + merged + instructed
    built = build_project({"index.rst": page + small("omdet-turbo")})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    rf_detr, minicpm, blip, sam3, inkling, instructblip, omdet = dots(built)
    assert "pixel_values" in groups(rf_detr) and "1×3×140×140" in rf_detr
    assert {"pixel_values", "target_sizes"} <= groups(minicpm)
    assert "1×3×64×64" in minicpm and "1×2" in minicpm
    assert {"query_embeds", "encoder_hidden_states"} <= groups(blip)
    assert "1×16×32" in blip and "1×16×24" in blip
    assert "input_ids" in groups(sam3) and "1×16" in sam3
    assert {"pixel_values", "image_grid_thw"} <= groups(inkling) and "64×8×8×3" in inkling
    assert {"pixel_values", "qformer_input_ids", "input_ids"} <= groups(instructblip)
    assert {"pixel_values", "classes_input_ids", "classes_structure"} <= groups(omdet)
    assert "1×3×640×640" in omdet


def test_a_keypoint_matcher_whose_detector_keeps_every_keypoint_says_to_bound_them(
    build_project: BuildProject,
) -> None:
    """LightGlue cannot run on the meta device; on the CPU, without weights, every pixel is a
    keypoint unless max_keypoints bounds them (matching them all took minutes): one warning
    naming the field, at once, instead of a timeout."""
    tiny = {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1}
    built = build_project({"index.rst": "Glue\n====\n" + small("lightglue", **tiny)})
    (warning,) = built.archviz_warnings()
    assert "[archviz.config]" in warning["text"] and warning["line"] == "4"
    assert "max_keypoints is -1" in warning["text"]
    assert '{"model_type": "superpoint", "max_keypoints": 512}' in warning["text"]
    assert "took longer" not in built.warnings


def test_trajectories_languages_codebooks_and_image_places_come_from_the_config(
    build_project: BuildProject,
) -> None:
    """X-MOD takes its only language's id; Voxtral Realtime audio_length_per_tok frames per
    text token; Dia's decoder starts from its own codebooks; Decision Transformer a trajectory
    of state_dim states, act_dim actions, returns and times; Idefics a few images with the mask
    of which tokens see them; Kosmos-2 a text of latent_query_num places for the image;
    Molmo 2, whose image token is another name of image_patch_id, its text alone. An X-MOD of
    two languages and no default says to pick one."""
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    tiny |= {"num_hidden_layers": 1}
    heads = {"num_key_value_heads": 1, "head_dim": 16}
    voxtral = small(
        "voxtral_realtime",
        text_config={**tiny, **heads, "vocab_size": 100},
        audio_config={**tiny, "head_dim": 16, "num_mel_bins": 16},
    )
    cross = {"cross_num_attention_heads": 2, "cross_head_dim": 16, "cross_hidden_size": 32}
    dia = small(
        "dia",
        encoder_config={**tiny, "num_key_value_heads": 2, "head_dim": 16},
        decoder_config={**tiny, **heads, **cross, "cross_num_key_value_heads": 2}
        | {"num_channels": 3, "vocab_size": 64},
        delay_pattern=[0, 1, 2],
    )
    trajectory = small(
        "decision_transformer", hidden_size=32, n_layer=1, n_head=2, state_dim=5, act_dim=3
    )
    vision = {**tiny, "image_size": 32, "patch_size": 8}
    vision_embeds = {key: value for key, value in vision.items() if key != "hidden_size"}
    idefics = small(
        "idefics", **tiny, vocab_size=100, vision_config={**vision_embeds, "embed_dim": 32}
    )
    kosmos = small(
        "kosmos-2",
        latent_query_num=8,
        text_config={"embed_dim": 32, "layers": 1, "ffn_dim": 64, "attention_heads": 2},
        vision_config=vision,
    )
    molmo = small(
        "molmo2",
        text_config={**tiny, **heads, "vocab_size": 100, "additional_vocab_size": 8},
        vision_config={**vision, "num_key_value_heads": 2, "head_dim": 16, "image_size": [32, 32]},
        adapter_config={**heads, "hidden_size": 32, "num_attention_heads": 2}
        | {"intermediate_size": 64, "text_hidden_size": 32, "vision_feature_layer": [-1]},
    )
    page = "Places\n======\n" + small("xmod", **tiny) + voxtral + dia + trajectory
    page += idefics + kosmos + molmo
    bilingual = small("xmod", **tiny, languages=["en_XX", "de_DE"])
    built = build_project(
        {"index.rst": page, "bilingual.rst": ":orphan:\n\nTwo\n===\n" + bilingual}
    )
    (warning,) = built.archviz_warnings()
    assert "[archviz.input]" in warning["text"] and "bilingual.rst" in warning["path"]
    assert warning["line"] == "6"
    assert "2 languages (en_XX, de_DE) and no default_language" in warning["text"]
    assert 'add "default_language" to :config:' in warning["text"]
    assert "drawn on the CPU" not in built.app.status.getvalue()
    xmod, audio, codebooks, steps, images, places, text = dots(built)
    assert {"input_ids", "lang_ids"} <= groups(xmod)
    assert {"input_ids", "input_features", "audio_tower"} <= groups(audio)
    assert "1×16×128" in audio  # 16 tokens of 8 frames, of 16 bins
    assert {"input_ids", "encoder", "decoder"} <= groups(codebooks)
    assert {"states", "actions", "returns_to_go", "timesteps"} <= groups(steps)
    assert "1×16×5" in steps and "1×16×3" in steps
    assert {"pixel_values", "image_attention_mask", "vision_model"} <= groups(images)
    assert "1×2×3×32×32" in images and "1×16×2" in images
    assert {"pixel_values", "input_ids", "image_embeds_position_mask"} <= groups(places)
    assert "1×8" in places
    assert "input_ids" in groups(text) and "vision_tower" not in groups(text)


def test_audio_inputs_take_their_width_length_and_companions_from_the_model(
    build_project: BuildProject,
) -> None:
    """Granite Speech 5 stacks four frames of mel bins in one (read from its first linear
    layer, the configuration does not say); a speculative decoder's context is the hidden
    states of its target layers side by side (likewise); Muse Spark's audio is whole tokens of
    samples_per_token samples; Kyutai's token ids are a text stream beside num_codebooks audio
    streams; PE Audio-Video's encoder takes its audio with a video; SpeechT5 without pre-nets
    hidden states in its encoder and decoder; X-Codec 2 features one every hop_length samples
    of its audio. All draw on the meta device."""
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    tiny |= {"num_hidden_layers": 1, "num_key_value_heads": 2, "head_dim": 16}
    granite = small(
        "granite_speech5_encoder",
        **tiny,
        num_mel_bins=8,
        vocab_size=50,
        max_position_embeddings=32,
        context_size=8,
        subsample_layers=[],
    )
    drafter = small("muse_glimmer_assistant", **tiny, target_layer_ids=[1, 2, 3], block_size=4)
    spark = small(
        "muse_spark_audio",
        patch_sizes=[16, 6],
        hidden_sizes=[8, 16],
        depths=[1, 1],
        num_hidden_layers=2,
        out_hidden_size=16,
    )
    kyutai = small(
        "kyutai_speech_to_text",
        **tiny,
        vocab_size=50,
        num_codebooks=3,
        codebook_vocab_size=16,
        audio_pad_token_id=98,
        audio_bos_token_id=97,
        bos_token_id=1,
    )
    speecht5 = small(
        "speecht5",
        hidden_size=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
    )
    towers = {**tiny, "audio_config": tiny, "video_config": tiny}
    audio_and_video = small("pe_audio_video_encoder", **towers)
    semantic = {**tiny, "model_type": "wav2vec2-bert", "output_hidden_size": 32}
    del semantic["num_key_value_heads"], semantic["head_dim"]
    codec = small("xcodec2", **tiny, quantization_dim=64, semantic_model_config=semantic)
    page = "Audio\n=====\n" + granite + drafter + spark + kyutai + speecht5
    built = build_project({"index.rst": page + audio_and_video + codec})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    stacked, context, samples, codebooks, states, clip, features = dots(built)
    assert "input_features" in groups(stacked) and "1×200×32" in stacked
    assert {"noise_embeds", "context_hidden_states"} <= groups(context)
    assert "1×16×96" in context  # three target layers of 32
    assert "input_values" in groups(samples) and "1×16032" in samples  # 167 tokens of 96
    assert "input_ids" in groups(codebooks) and "1×16×4" in codebooks
    assert {"input_values", "decoder_input_values"} <= groups(states)
    assert "1×200×32" in states
    assert {"input_values", "pixel_values_videos"} <= groups(clip)
    assert "1×1×16000" in clip and "1×8×3×336×336" in clip
    assert {"input_values", "input_features", "input_features_mask"} <= groups(features)
    assert "1×50×160" in features  # one frame every 320 samples


#: Run in a process of its own, so that this pytest process never imports torch.
_ONEFORMER_SCRIPT = """
import json
import transformers
from sphinx_archviz.capture import torch_transformers, torch_transformers_inputs
config = '{"model_type": "oneformer", "task_seq_len": 9}'
model = torch_transformers.build(transformers.AutoModel, config, "meta", "oneformer")
image, task = torch_transformers_inputs.example_inputs(model, "meta")[0]
print(json.dumps([[each.is_meta, list(each.shape), str(each.dtype)] for each in (image, task)]))
"""


def test_oneformer_takes_its_image_and_task_of_task_seq_len_tokens() -> None:
    """OneFormer's main input is a list (its image and its task); the task is task_seq_len
    token ids, on the CPU. (Drawing it runs on the CPU for 20 s: the layouts are checked.)"""
    result = subprocess.run(
        [sys.executable, "-c", _ONEFORMER_SCRIPT], capture_output=True, text=True, check=True
    )
    image, task = json.loads(result.stdout.strip().splitlines()[-1])
    assert image == [True, [1, 3, 224, 224], "torch.float32"]
    assert task == [False, [1, 9], "torch.int64"]


def test_values_known_without_weights_are_read_on_the_meta_device(
    build_project: BuildProject,
) -> None:
    """LED checks its attention mask (all ones, made when none is given) for global attention
    with .item(); V-JEPA 2 sizes its predictor from the positions it makes; Switch Transformers
    and NLLB-MoE name each expert a token goes to from the indices of nonzero (every expert,
    with all the tokens, as on the meta device every value counts as non-zero). These small
    integer tensors are made on the CPU and read there; all four draw on the meta device."""
    seq2seq = {"d_model": 32, "encoder_layers": 1, "decoder_layers": 1, "vocab_size": 100}
    seq2seq |= {"encoder_attention_heads": 2, "decoder_attention_heads": 2}
    seq2seq |= {"encoder_ffn_dim": 64, "decoder_ffn_dim": 64}
    led = small("led", **seq2seq, attention_window=8)
    video = small(
        "vjepa2",
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        crop_size=32,
        frames_per_clip=4,
        pred_hidden_size=32,
        pred_num_hidden_layers=1,
        pred_num_attention_heads=2,
    )
    experts = {"num_experts": 4, "encoder_sparse_step": 1, "decoder_sparse_step": 1}
    switch = small(
        "switch_transformers",
        **experts,
        vocab_size=100,
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
    )
    nllb = small("nllb-moe", **experts, **seq2seq)
    deep = "   :depth: 7\n"  # down to encoder.block.0.layer.1.mlp.experts.expert_0
    page = "Known\n=====\n" + led + video + switch + deep + nllb + deep
    built = build_project({"index.rst": page})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    tokens, clip, routed, translated = dots(built)
    assert {"input_ids", "decoder_input_ids", "encoder", "decoder"} <= groups(tokens)
    assert "1×16" in tokens
    assert {"pixel_values_videos", "encoder", "predictor"} <= groups(clip)
    assert "1×4×3×32×32" in clip
    nodes = list(built.app.env.get_doctree("index").findall(archviz))
    for dot, node in zip((routed, translated), nodes[2:], strict=True):
        assert {"input_ids", "decoder_input_ids"} <= groups(dot)
        names = {group[0] for group in json.loads(node["hierarchy"])["groups"]}
        assert {f"expert_{number}" for number in range(4)} <= {
            name.rpartition(".")[2] for name in names
        }


def test_video_trackers_and_pi0s_cameras_draw_on_the_meta_device(
    build_project: BuildProject,
) -> None:
    """SAM 2 Video, SAM 3 Tracker Video and EdgeTAM Video take an inference session: the
    example is three blank frames of the configuration's image size and one positive click at
    the centre of frame 0, which forward draws on the meta device (default configurations:
    the meta device costs nothing). SAM 3 Video tracks what its detector finds for a text
    prompt, which trained weights decide: one warning says to write a factory. PI0 takes one
    image per camera with a mask of the cameras, and action embeddings as wide as the norm of
    its action expert that takes them."""
    trackers = small("sam2_video") + small("sam3_tracker_video") + small("edgetam_video")
    page = "Trackers\n========\n" + trackers + small("pi0")
    page += '\n.. archviz:: transformers:AutoModel\n   :config: {"model_type": "sam3_video"}\n'
    built = build_project({"index.rst": page})
    (warning,) = built.archviz_warnings()
    assert warning["line"] == "20"
    assert "Sam3VideoModel tracks the objects its detector finds" in warning["text"]
    assert "write a factory" in warning["text"]
    assert "drawn on the CPU" not in built.app.status.getvalue()
    sam2, sam3, edgetam, pi0 = dots(built)[:4]
    for dot, side in ((sam2, 1024), (sam3, 1008), (edgetam, 1024)):
        assert "inference_session" in groups(dot)
        assert f"3×{side}×{side}" in dot  # frame 0 of the session's video
    assert {"action_embeds", "pixel_values", "pixel_attention_mask"} <= groups(pi0)
    assert "1×16×1024" in pi0 and "1×2×3×224×224" in pi0 and "1×2" in pi0


def test_known_values_overwritten_from_the_meta_device_draw_all_on_meta(
    build_project: BuildProject,
) -> None:
    """GLM-5 Next counts the keys each query picks in a tensor of zeros it makes (known, so on
    the CPU) from picks made on the meta device: it is drawn again with every value on the
    meta device, as before values were known. Moonshine, an encoder-decoder of audio, takes
    no decoder values beside its decoder's token ids."""
    layers = {
        "num_hidden_layers": 4,
        "layer_types": ["linear_attention"] * 3 + ["indexed_attention"],
        "mlp_layer_types": ["dense", "sparse", "sparse", "sparse"],
        "indexer_types": ["full"] * 4,
        "n_routed_experts": 4,
        "num_experts_per_tok": 2,
    }
    counted = small("glm5_next_text", **layers)
    audio = small(
        "moonshine",
        hidden_size=32,
        intermediate_size=64,
        encoder_num_hidden_layers=1,
        decoder_num_hidden_layers=1,
        encoder_num_attention_heads=2,
        decoder_num_attention_heads=2,
        encoder_num_key_value_heads=2,
        decoder_num_key_value_heads=2,
        vocab_size=100,
    )
    built = build_project({"index.rst": "Counted\n=======\n" + counted + audio})
    assert built.archviz_warnings() == []
    assert "drawn on the CPU" not in built.app.status.getvalue()
    picks, speech = dots(built)
    assert "input_ids" in groups(picks) and "layers.3" in picks
    assert {"input_values", "decoder_input_ids"} <= groups(speech)
    assert "decoder_input_values" not in speech
