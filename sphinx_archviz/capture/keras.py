"""Keras backend: the graph ``keras.utils.plot_model`` draws, taken from ``model_to_dot``. Runs
in the Keras worker process only; Keras is imported here and in :mod:`.keras_modules`, nowhere
else."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from typing import Any

import keras
import pydot  # model_to_dot needs it; importing it here names it when missing
from keras.src.backend.common import global_state
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.backend.common.variables import initialize_all_variables
from keras.src.models.functional import Functional  # what plot_model draws layer by layer

from sphinx_archviz.capture.backend import model_run_failed
from sphinx_archviz.capture.graph.explorable import PictureNode, picture_hierarchy
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import CaptureRequest, ExampleInput


def reset() -> None:
    """Restart Keras' layer-name counters, so ``conv2d_1`` does not depend on earlier diagrams.

    Only the counters: ``clear_session`` would also drop TensorFlow's kernel caches and make
    every capture pay for them again (about 20 ms a diagram).
    """
    try:
        from keras.src.utils.naming import reset_uids
    except ImportError:  # a Keras without that helper: the public, slower way
        keras.utils.clear_session(free_memory=False)
    else:
        reset_uids()
    global_state.set_global_attribute("uninitialized_variables", [])  # an earlier model's


def is_model(obj: Any) -> bool:
    return isinstance(obj, keras.Model)


@contextlib.contextmanager
def placement(device: str) -> Iterator[None]:
    """On ``"meta"``, build the model without computing its weights: Keras has no meta
    device, but inside a stateless scope it creates variables with a shape and no value
    (random initialisation was most of a capture: VGG16's 138 million weights took seconds).
    The graph depends on shapes only; a model that is run gets zeros first (:func:`running`)."""
    if device != "meta":
        yield
        return
    with StatelessScope(initialize_variables=False):
        yield


@contextlib.contextmanager
def running(device: str) -> Iterator[None]:
    """While the model runs on its example input: weights left without a value by
    :func:`placement`, and weights its first call creates, are zeros rather than random."""
    if device != "meta":
        yield
        return
    variable = keras.Variable
    initialise = variable._initialize_with_initializer

    def with_zeros(self: keras.Variable, _initializer: Any) -> None:
        initialise(self, keras.initializers.Zeros())

    variable._initialize_with_initializer = with_zeros  # type: ignore[method-assign]
    try:
        initialize_all_variables()
        yield
    finally:
        variable._initialize_with_initializer = initialise  # type: ignore[method-assign]


def construct(_found: Any, _request: CaptureRequest, _device: str) -> None:
    return None  # Keras models come from the docs' own classes and factories


def warm_up() -> None:
    """Nothing: building even a small model starts TensorFlow's thread pools, after which
    forking is not safe; a Keras capture imports little on demand."""


def is_device_failure(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the model needs its weights' values while it is built (it reads
    or assigns them in its constructor), so it must be built with them."""
    return "stateless scope" in str(exc)


@contextlib.contextmanager
def in_mode(_model: keras.Model, _mode: str) -> Iterator[None]:
    yield  # Keras passes the mode to each call (training=…)


def training(request: CaptureRequest) -> bool:
    """Keras models run in inference mode unless :mode: train says otherwise."""
    return request.mode == "train"


def cheap_on_cpu(_model: keras.Model, _request: CaptureRequest) -> bool:
    return False  # Keras models always run on the CPU


def fits_on_cpu(_model: keras.Model) -> bool:
    return True  # its weights' values are made on the CPU either way


def one_box_reason(model: keras.Model) -> str | None:
    if isinstance(model, keras.Sequential | Functional):
        return None
    return "plot_model draws a subclassed model as one box"


def draw(model: keras.Model, request: CaptureRequest, device: str) -> tuple[str, Hierarchy | None]:
    """plot_model's picture, and the hierarchy the reader explores it by: its layers gathered
    by the scopes of their names (none when nested models are drawn expanded, as clusters)."""
    if request.inputs:
        _run(model, request, device)
    else:
        example_inputs(model, request)  # plot_model draws the model's own inputs without a run
    layers = {
        str(id(layer)): (layer.name, type(layer).__name__)
        for layer in model._flatten_layers(include_self=False, recursive=request.expand_nested)
    }
    with _names_escaped_for_html_labels(model):
        graph = keras.utils.model_to_dot(
            model,
            show_shapes=request.show_shapes,
            show_dtype=request.show_dtype,
            show_layer_names=request.show_layer_names,
            rankdir=request.rankdir,
            expand_nested=request.expand_nested,
        )
        dot = graph.to_string()
    if request.expand_nested or graph.get_subgraph_list():
        return dot, None
    return dot, _hierarchy(graph, layers, request.explore_depth)


#: The size of the layer names in plot_model's labels, in points.
PLOT_MODEL_FONT_SIZE = 16

_STATEMENT = re.compile(r"^\S+(?: -> \S+)? \[(.*)\];?\s*$", re.DOTALL)


def _hierarchy(
    graph: pydot.Dot, layers: dict[str, tuple[str, str]], depth: int | None
) -> Hierarchy:
    nodes = [node for node in graph.get_nodes() if node.get_name() not in ("node", "edge", "graph")]
    number = {node.get_name(): at for at, node in enumerate(nodes)}
    pictured = [
        PictureNode(*layers.get(node.get_name(), (node.get_name(), "")), _attributes(node))
        for node in nodes
    ]
    edges = [
        (number[edge.get_source()], number[edge.get_destination()], _attributes(edge))
        for edge in graph.get_edges()
        if edge.get_source() in number and edge.get_destination() in number
    ]
    text = graph.to_string()
    defaults = text[text.index("{") + 1 : text.index(nodes[0].to_string())] if nodes else ""
    return picture_hierarchy(defaults.strip(), pictured, edges, depth, PLOT_MODEL_FONT_SIZE)


def _attributes(statement: pydot.Node | pydot.Edge) -> str:
    """A node's or edge's attributes as pydot writes them, without its name and brackets."""
    match = _STATEMENT.match(statement.to_string())
    return match[1] if match else ""


_RECORD_ENTITIES = str.maketrans({"{": "&#123;", "|": "&#124;", "}": "&#125;"})


@contextlib.contextmanager
def _names_escaped_for_html_labels(model: keras.Model) -> Iterator[None]:
    """model_to_dot puts layer names into Graphviz HTML labels as they are, so a name with
    ``<`` or ``&`` breaks the graph (or injects markup), and so do ``{ | }`` in its record-shaped
    nodes. Escape them while it runs."""
    layers = list(model._flatten_layers(include_self=True, recursive=True))
    names = [layer.name for layer in layers]
    for layer, name in zip(layers, names, strict=True):
        layer.name = html.escape(" ".join(name.split())).translate(_RECORD_ENTITIES)
    try:
        yield
    finally:
        for layer, name in zip(layers, names, strict=True):
            layer.name = name


def example_argument(model: keras.Model, tensors: list[Any]) -> Any:
    """What the model is called with: the tensors (in the order of ``model.inputs``) in the
    structure its inputs were declared in, such as the dict of named inputs keras_hub's text
    backbones take; for a model that declares none, one tensor alone or a list."""
    try:
        declared = model.input
    except (AttributeError, ValueError):
        declared = None
    if declared is not None and len(keras.tree.flatten(declared)) == len(tensors):
        return keras.tree.pack_sequence_as(declared, tensors)
    return tensors[0] if len(tensors) == 1 else tensors


def _run(model: keras.Model, request: CaptureRequest, device: str) -> None:
    tensors = [dummy_tensor(spec) for spec in request.inputs]
    try:
        with running(device):
            model(example_argument(model, tensors), training=training(request))
    except Exception as exc:
        raise model_run_failed(request.inputs, exc, request) from exc


def example_inputs(model: keras.Model, request: CaptureRequest) -> tuple[ExampleInput, ...]:
    """:input-shape: and :input-dtype:, or else the inputs the model defines."""
    if request.inputs:
        return request.inputs
    if not model.built or not getattr(model, "inputs", None):
        raise ArchvizError(
            "input",
            "the model has no defined inputs (it is subclassed or not yet built); add "
            ":input-shape: with the batch size first, for example 1, 110, 110, 3",
        )
    return tuple(
        ExampleInput(tuple(1 if size is None else int(size) for size in tensor.shape), tensor.dtype)
        for tensor in model.inputs
    )


def dummy_tensor(spec: ExampleInput) -> Any:
    if spec.dtype.startswith(("float", "bfloat")):
        return keras.random.normal(spec.shape, dtype=spec.dtype)
    return keras.ops.zeros(spec.shape, dtype=spec.dtype)
