"""The autograd view's hierarchy: which module call created each of torchviz's nodes.

While the model runs, the modules view's recorder notes the module calls; when a call returns,
the autograd nodes behind its outputs that no inner call claimed, back to the nodes its inputs
came from, are its own. A parameter (its ``AccumulateGrad`` node and the blue box) belongs to the
module that owns it. torchviz's picture is then the fully opened state of the module tree.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx_archviz.capture.graph import hierarchy as tree
from sphinx_archviz.capture.graph.formatting import format_count, format_shapes
from sphinx_archviz.capture.graph.hierarchy import Group, Hierarchy, Leaf, group_attributes
from sphinx_archviz.capture.graph.trace import Call, Trace
from sphinx_archviz.capture.torch import find_tensors
from sphinx_archviz.capture.torch_modules import _Recorder

_EDGE = re.compile(r"\s*(\S+) -> (\S+)(?: \[(.*)\])?\s*", re.DOTALL)
_NODE = re.compile(r"\s*(\S+)(?: \[(.*)\])?\s*", re.DOTALL)
_LABEL = re.compile(r'label=("(?:[^"\\]|\\.)*"|\S+)')


class AutogradRecorder(_Recorder):
    """The modules view's recorder, which also notes the module call behind each autograd
    node (``owners``, keyed by the node; holding the nodes keeps their ids, which torchviz
    names them by, unchanged until the graph is drawn)."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.owners: dict[Any, int] = {}
        self._inputs: dict[int, set[Any]] = {}
        self.parameter_owner: dict[str, int] = {}
        #: The first call of each module that ran, by its attribute path.
        self.called: dict[str, int] = {}

    def _before_module(self, module: Any, args: tuple[Any, ...]) -> None:
        super()._before_module(module, args)
        index = self.stack[-1].index
        self._inputs[index] = {t.grad_fn for t in find_tensors(args) if t.grad_fn is not None}
        name = self.trace.calls[index].name if index != self.trace.root else ""
        self.called.setdefault(name, index)
        for parameter, _ in module.named_parameters(recurse=False):
            self.parameter_owner.setdefault(f"{name}.{parameter}" if name else parameter, index)

    def _after_module(
        self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
    ) -> None:
        index = self.stack[-1].index
        pending = [t.grad_fn for t in find_tensors(output) if t.grad_fn is not None]
        boundary = self._inputs.pop(index, set())
        seen: set[Any] = set()
        while pending:
            node = pending.pop()
            if node in seen or node in boundary:
                continue
            seen.add(node)
            self.owners.setdefault(node, index)
            pending.extend(
                following for following, _ in getattr(node, "next_functions", ()) if following
            )
        super()._after_module(module, args, kwargs, output)


def autograd_hierarchy(
    graph: Any, recorder: AutogradRecorder, parameters: dict[str, Any], depth: int | None
) -> Hierarchy:
    """The hierarchy of torchviz's ``graph`` (a ``graphviz.Digraph``) over the recorded calls."""
    trace = recorder.trace
    owner_of_parameter = {
        id(tensor): owner
        for name, tensor in parameters.items()
        if (owner := _parameter_owner(recorder, name)) is not None
    }
    owner_by_id = {}
    for node, call in recorder.owners.items():
        variable = getattr(node, "variable", None)  # AccumulateGrad: its parameter's module
        if variable is not None and id(variable) in owner_of_parameter:
            call = owner_of_parameter[id(variable)]
            owner_by_id[str(id(variable))] = call
        owner_by_id[str(id(node))] = call
    nodes, edges = _statements(graph.body)
    owner = _owners(nodes, edges, owner_by_id)
    hierarchy = Hierarchy(_defaults(graph), reveals_insides=True)
    numbers: dict[int, int] = {}
    for call in trace.calls:
        if call.kind == "module" and call.index != trace.root:
            parent = numbers.get(call.parent) if call.parent is not None else None
            numbers[call.index] = hierarchy.add_group(_group(trace, call, parent))
    leaves = {}
    for name, attributes in nodes.items():
        call = owner.get(name)
        group = numbers.get(call) if call is not None else None
        leaves[name] = hierarchy.add_leaf(Leaf(group, attributes, _label_text(attributes)))
    # torchviz's nodes first (its output leads, as in its picture), then the groups in call
    # order, which is also the order Tab visits them in.
    for items in [hierarchy.top, *(group.children for group in hierarchy.groups)]:
        items.sort(key=lambda item: item < 0)
    hierarchy.edges = [
        (leaves[start], leaves[end], _beside(nodes[start], attributes))
        for start, end, attributes in edges
        if start in leaves and end in leaves
    ]
    hierarchy = tree.prune(hierarchy)
    hierarchy.open = tree.first_sight(hierarchy, depth)
    return hierarchy


