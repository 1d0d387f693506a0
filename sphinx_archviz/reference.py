"""A diagram's reference, ``"module.path:attribute"``: plain data both processes use.

The Sphinx process parses it to tell the framework and to find the diagrams a build will read;
a worker imports what it names (:mod:`sphinx_archviz.capture.loading`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sphinx_archviz.errors import ArchvizError

_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Reference:
    module: str
    attribute: str

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


def parse_reference(text: str) -> Reference:
    module, sep, attribute = text.strip().partition(":")
    if not sep or not _DOTTED_NAME.fullmatch(module) or not _DOTTED_NAME.fullmatch(attribute):
        raise ArchvizError(
            "reference",
            f"{text.strip()!r} is not a reference of the form module.path:attribute "
            "(for example models:CNNModel or torchvision.models:wide_resnet50_2)",
        )
    return Reference(module, attribute)
