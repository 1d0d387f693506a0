"""A diagram in an HTML page: the SVG inlined so the page's styles (dark mode) and script (zoom,
search) reach it, node links resolved to the site's class documentation, download links.

Without JavaScript the inline SVG is still a plain, complete image that fits the column.
"""

from __future__ import annotations

import contextlib
import html
import posixpath
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import NoUri

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from sphinx.builders import Builder

#: Words of the controls, by the site's ``language`` (English otherwise).
LABELS = {
    "en": {
        "toolbar": "Diagram controls",
        "zoom-in": "Zoom in",
        "zoom-out": "Zoom out",
        "reset": "Fit",
        "fullscreen": "Full screen",
        "search": "Find a node",
        "download": "Download",
        "dot": "Graphviz source",
        "open-level": "Open one more level",
        "close-level": "Close one level",
        "previous-repeat": "Previous repeat",
        "next-repeat": "Next repeat",
        "laying-out": "Laying out…",
        "print": "For print",
        "source": "Source",
        "class": "Class",
        "report": "Diagram report",
        "report-intro": "Every diagram of the site as of the last build: where it is, whether "
        "it was drawn by a framework worker or taken from the cache, how long the capture and "
        "the layout took, the worker's peak memory and the outcome.",
        "reference": "Reference",
        "where": "Where",
        "capture": "Capture",
        "capture-time": "Capture time",
        "layout-time": "Layout time",
        "memory": "Peak memory",
        "result": "Outcome",
    },
    "ko": {
        "toolbar": "그림 조작",
        "zoom-in": "확대",
        "zoom-out": "축소",
        "reset": "맞춤",
        "fullscreen": "전체 화면",
        "search": "노드 찾기",
        "download": "내려받기",
        "dot": "Graphviz 소스",
        "open-level": "한 단계 더 펼치기",
        "close-level": "한 단계 접기",
        "previous-repeat": "이전 반복",
        "next-repeat": "다음 반복",
        "laying-out": "배치하는 중…",
        "print": "인쇄용",
        "source": "소스 코드",
        "class": "클래스 문서",
        "report": "그림 보고서",
        "report-intro": "마지막 빌드 기준으로 사이트의 모든 그림을 보여 줍니다. 그림의 위치, 작업 "
        "프로세스가 그렸는지(drawn) 캐시에서 가져왔는지(cached), 캡처와 배치에 걸린 시간, 작업 "
        "프로세스의 최대 메모리, 결과가 나옵니다.",
        "reference": "참조",
        "where": "위치",
        "capture": "캡처",
        "capture-time": "캡처 시간",
        "layout-time": "배치 시간",
        "memory": "최대 메모리",
        "result": "결과",
    },
}
#: Button faces (drawn, so no font needs the glyphs); the words above are their accessible
#: names and tooltips.
_ICON = (
    '<svg viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">'
    '<path d="{}" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round"/></svg>'
)
BUTTONS = {
    "zoom-in": _ICON.format("M3 8h10M8 3v10"),
    "zoom-out": _ICON.format("M3 8h10"),
    "reset": _ICON.format("M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4M5 5h6v6H5z"),
    "fullscreen": _ICON.format("M1.5 6V1.5H6M10 1.5h4.5V6M14.5 10v4.5H10M6 14.5H1.5V10"),
}
#: Only for diagrams with a hierarchy.
LEVEL_BUTTONS = {
    "open-level": _ICON.format("M2 3h12M2 8h12M2 13h12M8 5.5v5M5.5 8h5"),
    "close-level": _ICON.format("M2 3h12M2 13h12M5.5 8h5"),
}
#: Step through the members of an open folded repeat (``layers.0–31 × 32``).
STEP_BUTTONS = {
    "previous-repeat": _ICON.format("M10 3L5 8l5 5"),
    "next-repeat": _ICON.format("M6 3l5 5-5 5"),
}
KEYS = {
    "zoom-in": "+",
    "zoom-out": "-",
    "reset": "0",
    "fullscreen": "F",
    "previous-repeat": "[",
    "next-repeat": "]",
}

#: Finds a page's address for a class's qualified name, or None.
Linker = Callable[[str], str | None]

