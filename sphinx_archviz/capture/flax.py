"""Flax NNX models: the jaxpr of one call, read with the module scopes it ran in.

The model never computes: :func:`jax.make_jaxpr` traces one call on abstract inputs (shapes and
dtypes only), with the model's state as the traced function's arguments, so each parameter is
a named input of the jaxpr. While it traces, every submodule's ``__call__`` runs inside a
:func:`jax.named_scope` named after its attribute path, and each equation's name stack says
which module calls it ran in. The equations become a :class:`~.graph.scoped.ScopedGraph`: this
module's :func:`draw` draws every equation (the jaxpr view), ``flax_modules`` groups them by
module (the modules view).

JAX starts its thread pools when it first computes, not when it is imported: :func:`warm_up`
imports and traces only, so the framework process can still fork a child per capture.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.extend import core as jax_core

from sphinx_archviz.capture import graph
from sphinx_archviz.capture.backend import model_run_failed
from sphinx_archviz.capture.flax_macs import equation_macs
from sphinx_archviz.capture.graph.hierarchy import Hierarchy
from sphinx_archviz.capture.graph.scoped import Op, Parameter, Scope, ScopedGraph, to_trace
from sphinx_archviz.capture.graph.trace import default_input_names
from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.request import CaptureRequest, ExampleInput

#: Equations that call a named function (``jax.nn.relu``, a jitted helper): drawn as one op
#: named after the function, not as the equations inside it.
_CALLS = frozenset(
    {"pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call"}
)


def reset() -> None:
    """Nothing: a Flax model's randomness comes from the ``nnx.Rngs`` its factory passes."""


def is_model(obj: Any) -> bool:
    return isinstance(obj, nnx.Module)


class AbstractBuildFailed(Exception):
    """Building the model from shapes alone failed: it is built with real weights instead."""


@contextlib.contextmanager
def placement(device: str) -> Iterator[None]:
    """On "meta": while inside, a module built outside any other is built by
    :func:`nnx.eval_shape`, so its weights are shapes and dtypes, never computed (building
    them would start XLA and compile each initializer)."""
    if device != "meta":
        yield
        return
    meta = type(nnx.Module)
    own = meta.__dict__.get("__call__")
    build = meta.__call__
    building = False

    def abstract(cls: type, *args: Any, **kwargs: Any) -> Any:
        nonlocal building
        if building:
            return build(cls, *args, **kwargs)
        building = True
        try:
            return _eval_shape(lambda *a, **k: build(cls, *a, **k), args, kwargs)
        except Exception as exc:
            raise AbstractBuildFailed(str(exc).strip().splitlines()[0]) from exc
        finally:
            building = False

    meta.__call__ = abstract  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        if own is None:
            del meta.__call__
        else:
            meta.__call__ = own  # type: ignore[method-assign]


