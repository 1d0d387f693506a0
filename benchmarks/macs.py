"""Compare the multiply-accumulates the modules view counts with the figure torchvision
publishes for each of its classifiers (``Weights.meta["_ops"]``, in GMACs), and Keras
applications with the same architectures' torchvision figures.

    python benchmarks/macs.py [--output FILE] [--keras]

Every model is traced once, on the meta device, at the crop size its weights were measured at;
no weights are downloaded (the weights enums carry their metadata). Writes
benchmarks/results/macs.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: keras.applications models and the torchvision weights of the same architecture.
KERAS_TWINS = {
    "VGG16": "VGG16_Weights.IMAGENET1K_V1",
    "VGG19": "VGG19_Weights.IMAGENET1K_V1",
    "DenseNet121": "DenseNet121_Weights.IMAGENET1K_V1",
    "DenseNet169": "DenseNet169_Weights.IMAGENET1K_V1",
    "DenseNet201": "DenseNet201_Weights.IMAGENET1K_V1",
    "MobileNetV2": "MobileNet_V2_Weights.IMAGENET1K_V1",
    "EfficientNetB0": "EfficientNet_B0_Weights.IMAGENET1K_V1",
    "ConvNeXtTiny": "ConvNeXt_Tiny_Weights.IMAGENET1K_V1",
    "ConvNeXtSmall": "ConvNeXt_Small_Weights.IMAGENET1K_V1",
    "ConvNeXtBase": "ConvNeXt_Base_Weights.IMAGENET1K_V1",
    "ConvNeXtLarge": "ConvNeXt_Large_Weights.IMAGENET1K_V1",
    "MobileNetV3Large": "MobileNet_V3_Large_Weights.IMAGENET1K_V1",
    "MobileNetV3Small": "MobileNet_V3_Small_Weights.IMAGENET1K_V1",
}
#: keras.applications models whose paper gives their multiply-adds (GMACs at 224 × 224).
KERAS_PAPERS = {
    "MobileNet": (0.569, "Howard et al. 2017, table 8"),
    "NASNetMobile": (0.564, "Zoph et al. 2018, table 2"),
}


def torchvision_rows() -> list[tuple[str, float, float]]:
    """(weights, published GMACs, counted GMACs) for every weights entry with a figure."""
    import torchvision

    rows = []
    for name in torchvision.models.list_models(module=torchvision.models):
        for weights in torchvision.models.get_model_weights(name):
            if "_ops" not in weights.meta:
                continue
            size = weights.transforms.keywords.get("crop_size", 224)
            counted = torch_macs(name, size) / 1e9
            rows.append((f"{name} {weights.name}", weights.meta["_ops"], counted))
            print(f"{rows[-1][0]}: {rows[-1][1]} vs {counted:.3f}", flush=True)
    return rows


def torch_macs(name: str, size: int) -> int:
    import torchvision

    from sphinx_archviz.capture import torch as torch_backend
    from sphinx_archviz.capture import torch_modules
    from sphinx_archviz.request import CaptureRequest, ExampleInput

    # Batch 2 for inception_v3's auxiliary head (batch norm in training); halved below.
    batch = 2 if name == "inception_v3" else 1
    request = CaptureRequest(
        f"torchvision.models:{name}",
        "torch",
        inputs=(ExampleInput((batch, 3, size, size)),),
        view="modules",
    )
    with torch_backend.placement("meta"):
        model = (
            torchvision.models.get_model(name, image_size=size)
            if _sized(name)
            else (torchvision.models.get_model(name))
        )
    trace = torch_modules.trace_model(model, request, "meta")
    return trace.calls[trace.root].macs // batch


def _sized(name: str) -> bool:
    """Vision transformers are built for one image size."""
    return name.startswith("vit_")


def published_figures(weights: list[str]) -> dict[str, float]:
    """torchvision's figures, read in a process of their own (torch and TensorFlow cannot
    share one)."""
    code = (
        "import json, sys, torchvision.models as m; print(json.dumps({name: "
        "getattr(getattr(m, name.split('.')[0]), name.split('.')[1]).meta['_ops'] "
        "for name in sys.argv[1:]}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, *weights], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def keras_rows() -> list[tuple[str, float, float]]:
    published = published_figures(list(KERAS_TWINS.values()))
    import keras

    from sphinx_archviz.capture import keras_modules
    from sphinx_archviz.request import CaptureRequest

    figures = {
        **{name: (published[twin], f"torchvision {twin}") for name, twin in KERAS_TWINS.items()},
        **KERAS_PAPERS,
    }
    rows = []
    for name, (figure, source) in figures.items():
        # MobileNetV3 is built for any image size unless told one.
        model = getattr(keras.applications, name)(weights=None, input_shape=(224, 224, 3))
        request = CaptureRequest(f"keras.applications:{name}", "keras", view="modules")
        trace = keras_modules.trace_model(model, request)
        counted = trace.calls[trace.root].macs / 1e9
        rows.append((f"{name} ({source})", figure, counted))
        print(f"{rows[-1][0]}: {figure} vs {counted:.3f}", flush=True)
        keras.backend.clear_session()
    return rows


def report(title: str, rows: list[tuple[str, float, float]]) -> str:
    """The figures are published to three decimals (0.040 GMACs for ShuffleNet V2 × 0.5), so a
    count is also compared after rounding it the same way."""
    worst = max(abs(counted / published - 1) for _, published, counted in rows)
    rounded = max(abs(round(counted, 3) / published - 1) for _, published, counted in rows)
    lines = [
        f"### {title}",
        "",
        f"{len(rows)} models; largest difference {worst:.2%}, {rounded:.2%} once the count is "
        "rounded to three decimals like the published figure.",
        "",
        "| model | published GMACs | counted GMACs | difference | rounded |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {published:.3f} | {counted:.4f} | {counted / published - 1:+.2%} "
        f"| {round(counted, 3) / published - 1:+.2%} |"
        for name, published, counted in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/macs.md")
    parser.add_argument("--keras", action="store_true", help="only the Keras comparison")
    args = parser.parse_args()
    if args.keras:
        parts = [report("keras.applications vs. torchvision's figure", keras_rows())]
    else:
        parts = [report("torchvision: counted vs. published", torchvision_rows())]
        keras_part = subprocess.run(
            [sys.executable, __file__, "--keras", "--output", os.devnull],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        parts.append(keras_part[keras_part.index("### keras") :])
    text = "\n".join(parts)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