#: Where a capture wants a node to link to its class's documentation (``URL`` in the DOT).
CLASS_LINK_SCHEME = "archviz-class:"

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->\n?", re.DOTALL)
_TITLE = re.compile(r"<title>[^<]*</title>\n?")
_ID = re.compile(r'\bid="([^"]*)"')
_ID_REFERENCE = re.compile(r'url\(#([^)"]*)\)|href="#([^"]*)"')
_SVG_START = re.compile(r"<svg\b([^>]*)>")
_CLASS_LINK = re.compile(rf'xlink:href="{CLASS_LINK_SCHEME}([^"]*)"')


def explorable_and_downloads(builder: Builder) -> tuple[bool, list[str]]:
    """Whether this builder's diagrams get the explorer, and their download formats. An e-book
    is read offline in a reader: no script, and no files its manifest cannot list."""
    if builder.name == "epub":
        return False, []
    config = builder.config
    return config.archviz_interactive, list(dict.fromkeys(config.archviz_downloads))


@contextlib.contextmanager
def image_folder(builder: Builder, shown: str) -> Iterator[Path]:
    """Where a diagram's files are rendered: the site's image folder, except for an e-book page
    that inlines its SVG. Every file in an e-book's folder is packed into the book, so that SVG
    is rendered into a temporary folder and only the page holds it."""
    if builder.name == "epub" and shown == "svg":
        with tempfile.TemporaryDirectory(prefix="archviz-epub-") as folder:
            yield Path(folder)
    else:
        yield Path(builder.outdir, builder.imagedir)


def print_downloads(builder: Builder) -> list[str]:
    """The formats of the print variant offered under each diagram (none in an e-book)."""
    if builder.name == "epub":
        return []
    return list(dict.fromkeys(builder.config.archviz_print_downloads))


def needs_script(builder: Builder) -> bool:
    """archviz.js explores diagrams and draws the PNG downloads of SVG diagrams."""
    interactive, downloads = explorable_and_downloads(builder)
    return interactive or "png" in downloads


#: Graphviz compiled to WebAssembly, which archviz.js loads from beside itself on a diagram's
#: first change of state (a standalone page inlines it).
GRAPHVIZ_SCRIPT = "archviz-graphviz.js"


def whole_graph_downloads(downloads: list[str]) -> list[str]:
    """The downloads of an explorable diagram drawn from its whole graph: all but the SVG,
    which is of the state shown, and the PNG, which the browser makes from that SVG."""
    return [fmt for fmt in files_to_render("svg", downloads) if fmt != "svg"]


def files_to_render(shown: str, downloads: list[str]) -> list[str]:
    """The shown image and the downloads, but a PNG only when it is the shown image: for an SVG
    page the browser makes the PNG download from the SVG."""
    return [shown, *(fmt for fmt in downloads if fmt not in (shown, "png"))]


def labels(language: str | None) -> dict[str, str]:
    return LABELS.get((language or "en").split("_")[0], LABELS["en"])


def diagram_html(
    *,
    names: dict[str, str],
    reference: str,
    image_folder: Path,
    image_uri: str,
    shown: str,
    alt: str,
    classes: list[str],
    width: str | None,
    interactive: bool,
    downloads: list[str],
    language: str | None,
    class_uri: Linker,
    ids: Sequence[str] = (),
    source_uri: Linker = lambda _name: None,
    print_names: dict[str, str] | None = None,
    explorer: tuple[str, str] | None = None,
) -> str:
    """The HTML of one diagram whose files (``names`` by format) lie in ``image_folder``;
    ``ids`` are its anchors (``:name:`` without a caption). With ``explorer`` (the SVG of its
    first sight, its hierarchy as JSON), one the reader opens and closes group by group."""
    words = labels(language)
    key = Path(names[shown]).stem
    style = f' style="width: {html.escape(width)}"' if width else ""
    if shown == "svg":
        svg = explorer[0] if explorer else (image_folder / names["svg"]).read_text("utf-8")
        picture = inline_svg(svg, key, alt, class_uri, style, source_uri)
    else:
        source = html.escape(posixpath.join(image_uri, names[shown]))
        picture = f'<img src="{source}" alt="{html.escape(alt)}"{style} />'
    anchor = f'id="{html.escape(ids[0])}" ' if ids else ""
    parts = [
        f'<div {anchor}class="{" ".join(["archviz", f"archviz-{shown}", *classes])}" '
        f'data-archviz="{key}" data-archviz-source-label="{words["source"]}" '
        f'data-archviz-class-label="{words["class"]}"'
        + (f' data-archviz-busy-label="{words["laying-out"]}"' if explorer else "")
        + ">\n",
        *(f'<span id="{html.escape(other)}"></span>' for other in ids[1:]),
    ]
    if interactive:
        parts.append(_toolbar(words, explorable=explorer is not None))
    parts.append(f'<div class="archviz-viewport" tabindex="0">{picture}</div>\n')
    if explorer:
        parts.append(hierarchy_script(explorer[1], class_uri))
    if downloads:
        parts.append(_download_links(names, downloads, image_uri, reference, words))
    if print_names:
        parts.append(_print_links(print_names, image_uri, reference, words))
    parts.append("</div>\n")
    return "".join(parts)


