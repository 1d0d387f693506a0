"""The diagrams' visual language, shared by PyTorch and Keras: one family per kind of layer,
each with a fill colour for light and for dark pages and a node shape, and one font. The only
place that names a colour of a diagram.

Every node carries ``class="archviz-<family>"`` (Graphviz writes it into the SVG), and
:func:`colours_css` turns the table into the stylesheet that recolours inline SVGs when the page
switches to dark mode; the colours torchviz and plot_model write are mapped there too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    fill: str
    #: The fill on a dark page: the same hue, dark enough for light text.
    dark_fill: str
    shape: str = "box"
    style: str = "rounded,filled"


FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 11
EDGE_COLOUR = "#555555"
EDGE_FONT_COLOUR = "#444444"
BORDER_COLOUR = "#666666"
CLUSTER_FILL = "#f7f7f7"
CLUSTER_BORDER = "#bbbbbb"
#: The module or op a failed forward pass stopped in.
FAILED_BORDER = "#c62828"
MUTED_TEXT = "#555555"

FAMILIES = {
    family.name: family
    for family in (
        Family("io", "#e8e8e8", "#3a3f46", "ellipse", "filled"),
        Family("conv", "#cfe2f3", "#1d3a55"),
        Family("linear", "#d9ead3", "#24432a"),
        Family("norm", "#fff2cc", "#4a3f12"),
        Family("activation", "#fce5cd", "#4d3015"),
        Family("pool", "#d0e0e3", "#1f4047"),
        Family("dropout", "#eeeeee", "#33383f"),
        Family("attention", "#ead1dc", "#4a2436"),
        Family("recurrent", "#d9d2e9", "#352b52"),
        Family("op", "#ffffff", "#22272e", "box", "rounded,filled,dashed"),
        Family("container", "#f3f3f3", "#2b3038"),
        Family("other", "#ffffff", "#22272e"),
        # Last: its stylesheet rule overrides the family of a node that is also marked failed.
        Family("failed", "#f4cccc", "#5c1f1f"),
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


def failed_attributes(classes: str) -> dict[str, str]:
    """What marks the node or cluster (of ``classes``) a failed forward pass stopped in."""
    return {
        "fillcolor": FAMILIES["failed"].fill,
        "color": FAILED_BORDER,
        "penwidth": "2",
        "class": f"{classes} archviz-failed",
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


def failed_text(text: str) -> str:
    """An HTML-label fragment in the colour of a failure."""
    return f'<FONT POINT-SIZE="{FONT_SIZE - 2}" COLOR="{FAILED_BORDER}">{text}</FONT>'


def muted(text: str) -> str:
    """An HTML-label fragment in the secondary text colour and a smaller size."""
    return f'<FONT POINT-SIZE="{FONT_SIZE - 2}" COLOR="{MUTED_TEXT}">{text}</FONT>'


#: ``archviz-diff``: the border of an added, removed or changed module, light and dark.
DIFF_BORDERS = {
    "added": ("#1a7f37", "#3fb950"),
    "removed": ("#cf222e", "#f85149"),
    "changed": ("#9a6700", "#d29922"),
}


def diff_attributes(change: str, attributes: dict[str, str]) -> dict[str, str]:
    """A node's attributes marked ``archviz-added``, ``archviz-removed`` or ``archviz-changed``."""
    style = attributes.get("style", "")
    return {
        **attributes,
        "color": DIFF_BORDERS[change][0],
        "penwidth": "2.5",
        "style": f"{style},dashed" if change == "removed" else style,
        "class": f"{attributes.get('class', '')} archviz-{change}".strip(),
    }


#: Colours of lines and text, each with the colour that replaces it on a dark page. The light
#: colours are the ones the DOT says (torchviz and Keras draw in black), so light pages show the
#: diagram exactly as Graphviz drew it.
DARK_INK = {
    "black": "#d1d7e0",
    EDGE_COLOUR: "#9da7b3",  # also MUTED_TEXT, the same grey
    EDGE_FONT_COLOUR: "#adbac7",
    BORDER_COLOUR: "#8b949e",
    CLUSTER_BORDER: "#444c56",
    FAILED_BORDER: "#ff7b72",
    **{light: dark for light, dark in DIFF_BORDERS.values()},
}
#: Fills that are not a layer family's: torchviz's (operation, parameter, output, saved tensor),
#: Keras' (cells, headings) and the modules view's clusters.
DARK_FILLS = {
    "lightgrey": "#373e47",
    "lightblue": "#1b4b66",
    "#caff70": "#2e4a12",
    "orange": "#7a4100",
    "white": "#22272e",
    "black": "#30363d",
    CLUSTER_FILL: "#1c2128",
}

#: The heatmap of ``:color-by:``: a neutral fill for zero, then five steps from least to most,
#: each with its dark-page colour (the same hue, dark enough for light text).
HEAT = (
    ("#f4f4f4", "#2b3038"),
    ("#fff3d1", "#3b321c"),
    ("#fdd9a0", "#553b17"),
    ("#fcb871", "#6e3d12"),
    ("#f78f5a", "#85320f"),
    ("#e8604a", "#9c2418"),
)


def heat_attributes(family: str, level: int) -> dict[str, str]:
    """A node coloured by its place on the heatmap's scale (0: zero, 1 to 5: least to most)."""
    return {
        **node_attributes(family),
        "fillcolor": HEAT[level][0],
        "class": f"archviz-{family} archviz-heat-{level}",
    }