def _parameter_owner(recorder: AutogradRecorder, name: str) -> int | None:
    """The module call a parameter belongs to: its module's, or if that module never ran (a
    ``MultiheadAttention`` uses its ``out_proj``'s weight itself) the nearest enclosing one's."""
    if name in recorder.parameter_owner:
        return recorder.parameter_owner[name]
    module = name.rpartition(".")[0]
    while module:
        if module in recorder.called:
            return recorder.called[module]
        module = module.rpartition(".")[0]
    return None


def _statements(body: list[str]) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """torchviz's node statements (name → attributes) and edges, in its order."""
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for statement in body:
        edge = _EDGE.fullmatch(statement)
        if edge:
            edges.append((edge[1], edge[2], edge[3] or ""))
            continue
        node = _NODE.fullmatch(statement)
        if node:
            nodes.setdefault(node[1], node[2] or "")
    return nodes, edges


def _beside(source: str, attributes: str) -> str:
    """A parameter and its AccumulateGrad may sit on the rank of the op that uses them: drawn
    above it, they would push each module's cluster up into the one before, and the clusters
    would step sideways down the page."""
    if "fillcolor=lightblue" in source or "label=AccumulateGrad" in source:
        return f"{attributes} minlen=0".strip()
    return attributes


def _owners(
    nodes: dict[str, str], edges: list[tuple[str, str, str]], found: dict[str, int]
) -> dict[str, int]:
    """Each node's module call; a saved tensor (joined by an undirected edge) goes with the
    node that saved it; the output stays at the top."""
    owner = {name: found[name] for name in nodes if name in found}
    for start, end, attributes in edges:
        if start in owner and end not in owner and "dir=none" in attributes:
            owner[end] = owner[start]
    return owner


def _group(trace: Trace, call: Call, parent: int | None) -> Group:
    return Group(
        name=call.name,
        parent=parent,
        **group_attributes(
            name=call.name,
            type_name=call.type_name,
            is_container=any(trace.calls[child].kind == "module" for child in call.children),
            details=_details(call),
            summary=_params(call),
        ),
        text=f"{call.name} {call.type_name}",
    )


def _details(call: Call) -> list[str]:
    shapes = f"{format_shapes(call.input_shapes)} → {format_shapes(call.output_shapes)}"
    return [shapes, _params(call)] if _params(call) else [shapes]


def _params(call: Call) -> str:
    total = call.trainable + call.non_trainable
    return f"{format_count(total)} params" if total else ""


def _defaults(graph: Any) -> str:
    """torchviz's node and edge defaults; not its ``size``, which would shrink each state
    differently."""
    node = " ".join(f"{name}={value}" for name, value in graph.node_attr.items())
    edge = " ".join(f"{name}={value}" for name, value in graph.edge_attr.items())
    graph_attributes = " ".join(
        f"{name}={value}" for name, value in graph.graph_attr.items() if name != "size"
    )
    return f"\tgraph [{graph_attributes}]\n\tnode [{node}]\n\tedge [{edge}]"


def _label_text(attributes: str) -> str:
    label = _LABEL.search(attributes)
    if not label:
        return ""
    return " ".join(label[1].strip('"').replace("\\n", " ").split())
