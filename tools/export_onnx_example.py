"""Write docs/small-encoder.onnx, the ONNX file the docs draw, from docs/models.py.

    python tools/export_onnx_example.py

The file is committed so that the docs build needs neither this script nor an exporter; run
the script again when ``SmallEncoder`` changes (the docs' ONNX page shows the same model live).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    sys.path.insert(0, str(DOCS))
    from models import SmallEncoder

    torch.manual_seed(0)
    model = SmallEncoder().eval()
    tokens = torch.ones(1, 16, dtype=torch.long)
    torch.onnx.export(
        model,
        (tokens,),
        str(DOCS / "small-encoder.onnx"),
        input_names=["tokens"],
        output_names=["logits"],
        dynamo=False,
    )


if __name__ == "__main__":
    main()