def legend_cell(level: int, text: str) -> str:
    """One step of the heatmap's legend, as a cell of a Graphviz HTML table."""
    return f'<TD BGCOLOR="{HEAT[level][0]}">{text}</TD>'


#: Colours of what surrounds a diagram in HTML, light and dark: the toolbar and tooltip (ink,
#: control, control-border, shadow), search matches, the shade where the picture continues out of
#: view (more), the background of a full-screen diagram (page), the light card a PNG keeps on a
#: dark page (png-card), and the placeholder of a diagram that failed (failure).
PAGE_COLOURS = {
    "ink": ("#1f2328", "#e6edf3"),
    "control": ("#f6f8fa", "#21262d"),
    "control-border": ("#c9ced4", "#484f58"),
    "shadow": ("rgba(0, 0, 0, 0.2)", "rgba(0, 0, 0, 0.2)"),
    "match": ("#d4540b", "#ffa657"),
    "more": ("rgba(0, 0, 0, 0.35)", "rgba(255, 255, 255, 0.3)"),
    "page": ("#ffffff", "#22272e"),
    "png-card": ("#ffffff", "#ffffff"),
    "failure": ("#c62828", "#c62828"),
    "failure-background": ("rgba(198, 40, 40, 0.08)", "rgba(198, 40, 40, 0.08)"),
}

_SHAPES = ":is(path, polygon, ellipse)"
#: Where the colours apply: a diagram, the placeholder of one that failed, and the frame of
#: one drawn in part.
_BOXES = ("div.archviz", "div.archviz-unavailable", "div.archviz-partial")
#: The page states in which diagrams are drawn dark: pydata-sphinx-theme and sphinx-book-theme
#: set data-theme on <html> (from prefers-color-scheme on auto), Furo on <body>.
_DARK_PAGES = ('html[data-theme="dark"]', 'body[data-theme="dark"]')
#: Furo on auto leaves data-theme="auto" and follows the system's preference.
_AUTO_PAGE = 'body[data-theme="auto"]'


def colours_css() -> str:
    """The stylesheet of every colour archviz draws with in HTML, in light and dark mode: the
    variables, the rules that recolour inline SVG diagrams, and the card behind PNG diagrams."""
    ink = {f"ink-{number}": pair for number, pair in enumerate(DARK_INK.items())}
    fills = {f"fill-{number}": pair for number, pair in enumerate(DARK_FILLS.items())}
    families = {
        f"family-{name}": (family.fill, family.dark_fill) for name, family in FAMILIES.items()
    }
    heat = {f"heat-{level}": pair for level, pair in enumerate(HEAT)}
    colours = {**PAGE_COLOURS, **ink, **fills, **families, **heat}
    light = _declarations({f"--archviz-{name}": light for name, (light, _) in colours.items()})
    dark = _declarations({f"--archviz-{name}": dark for name, (_, dark) in colours.items()})
    # Bitmaps cannot be recoloured: on a dark page a PNG diagram sits on a light card.
    png_card = _declarations(
        {"background": "var(--archviz-png-card)", "border-radius": "4px", "padding": "4px"}
    )
    rules = [
        "/* Generated from sphinx_archviz/style.py. */",
        _rule(", ".join(_BOXES), light),
        *_in_dark_mode(", ".join(_BOXES), dark),
        *_in_dark_mode("div.archviz.archviz-png div.archviz-viewport img", png_card),
        "svg.archviz-graph text:not([fill]) { fill: var(--archviz-ink-0); }",
    ]
    for name, (colour, _) in ink.items():
        rules += [
            f'svg.archviz-graph text[fill="{colour}"] {{ fill: var(--archviz-{name}); }}',
            f'svg.archviz-graph [stroke="{colour}"] {{ stroke: var(--archviz-{name}); }}',
            f'svg.archviz-graph g.edge polygon[fill="{colour}"] {{ fill: var(--archviz-{name}); }}',
        ]
    for name, (colour, _) in fills.items():
        rules.append(
            f'svg.archviz-graph :is(g.node, g.cluster) {_SHAPES}[fill="{colour}"] '
            f"{{ fill: var(--archviz-{name}); }}"
        )
    for name in FAMILIES:
        rules.append(
            f"svg.archviz-graph g.node.archviz-{name} {_SHAPES} "
            f"{{ fill: var(--archviz-family-{name}); }}"
        )
    for name, (colour, _) in heat.items():  # after the families': a heatmap's colours win
        rules += [
            f"svg.archviz-graph g.node.archviz-{name} {_SHAPES} {{ fill: var(--archviz-{name}); }}",
            f'svg.archviz-graph g.node.archviz-legend polygon[fill="{colour}"] '
            f"{{ fill: var(--archviz-{name}); }}",
        ]
    return "\n".join(rules) + "\n"


def _in_dark_mode(selectors: str, declarations: str) -> list[str]:
    """A rule for ``selectors`` on dark pages, whether the theme or the system chose dark."""
    dark = ", ".join(f"{page} {one}" for page in _DARK_PAGES for one in selectors.split(", "))
    auto = ", ".join(f"{_AUTO_PAGE} {one}" for one in selectors.split(", "))
    return [
        _rule(dark, declarations),
        "@media (prefers-color-scheme: dark) {",
        _rule(auto, declarations),
        "}",
    ]


def _declarations(properties: dict[str, str]) -> str:
    return "".join(f"  {name}: {value};\n" for name, value in properties.items())


def _rule(selector: str, declarations: str) -> str:
    return f"{selector} {{\n{declarations}}}"
