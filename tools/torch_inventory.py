"""Write docs/_intersphinx/pytorch.inv: where PyTorch's documentation describes each public
``torch.nn`` class, in Sphinx's inventory format.

The site links diagram nodes (``Conv2d``, ``BatchNorm2d``) to those pages through intersphinx.
Its builds run offline (CI, this project's machines), so they read this file instead of
fetching PyTorch's own inventory. Regenerate it after a torch upgrade:
``python tools/torch_inventory.py``.
"""

from __future__ import annotations

import inspect
import zlib
from pathlib import Path

import torch
import torch.nn

TARGET = Path(__file__).parents[1] / "docs" / "_intersphinx" / "pytorch.inv"


def public_module_classes() -> list[str]:
    names = []
    for name in sorted(dir(torch.nn)):
        value = getattr(torch.nn, name)
        if name.startswith("_") or not inspect.isclass(value):
            continue
        if issubclass(value, torch.nn.Module):
            names.append(f"torch.nn.{name}")
    return names


def inventory(names: list[str]) -> bytes:
    header = (
        "# Sphinx inventory version 2\n"
        "# Project: PyTorch\n"
        f"# Version: {torch.__version__.split('+')[0]}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    # PyTorch documents each class on a page of its own: generated/<name>.html#<name>.
    entries = "".join(f"{name} py:class 1 generated/{name}.html#$ -\n" for name in names)
    return header.encode() + zlib.compress(entries.encode(), 9)


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    classes = public_module_classes()
    TARGET.write_bytes(inventory(classes))
    print(f"{TARGET}: {len(classes)} classes")
