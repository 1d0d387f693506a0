"""The seed's Wide ResNet50-2 script, run the plain way (weights=None: no download here)."""

import os

import torch
from torchvision.models import wide_resnet50_2
from torchviz import make_dot


def main():
    model = wide_resnet50_2(weights=None)
    x = torch.randn(1, 3, 224, 224)
    y = model(x)
    dot = make_dot(y, params=dict(list(model.named_parameters())))
    dot.render("wide_resnet50_2_architecture", format="png")
    if os.environ.get("SEED_DOT_OUT"):
        with open(os.environ["SEED_DOT_OUT"], "w") as out:
            out.write(dot.source)


if __name__ == "__main__":
    main()
