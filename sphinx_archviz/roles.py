"""``:archviz-node:`fig-wrn:layer3.1.conv2``` links prose to one node of a named diagram.

The target is the label of a diagram's ``:name:``, a colon, and a node's path (a module's
attribute path, as the diagram shows it); ``text <target>`` gives the link its own text. The
link goes to the figure like ``:ref:`` does, across pages; in HTML its address ends in
``#<figure-id>/node=<path>``, and archviz.js then brings the node into view and highlights it.
Other builders get an ordinary reference to the figure (LaTeX: a hyperlink), or the text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import NoUri
from sphinx.roles import XRefRole
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

from sphinx_archviz.nodes import archviz

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

ROLE = "archviz-node"
#: In an HTML page address: ``#fig-wrn/node=layer3.1.conv2`` (read by archviz.js).
NODE_FRAGMENT = "{figure}/node={path}"
#: A module's path in a diagram's DOT: the first line of a modules-view node's tooltip, or of an
#: autograd-view parameter's label (``layer1.0.conv1.weight``).
_NODE_NAME = re.compile(r'tooltip="([^"\\]+)|label="([\w.]+)(?:\n|\\n)')
#: A folded run of blocks: ``layers.0–31``.
_FOLDED = re.compile(r"(?P<stem>.+)\.(?P<first>\d+)–(?P<last>\d+)$")


class NodeRole(XRefRole):
    """Parses ``text <label:path>``; the reference is resolved by :class:`ResolveNodeLinks`."""

    def result_nodes(
        self,
        document: nodes.document,
        env: BuildEnvironment,
        node: nodes.Element,
        is_ref: bool,
    ) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        label, _, path = node["reftarget"].partition(":")
        node["reftype"] = ROLE
        node["archviz_label"], node["archviz_path"] = label.strip().lower(), path.strip()
        if not node["refexplicit"]:
            text = path.strip() or node["reftarget"]
            node.children[0].replace_self(nodes.literal(text, text, classes=["archviz-node"]))
        return [node], []


class ResolveNodeLinks(SphinxPostTransform):
    """Before Sphinx resolves references: check the figure and the node, and link to the
    figure (in HTML, with the node's path in the address)."""

    default_priority = 5

    def run(self, **_kwargs: Any) -> None:
        for pending in list(self.document.findall(addnodes.pending_xref)):
            if pending.get("reftype") == ROLE:
                pending.replace_self(self.resolve(pending))

    def resolve(self, pending: addnodes.pending_xref) -> nodes.Node:
        label, path = pending["archviz_label"], pending["archviz_path"]
        found = self.env.get_domain("std").anonlabels.get(label)  # type: ignore[attr-defined]
        text = pending.children[0].deepcopy()
        problem = self.problem(label, path, found)
        if problem:
            logger.warning(
                "%s: %s",
                pending["reftarget"],
                problem,
                type="archviz",
                subtype="node-link",
                location=pending,
            )
            return text
        docname, figure_id = found
        builder = self.env._app.builder  # as Sphinx's own reference resolver does
        if builder.format == "html":
            figure_id = NODE_FRAGMENT.format(figure=figure_id, path=path)
        try:
            return make_refnode(builder, pending["refdoc"], docname, figure_id, text, path)
        except NoUri:
            return text

    def problem(self, label: str, path: str, found: tuple[str, str] | None) -> str | None:
        if not label or not path:
            return (
                "write the figure's label, a colon and the node's path, such as "
                "fig-wrn:layer3.1.conv2"
            )
        if found is None:
            return f"no figure is labelled {label!r}: give the archviz directive :name: {label}"
        docname, figure_id = found
        names = diagram_node_names(self.env, docname, figure_id)
        if names is None:
            return f"{label!r} labels something that is not an archviz diagram"
        if not is_drawn(path, names):
            return f"the diagram {label!r} has no node {path!r}"
        return None


def diagram_node_names(env: BuildEnvironment, docname: str, figure_id: str) -> set[str] | None:
    """The module paths a labelled diagram draws, or None if the label is not on a diagram."""
    for element in env.get_doctree(docname).findall(nodes.Element):
        if figure_id not in element["ids"]:
            continue
        diagram = element if isinstance(element, archviz) else next(element.findall(archviz), None)
        if diagram is None or "dot" not in diagram:
            return None
        found = {first or second for first, second in _NODE_NAME.findall(diagram["dot"])}
        return {name for found_name in found for name in unfolded(found_name)}
    return None


def unfolded(name: str) -> list[str]:
    """``layers.0–3`` → ``layers.0`` … ``layers.3``; other names as they are."""
    fold = _FOLDED.match(name)
    if fold is None:
        return [name]
    first, last = int(fold["first"]), int(fold["last"])
    return [f"{fold['stem']}.{number}" for number in range(first, last + 1)]


def is_drawn(path: str, names: set[str]) -> bool:
    """Whether the diagram shows ``path``: a node or group of that name, what is inside it (a
    parameter, a submodule), or a node that stands for it and its insides (a module drawn as
    one node at the diagram's depth; a group whose insides are drawn does not count)."""
    if any(name == path or name.startswith(f"{path}.") for name in names):
        return True
    around = [name for name in names if path.startswith(f"{name}.")]
    deepest = max(around, key=len, default=None)
    return deepest is not None and not any(name.startswith(f"{deepest}.") for name in names)


def setup_roles(app: Sphinx) -> None:
    app.add_role(ROLE, NodeRole(innernodeclass=nodes.inline, lowercase=False))
    app.add_post_transform(ResolveNodeLinks)
