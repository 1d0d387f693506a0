"""What nodes cost: multiply-accumulates, activation memory and dtype, counted during the one
traced pass, checked against the figures torchvision publishes for its classifiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sphinx_archviz.capture import capture
from sphinx_archviz.request import CaptureRequest, ExampleInput
from tests.conftest import MODELS, BuildProject, requires_dot
from tests.test_module_view import summary_rows

pytestmark = pytest.mark.framework

#: A handful of architectures: convolutions, depthwise and grouped convolutions, attention.
TORCHVISION = ("resnet50", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16", "swin_t")


def _published_gmacs(name: str) -> float:
    import torchvision

    weights = torchvision.models.get_model_weights(name).IMAGENET1K_V1
    return weights.meta["_ops"]


def _counted_macs(reference: str, shape: tuple[int, ...], **options: object) -> int:
    from sphinx_archviz.capture import torch as torch_backend
    from sphinx_archviz.capture import torch_modules
    from sphinx_archviz.reference import materialize, parse_reference, resolve

    request = CaptureRequest(reference, "torch", (ExampleInput(shape),), view="modules")
    found = resolve(parse_reference(reference), ())
    with torch_backend.placement("meta"):
        model = materialize(found, options, torch_backend.is_model, parse_reference(reference), ())
    trace = torch_modules.trace_model(model, request, "meta")
    return trace.calls[trace.root].macs


@pytest.mark.parametrize("name", TORCHVISION)
def test_macs_match_the_figure_torchvision_publishes(name: str) -> None:
    counted = _counted_macs(f"torchvision.models:{name}", (1, 3, 224, 224))
    assert counted / 1e9 == pytest.approx(_published_gmacs(name), rel=0.01)


def test_resnet50_counts_exactly_torchvisions_4_089_gmacs() -> None:
    counted = _counted_macs("torchvision.models:resnet50", (1, 3, 224, 224))
    assert round(counted / 1e9, 3) == _published_gmacs("resnet50") == 4.089


def test_counting_adds_no_forward_pass(tmp_path: Path) -> None:
    log = tmp_path / "forwards.log"
    request = CaptureRequest(
        "torch_models:CountsForwards",
        "torch",
        (ExampleInput((1, 3, 8, 8)),),
        kwargs={"log": str(log)},
        view="modules",
        summary=True,
        search_paths=(str(MODELS),),
    )
    result = capture(request)
    assert log.read_text() == "forward\n"
    assert result.summary is not None
    assert result.summary.macs == 6 * 6 * 8 * 27 + 8 * 2  # the convolution and the linear layer


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
