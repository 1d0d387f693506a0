"""The modules view's visual language, shared by PyTorch and Keras: one family per kind of layer,
each with a fill colour and a node shape, and one font. The only place that names a colour.

Every node carries ``class="archviz-<family>"`` (Graphviz writes it into the SVG), so a page's
CSS can restyle the families, for instance in dark mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    fill: str
    shape: str = "box"
    style: str = "rounded,filled"


FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 11
EDGE_COLOUR = "#555555"
EDGE_FONT_COLOUR = "#444444"
BORDER_COLOUR = "#666666"
CLUSTER_FILL = "#f7f7f7"
CLUSTER_BORDER = "#bbbbbb"
MUTED_TEXT = "#555555"

FAMILIES = {
    family.name: family
    for family in (
        Family("io", "#e8e8e8", "ellipse", "filled"),
        Family("conv", "#cfe2f3"),
        Family("linear", "#d9ead3"),
        Family("norm", "#fff2cc"),
        Family("activation", "#fce5cd"),
        Family("pool", "#d0e0e3"),
        Family("dropout", "#eeeeee"),
        Family("attention", "#ead1dc"),
        Family("recurrent", "#d9d2e9"),
        Family("op", "#ffffff", "box", "rounded,filled,dashed"),
        Family("container", "#f3f3f3"),
        Family("other", "#ffffff"),
    )
}

#: Words in a layer's class name, tried in order; the first family whose pattern matches wins.
#: Names match PyTorch (``Conv2d``, ``BatchNorm2d``) and Keras (``Conv2D``, ``BatchNormalization``)
#: alike, and functional ops (``relu``, ``max_pool2d``, ``add``) by their function's name.
_PATTERNS = (
    ("attention", r"attention|embedding|embed"),
    ("recurrent", r"^(lstm|gru|rnn)|lstm|gru|simplernn|rnncell"),
    ("norm", r"norm"),
    ("dropout", r"dropout"),
    ("pool", r"pool"),
    ("conv", r"conv"),
    ("linear", r"linear|dense"),
    (
        "activation",
        r"relu|gelu|silu|swish|sigmoid|tanh|softmax|softplus|softsign|mish|elu$|^activation$"
        r"|hardswish|hardtanh|threshold|prelu|glu$",
    ),
    (
        "op",
        r"^(add|sub|mul|div|matmul|cat|concat|concatenate|stack|flatten|view|reshape|permute"
        r"|transpose|getitem|mean|sum|chunk|split|squeeze|unsqueeze|multiply|subtract|average"
        r"|maximum|minimum|dot|pow|rsqrt|neg|exp|log|sqrt|expand|repeat|contiguous|interpolate"
        r"|pad|narrow|select|where|masked_fill|cumsum|softmax|zeropadding\dd|rescaling|cropping\dd)$",
    ),
    ("container", r"sequential|modulelist|moduledict|block|layer$|stage|bottleneck|model$"),
)


def family_of(type_name: str, *, is_function: bool = False, is_container: bool = False) -> str:
    """The family of a layer class (``"Conv2d"``), a functional op (``"add"``), or ``"other"``."""
    name = type_name.lower()
    for family, pattern in _PATTERNS:
        if family == "container" and not is_container:
            continue
        if re.search(pattern, name):
            return family
    if is_function:
        return "op"
    return "container" if is_container else "other"


def graph_attributes(rankdir: str) -> dict[str, str]:
    return {
        "rankdir": rankdir,
        "fontname": FONT,
        "fontsize": str(FONT_SIZE),
        "nodesep": "0.25",
        "ranksep": "0.3",
        "newrank": "true",
    }


def node_defaults() -> dict[str, str]:
    return {
        "fontname": FONT,
        "fontsize": str(FONT_SIZE),
        "color": BORDER_COLOUR,
        "penwidth": "1",
        "margin": "0.12,0.04",
    }


def edge_defaults() -> dict[str, str]:
    return {
        "fontname": FONT,
        "fontsize": str(FONT_SIZE - 2),
        "color": EDGE_COLOUR,
        "fontcolor": EDGE_FONT_COLOUR,
        "arrowsize": "0.6",
    }


def node_attributes(family: str) -> dict[str, str]:
    chosen = FAMILIES[family]
    return {
        "shape": chosen.shape,
        "style": chosen.style,
        "fillcolor": chosen.fill,
        "class": f"archviz-{family}",
    }


def cluster_attributes() -> dict[str, str]:
    return {
        "style": "rounded,filled",
        "fillcolor": CLUSTER_FILL,
        "color": CLUSTER_BORDER,
        "fontname": FONT,
        "fontsize": str(FONT_SIZE),
        "labeljust": "l",
        "class": "archviz-cluster",
    }


def muted(text: str) -> str:
    """An HTML-label fragment in the secondary text colour and a smaller size."""
    return f'<FONT POINT-SIZE="{FONT_SIZE - 2}" COLOR="{MUTED_TEXT}">{text}</FONT>'