def _toolbar(words: dict[str, str], explorable: bool) -> str:
    # ``hidden`` until the script runs: without JavaScript there are no dead buttons.
    buttons = _buttons({**(LEVEL_BUTTONS if explorable else {}), **BUTTONS}, words)
    if explorable:
        # Shown by the script while a folded repeat is open.
        buttons = (
            '<span class="archviz-stepper" hidden="hidden">'
            f"{_buttons(STEP_BUTTONS, words)}"
            '<span class="archviz-step-position" aria-live="polite"></span></span>'
        ) + buttons
    search = (
        f'<input type="search" class="archviz-search" placeholder="{words["search"]}" '
        f'aria-label="{words["search"]}" /><span class="archviz-matches" aria-live="polite">'
        "</span>"
    )
    return (
        f'<div class="archviz-toolbar" role="toolbar" aria-label="{words["toolbar"]}" '
        f'hidden="hidden">{buttons}{search}</div>\n'
    )


def _buttons(faces: dict[str, str], words: dict[str, str]) -> str:
    return "".join(
        f'<button type="button" data-archviz-action="{action}" aria-label="{words[action]}" '
        f'title="{words[action]}{f" ({KEYS[action]})" if action in KEYS else ""}">{face}</button>'
        for action, face in faces.items()
    )


def _download_links(
    names: dict[str, str], formats: list[str], image_uri: str, reference: str, words: dict[str, str]
) -> str:
    links = _file_links(names, formats, image_uri, reference, words)
    browser_png = ""
    if "png" in formats and "png" not in names:
        # No file: archviz.js draws the page's SVG into a PNG when the link is used (a PNG of a
        # big graph costs Graphviz seconds on every cold build, the browser nothing). Last, so
        # that without the script the other links read the same.
        separator = " · " if links else ""
        browser_png = (
            f'<span class="archviz-browser-png" hidden="hidden">{separator}'
            f'<a class="archviz-download" href="#" download="{_file_stem(reference)}.png" '
            'data-archviz-png="">PNG</a></span>'
        )
    return (
        f'<p class="archviz-downloads">{words["download"]}: {" · ".join(links)}{browser_png}</p>\n'
    )


def _print_links(
    names: dict[str, str], image_uri: str, reference: str, words: dict[str, str]
) -> str:
    links = _file_links(names, list(names), image_uri, reference, words, "-print")
    return (
        f'<p class="archviz-downloads archviz-print-downloads">{words["print"]}: '
        f"{' · '.join(links)}</p>\n"
    )


def _file_links(
    names: dict[str, str],
    formats: list[str],
    image_uri: str,
    reference: str,
    words: dict[str, str],
    suffix: str = "",
) -> list[str]:
    stem = _file_stem(reference) + suffix
    links = []
    for fmt in (fmt for fmt in formats if fmt in names):
        href = html.escape(posixpath.join(image_uri, names[fmt]))
        title = f' title="{words["dot"]}"' if fmt == "dot" else ""
        links.append(
            f'<a class="archviz-download" href="{href}" download="{stem}.{fmt}"{title}>'
            f"{fmt.upper()}</a>"
        )
    return links


def _file_stem(reference: str) -> str:
    """Downloads are saved under the model's name (models:CNNModel → CNNModel.svg), not the
    content hash."""
    return html.escape(re.sub(r"[^\w.-]+", "_", reference.rpartition(":")[2]))


_JSON_CLASS_LINK = re.compile(rf'URL=\\"{CLASS_LINK_SCHEME}([^"\\]*)\\"')


