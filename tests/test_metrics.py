"""What nodes cost: multiply-accumulates, activation memory and dtype, counted during the one
traced pass, checked against the figures torchvision publishes for its classifiers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODELS, BuildProject, requires_dot
from tests.test_module_view import REPOSITORY, summary_rows

pytestmark = pytest.mark.framework

#: A handful of architectures: convolutions, depthwise and grouped convolutions, attention.
TORCHVISION = ("resnet50", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16", "swin_t")

#: Run in a process of its own, so that this pytest process never imports torch.
_COUNT_SCRIPT = """
import json, sys, torchvision
from sphinx_archviz.capture import capture, torch as torch_backend, torch_modules
from sphinx_archviz.request import CaptureRequest, ExampleInput

log, models, *names = sys.argv[1:]
figures = {}
for name in names:
    with torch_backend.placement("meta"):
        model = torchvision.models.get_model(name)
    request = CaptureRequest(name, "torch", (ExampleInput((1, 3, 224, 224)),), view="modules")
    trace = torch_modules.trace_model(model, request, "meta")
    published = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
    figures[name] = [trace.calls[trace.root].macs, published]
request = CaptureRequest(
    "torch_models:CountsForwards", "torch", (ExampleInput((1, 3, 8, 8)),),
    kwargs={"log": log}, view="modules", summary=True, search_paths=(models,),
)
print(json.dumps({"figures": figures, "macs": capture(request).summary.macs}))
"""


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    log = tmp_path_factory.mktemp("forwards") / "forwards.log"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(MODELS)])}
    output = subprocess.run(
        [sys.executable, "-c", _COUNT_SCRIPT, str(log), str(MODELS), *TORCHVISION],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout
    return {**json.loads(output.strip().splitlines()[-1]), "log": log}


@pytest.mark.parametrize("name", TORCHVISION)
def test_macs_match_the_figure_torchvision_publishes(counted: dict, name: str) -> None:
    macs, published = counted["figures"][name]
    assert macs / 1e9 == pytest.approx(published, rel=0.01)


def test_resnet50_counts_exactly_torchvisions_4_089_gmacs(counted: dict) -> None:
    macs, published = counted["figures"]["resnet50"]
    assert published == 4.089 and macs == 4_089_184_256


def test_counting_adds_no_forward_pass(counted: dict) -> None:
    assert Path(counted["log"]).read_text() == "forward\n"
    assert counted["macs"] == 6 * 6 * 8 * 27 + 8 * 2  # the convolution and the linear layer


@requires_dot
def test_keras_mobilenet_v2_counts_torchvisions_figure_for_the_same_architecture(
    build_project: BuildProject,
) -> None:
    page = (
        ".. archviz:: keras.applications:MobileNetV2\n"
        '   :kwargs: {"weights": null}\n   :view: modules\n   :summary:\n'
    )
    built = build_project({"index.rst": page})
    assert built.warnings == ""
    total = summary_rows(built.html())[-1]
    # torchvision's MobileNet_V2_Weights.IMAGENET1K_V1.meta["_ops"] is 0.301 (GMACs).
    assert total[0] == "Total: 3,538,984 params" and total[5] == "301M"
    assert total[6:] == ["82.6 MiB", ""]
