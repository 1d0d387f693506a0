"""An overlay's numbers on a grouped graph: a module's own number, else the sum of those
inside it; a folded node the sum of its repeats'; keys that name no module said once."""

from __future__ import annotations

from sphinx_archviz.capture.graph.grouping import ModuleGraph
from sphinx_archviz.capture.graph.overlay import Overlay, Value, call_values, node_values
from tests.unit.graph import traces


def by_name(graph: ModuleGraph, overlay: Overlay) -> dict[str, Value]:
    values = node_values(graph, overlay)
    named = {node.key: node.name for node in graph.nodes()}
    named.update({key: graph.cluster_node(key).name for key in values if key not in named})
    return {named[key]: value for key, value in values.items() if key in named}


def test_a_folded_run_adds_its_repeats_numbers() -> None:
    graph = ModuleGraph(traces.chain_of_blocks(4), depth=1, fold=True)
    overlay = Overlay("ms", {f"layers.{number}.linear": number + 1.0 for number in range(4)})
    assert by_name(graph, overlay)["layers.0–3"] == Value(10.0, 4)
    assert overlay.unknown == ""


def test_a_modules_own_number_wins_over_the_sum_of_its_insides() -> None:
    graph = ModuleGraph(traces.chain_of_blocks(2), depth=2, fold=False)
    values = {"layers.0": 10.0, "layers.0.linear": 1.0, "layers.0.act": 2.0, "layers.1.act": 4.0}
    found = by_name(graph, Overlay("ms", values))
    assert found["layers.0"] == Value(10.0) and found["layers.0.linear"] == Value(1.0)
    assert found["layers.1"] == Value(4.0) and "layers.1.linear" not in found
    trace = graph.trace
    assert call_values(trace, values)[trace.root] == 14.0
    assert call_values(trace, {**values, "": 3.0})[trace.root] == 3.0


def test_a_folded_pattern_adds_each_repeats_module() -> None:
    graph = ModuleGraph(traces.linear_relu_times_4(), depth=1, fold=True)
    overlay = Overlay("sparsity", {f"layers.{number}": 0.25 for number in range(4)})
    found = node_values(graph, overlay)
    [pattern] = graph.patterns
    assert found[pattern] == Value(1.0, 4)
    [linear] = [node for node in graph.nodes() if node.type_name == "Linear"]
    assert found[linear.key] == Value(1.0, 4)


def test_keys_naming_no_module_are_listed_with_the_names_near_them() -> None:
    graph = ModuleGraph(traces.chain_of_blocks(2), depth=1, fold=False)
    # "" is the model and "layers" the container of layers.0 and layers.1: both known.
    overlay = Overlay("ms", {"": 1.0, "layers": 2.0, "layers.0": 1.0, "layerz.1": 1.0})
    node_values(graph, overlay)
    assert overlay.unknown == (
        ":overlay: ms(model) returned 1 key names no module that ran in the forward pass: "
        "'layerz.1'; modules near it: 'layers.1', 'layers.0'. The other modules are coloured"
    )