def hierarchy_script(hierarchy: str, class_uri: Linker) -> str:
    """The hierarchy for archviz.js, its class links made the site's (or dropped)."""
    hierarchy = _JSON_CLASS_LINK.sub(
        lambda match: f'URL=\\"{class_uri(match[1]) or ""}\\"', hierarchy
    )
    hierarchy = hierarchy.replace("</", "<\\/")
    return f'<script type="application/json" class="archviz-hierarchy">{hierarchy}</script>\n'


def inline_svg(
    svg: str,
    key: str,
    alt: str,
    class_uri: Linker,
    style: str = "",
    source_uri: Linker = lambda _name: None,
) -> str:
    """Graphviz's SVG file as an element of the page.

    Ids get the diagram's key as prefix (several diagrams share a page), the node titles
    Graphviz writes (internal node names) go, and class links become links to the site's
    documentation of that class (else its source), or no link at all; where the source of the
    class is known, the link carries it too (``data-archviz-source``, which archviz.js offers).
    """
    svg = _PROLOG.sub("", svg)
    svg = _TITLE.sub("", svg)
    svg = _ID.sub(lambda match: f'id="{key}-{match[1]}"', svg)
    svg = _ID_REFERENCE.sub(
        lambda match: (
            f"url(#{key}-{match[1]})" if match[1] is not None else f'href="#{key}-{match[2]}"'
        ),
        svg,
    )
    svg = _CLASS_LINK.sub(
        lambda match: _link_attributes(class_uri(match[1]), source_uri(match[1])), svg
    )
    return _SVG_START.sub(
        lambda match: (
            f'<svg class="archviz-graph" role="img" aria-label="{html.escape(alt)}"{style}'
            f"{match[1]}>"
        ),
        svg.strip(),
        count=1,
    )


def _link_attributes(uri: str | None, source: str | None) -> str:
    link = uri or source
    attributes = f'href="{html.escape(link)}"' if link else ""
    if source:
        attributes += f' data-archviz-source="{html.escape(source)}"'
    return attributes


class PageLinker:
    """A :data:`Linker` for one page of a build that remembers what it found per class."""

    def __init__(self, builder: Builder, docname: str) -> None:
        self.builder = builder
        self.docname = docname
        self.found: dict[str, str | None] = {}

    def __call__(self, qualified_name: str) -> str | None:
        if qualified_name not in self.found:
            self.found[qualified_name] = self.find(qualified_name)
        return self.found[qualified_name]

    def find(self, qualified_name: str) -> str | None:
        raise NotImplementedError


class ClassLinker(PageLinker):
    """Finds the documentation of a Python class for one page: this site's own (autodoc,
    ``py:class``) or an intersphinx inventory's; None when nothing documents it."""

    def find(self, qualified_name: str) -> str | None:
        return next(filter(None, map(self._resolve, public_names(qualified_name))), None)

    def _resolve(self, target: str) -> str | None:
        env = self.builder.env
        reference = addnodes.pending_xref(
            "", refdomain="py", reftype="class", reftarget=target, refexplicit=False
        )
        content = nodes.literal(target, target)
        resolved = env.get_domain("py").resolve_xref(
            env, self.docname, self.builder, "class", target, reference, content
        )
        if resolved is None:
            try:
                resolved = env.events.emit_firstresult(
                    "missing-reference", env, reference, content, allowed_exceptions=(NoUri,)
                )
            except NoUri:
                return None
        if resolved is None:
            return None
        if "refid" in resolved:  # documented on this page
            return f"#{resolved['refid']}"
        return resolved.get("refuri")


def public_names(qualified_name: str) -> Iterator[str]:
    """The names a class may be documented under, most specific first:
    ``torch.nn.modules.conv.Conv2d`` → …, ``torch.nn.modules.Conv2d``, ``torch.nn.Conv2d``;
    ``keras.src.layers.convolutional.conv2d.Conv2D`` → …, ``keras.layers.Conv2D``."""
    module, _, name = qualified_name.rpartition(".")
    yield qualified_name
    parts = [part for part in module.split(".") if part != "src" and not part.startswith("_")]
    for end in range(len(parts), 0, -1):
        candidate = ".".join([*parts[:end], name])
        if candidate != qualified_name:
            yield candidate
