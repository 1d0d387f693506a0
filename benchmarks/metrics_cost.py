"""What counting MACs, memory and dtypes costs the modules view: a sample of torchvision and
keras.applications classifiers captured (trace, grouping, DOT) and laid out by Graphviz, with
the counting on and with it switched off, alternately in one process per framework.

    flock /work/bench.lock python benchmarks/metrics_cost.py
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = ("resnet50", "wide_resnet50_2", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16",
         "swin_t", "convnext_tiny", "densenet121", "regnet_y_1_6gf", "maxvit_t")  # fmt: skip
KERAS = ("ResNet50", "MobileNetV2", "EfficientNetB0", "DenseNet121", "ConvNeXtTiny")
ROUNDS = 3

_SCRIPT = """
import json, subprocess, sys, time
sys.path.insert(0, {root!r})
from sphinx_archviz.capture import capture
from sphinx_archviz.request import CaptureRequest, ExampleInput
import sphinx_archviz.capture.{framework}_modules as view
from sphinx_archviz.capture.graph.trace import Recorder

def drawn(reference, inputs, kwargs):
    started = time.perf_counter()
    dot = capture(CaptureRequest(reference, {framework!r}, inputs, kwargs, view="modules")).dot
    subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return time.perf_counter() - started

def switched_off():
    # No counting: the tracers' hooks for MACs, bytes and dtypes do nothing.
    view._Recorder.macs_so_far = Recorder.macs_so_far
    view._Recorder.tensor_bytes = Recorder.tensor_bytes
    view._Recorder.tensor_dtype = Recorder.tensor_dtype
    if hasattr(view, "_FlopCounter"):
        import contextlib
        view._FlopCounter = contextlib.nullcontext
    if hasattr(view, "layer_macs"):
        view.layer_macs = lambda *arguments: 0

counting = {{name: getattr(view._Recorder, name) for name in
            ("macs_so_far", "tensor_bytes", "tensor_dtype")}}
counter = getattr(view, "_FlopCounter", None)
formulas = getattr(view, "layer_macs", None)
times = {{"on": 0.0, "off": 0.0}}
for reference, inputs, kwargs in {models!r}:
    inputs = tuple(ExampleInput(tuple(shape)) for shape in inputs)
    drawn(reference, inputs, kwargs)  # imports, first-call costs
    for _ in range({rounds}):
        for name, value in counting.items():
            setattr(view._Recorder, name, value)
        if counter is not None:
            view._FlopCounter = counter
        if formulas is not None:
            view.layer_macs = formulas
        times["on"] += drawn(reference, inputs, kwargs)
        switched_off()
        times["off"] += drawn(reference, inputs, kwargs)
print(json.dumps(times))
"""


def measure(framework: str, models: list[tuple[str, list, dict]]) -> dict[str, float]:
    script = _SCRIPT.format(root=str(ROOT), framework=framework, models=models, rounds=ROUNDS)
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    torch = measure("torch", [(f"torchvision.models:{n}", [[1, 3, 224, 224]], {}) for n in TORCH])
    keras = measure("keras", [(f"keras.applications:{n}", [], {"weights": None}) for n in KERAS])
    for name, times in (("torchvision", torch), ("keras.applications", keras)):
        print(
            f"{name}: {len(TORCH if name == 'torchvision' else KERAS)} models × {ROUNDS}, "
            f"capture + layout with counting {times['on']:.1f} s, without {times['off']:.1f} s: "
            f"{times['on'] / times['off']:.3f} ×"
        )
    total = (torch["on"] + keras["on"]) / (torch["off"] + keras["off"])
    print(f"all: {total:.3f} ×")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
