"""Multiply-accumulates of a jaxpr's equations, from their shapes: matrix products
(``dot_general``) and convolutions (``conv_general_dilated``), the ops that do nearly all of a
network's arithmetic, counted as PyTorch's ``FlopCounterMode`` counts them; an equation that
calls a jaxpr (``pjit``, ``custom_jvp_call``, ``scan``) counts what that jaxpr runs."""

from __future__ import annotations

import math
from typing import Any

from jax.extend import core as jax_core


def equation_macs(eqn: Any) -> int:
    name = eqn.primitive.name
    if name == "dot_general":
        return _dot_general(eqn)
    if name == "conv_general_dilated":
        return _convolution(eqn)
    inner = sum(jaxpr_macs(jaxpr) for jaxpr in _called_jaxprs(eqn.params))
    return inner * int(eqn.params.get("length", 1)) if name == "scan" else inner


def jaxpr_macs(jaxpr: Any) -> int:
    return sum(equation_macs(eqn) for eqn in jaxpr.eqns)


def _dot_general(eqn: Any) -> int:
    """Each output element sums the products over the contracted dimensions."""
    (contracting, _), _ = eqn.params["dimension_numbers"]
    lhs = eqn.invars[0].aval.shape
    return math.prod(eqn.outvars[0].aval.shape) * math.prod(lhs[axis] for axis in contracting)


def _convolution(eqn: Any) -> int:
    """Each output element sums a kernel's window over one group's input features: the
    kernel's size divided by its output features."""
    kernel = eqn.invars[1].aval.shape
    output_features = kernel[eqn.params["dimension_numbers"].rhs_spec[0]]
    return math.prod(eqn.outvars[0].aval.shape) * math.prod(kernel) // output_features


def _called_jaxprs(params: dict[str, Any]) -> list[Any]:
    found = []
    for value in params.values():
        for item in value if isinstance(value, tuple | list) else (value,):
            if isinstance(item, jax_core.ClosedJaxpr):
                found.append(item.jaxpr)
            elif isinstance(item, jax_core.Jaxpr):
                found.append(item)
    return found