def _eval_shape(make: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``make(*args, **kwargs)`` under :func:`nnx.eval_shape`; the arguments that are Flax
    objects (an ``nnx.Rngs``) go through it, the rest (sizes, flags) are closed over."""
    values = [*args, *kwargs.values()]
    nodes = [value for value in values if nnx.graph.is_graph_node(value)]

    def construct(nodes: list[Any]) -> Any:
        given = iter(nodes)
        passed = [next(given) if nnx.graph.is_graph_node(value) else value for value in values]
        return make(*passed[: len(args)], **dict(zip(kwargs, passed[len(args) :], strict=True)))

    return nnx.eval_shape(construct, nodes)


def construct(_found: Any, _request: CaptureRequest, _device: str) -> None:
    return None  # Flax models come from the docs' own factories


def is_device_failure(exc: BaseException | None) -> bool:
    """Whether the model could not be built from shapes alone: a module's constructor failed
    under ``nnx.eval_shape``, or the factory used a weight's value, which it only had as a
    ``ShapeDtypeStruct``."""
    return isinstance(exc, AbstractBuildFailed) or "ShapeDtypeStruct" in str(exc)


def cheap_on_cpu(_model: nnx.Module, _request: CaptureRequest) -> bool:
    return False


def fits_on_cpu(_model: nnx.Module) -> bool:
    return True  # its weights' values are made on the CPU either way


def one_box_reason(_model: nnx.Module) -> str | None:
    return None


@contextlib.contextmanager
def in_mode(model: nnx.Module, mode: str) -> Iterator[None]:
    """``model.train()`` or ``model.eval()`` (dropout, batch statistics); the model is built
    for this capture alone, so nothing is restored."""
    if mode == "train":
        model.train()
    elif mode == "eval":
        model.eval()
    yield


def warm_up() -> None:
    """Trace a small model, so that what a first capture imports on demand is imported before
    forking. Building it computes (random weights) and would start XLA's threads, so it is
    built abstractly."""
    model = nnx.eval_shape(lambda: nnx.Linear(2, 2, rngs=nnx.Rngs(0)))
    scoped_graph(model, CaptureRequest("warm-up:model", "flax", (ExampleInput((1, 2)),)))


def draw(model: nnx.Module, request: CaptureRequest, _device: str) -> tuple[str, Hierarchy | None]:
    """The jaxpr view: every equation of the call, in order, with the shapes between them,
    inside the module calls it ran in (each equation is drawn as a call of its own)."""
    traced = scoped_graph(model, request)
    traced.ops = [
        Op(op.type_name, (*op.scopes, Scope(f"#{index}", op.type_name)), op.inputs, op.outputs)
        for index, op in enumerate(traced.ops)
    ]
    depth = max((len(op.scopes) for op in traced.ops), default=1)
    trace = to_trace(traced)
    dot, _, hierarchy = graph.draw(
        trace,
        depth,
        request.fold,
        request.rankdir,
        traced.title,
        explore_depth=request.explore_depth,
    )
    return dot, hierarchy


def scoped_graph(model: nnx.Module, request: CaptureRequest) -> ScopedGraph:
    """Trace one call of ``model`` on the example input into ops that name their modules."""
    if not request.inputs:
        raise ArchvizError(
            "input", "a Flax model has no example input of its own: add :input-shape:"
        )
    definition, state = nnx.split(model)
    scopes: dict[str, Scope] = {}

    def call(state: Any, *inputs: Any) -> Any:
        merged = nnx.merge(definition, state)
        with _scoped_calls(merged, scopes):
            return merged(*inputs)

    abstract = [jax.ShapeDtypeStruct(spec.shape, jnp.dtype(spec.dtype)) for spec in request.inputs]
    try:
        closed = jax.make_jaxpr(call)(state, *abstract)
    except ArchvizError:
        raise
    except Exception as exc:
        raise model_run_failed(request.inputs, exc, request) from exc
    return _from_jaxpr(closed.jaxpr, model, state, scopes)


@contextlib.contextmanager
def _scoped_calls(model: nnx.Module, scopes: dict[str, Scope]) -> Iterator[None]:
    """While inside: each call of a submodule of ``model`` runs in a named scope, whose name
    is a key of ``scopes`` (``blocks.0``, ``blocks.0@1`` for its second call)."""
    paths = {
        id(module): ".".join(map(str, path)) for path, module in nnx.iter_modules(model) if path
    }
    calls: dict[str, int] = {}
    owners = {_call_owner(type(module)) for _path, module in nnx.iter_modules(model)}
    originals = {owner: owner.__call__ for owner in owners if owner is not None}

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def scoped(self: nnx.Module, *args: Any, **kwargs: Any) -> Any:
            path = paths.get(id(self))
            if path is None:
                return original(self, *args, **kwargs)
            number = calls.get(path, 0)
            calls[path] = number + 1
            key = path if number == 0 else f"{path}@{number}"
            scopes[key] = Scope(key, path, _type_path(type(self)))
            with jax.named_scope(key):
                return original(self, *args, **kwargs)

        return scoped

    for cls, original in originals.items():
        cls.__call__ = wrap(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.__call__ = original  # type: ignore[method-assign]


def _call_owner(cls: type) -> type | None:
    """The class in ``cls``'s hierarchy that defines the ``__call__`` it runs, if any (an
    ``nnx.List`` is not called)."""
    return next((base for base in cls.__mro__ if "__call__" in base.__dict__), None)


def _type_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _from_jaxpr(jaxpr: Any, model: nnx.Module, state: Any, scopes: dict[str, Scope]) -> ScopedGraph:
    names = _Names()
    leaves = jax.tree_util.tree_leaves(state, is_leaf=lambda leaf: isinstance(leaf, nnx.Variable))
    state_vars, input_vars = jaxpr.invars[: len(leaves)], jaxpr.invars[len(leaves) :]
    parameters = {
        names(var): _parameter(leaf) for var, leaf in zip(state_vars, leaves, strict=True)
    }
    labels = default_input_names(len(input_vars))
    inputs = [names.name(var, label) for var, label in zip(input_vars, labels, strict=True)]
    ops = [
        Op(
            _op_name(eqn),
            tuple(
                scopes[key] for key in str(eqn.source_info.name_stack).split("/") if key in scopes
            ),
            tuple(names(var) for var in eqn.invars),
            tuple(names(var) for var in eqn.outvars),
            macs=equation_macs(eqn),
        )
        for eqn in jaxpr.eqns
    ]
    return ScopedGraph(
        type(model).__name__,
        inputs,
        [names(var) for var in jaxpr.outvars],
        ops,
        shapes=names.shapes,
        parameters=parameters,
        type_path=_type_path(type(model)),
    )


class _Names:
    """A name for each jaxpr variable, and its shape; "" for a literal."""

    def __init__(self) -> None:
        self.by_var: dict[int, str] = {}
        self.shapes: dict[str, tuple[int | None, ...]] = {}

    def __call__(self, var: Any) -> str:
        return self.name(var, f"v{len(self.by_var)}")

    def name(self, var: Any, name: str) -> str:
        if isinstance(var, jax_core.Literal):
            return ""
        if id(var) not in self.by_var:
            self.by_var[id(var)] = name
            self.shapes[name] = tuple(getattr(var.aval, "shape", ()))
        return self.by_var[id(var)]


def _parameter(leaf: Any) -> Parameter:
    """A parameter counts as trainable, batch statistics as frozen, RNG state not at all."""
    if isinstance(leaf, nnx.RngState):
        return Parameter(0, trainable=False)
    return Parameter(math.prod(leaf.shape), trainable=isinstance(leaf, nnx.Param))


def _op_name(eqn: Any) -> str:
    """The primitive's name; for a call, the function's name (``relu``, found inside the
    ``custom_jvp_call`` that wraps it where the call itself has none)."""
    if eqn.primitive.name not in _CALLS:
        return eqn.primitive.name
    if eqn.params.get("name"):
        return str(eqn.params["name"])
    inner = eqn.params.get("call_jaxpr") or eqn.params.get("jaxpr")
    inner = getattr(inner, "jaxpr", inner)
    if inner is not None and len(inner.eqns) == 1:
        return _op_name(inner.eqns[0])
    return eqn.primitive.name
