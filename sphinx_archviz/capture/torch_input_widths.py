"""Example inputs made as wide as the linear layer (or the norm) that takes them: for inputs
whose width the configuration does not give (audio features stacked by the model's feature
extractor, as Granite Speech 5's four frames in one; hidden states of several layers side by
side, as a speculative decoder's context; PI0's action embeddings, as wide as its action
expert's), the width is read from the weights of the layer they meet.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Inputs = tuple[torch.Tensor | None, ...]


class _Misfit(Exception):
    """A linear layer was given example input ``index``, which is not ``width`` wide."""

    def __init__(self, index: int, width: int) -> None:
        super().__init__(index, width)
        self.index = index
        self.width = width


def widened(inputs: Inputs, run: Callable[[Inputs], object]) -> Inputs | None:
    """``inputs`` with each one a linear layer takes as it is, but at another width, made as
    wide as that layer takes; None when no input meets a linear layer so."""
    fitted = list(inputs)
    for _ in range(len(inputs)):
        misfit = _first_misfit(tuple(fitted), run)
        if misfit is None:
            break
        given = fitted[misfit.index]
        assert given is not None
        fitted[misfit.index] = given.new_zeros(*given.shape[:-1], misfit.width)
    return None if all(a is b for a, b in zip(fitted, inputs, strict=True)) else tuple(fitted)


def _first_misfit(inputs: Inputs, run: Callable[[Inputs], object]) -> _Misfit | None:
    """The first example input a linear layer is given at a width it does not take."""

    def check(module: nn.Module, args: tuple[object, ...]) -> None:
        width = _width_taken(module)
        if width is None or not args:
            return
        for index, given in enumerate(inputs):
            if args[0] is given and given.shape[-1] != width:
                raise _Misfit(index, width)

    handle = nn.modules.module.register_module_forward_pre_hook(check)
    try:
        run(inputs)
    except _Misfit as misfit:
        return misfit
    except Exception:  # the run failed elsewhere: no linear layer was given a wrong width
        return None
    finally:
        handle.remove()
    return None


def _width_taken(module: nn.Module) -> int | None:
    """The width of the vectors ``module`` takes: a linear layer's inputs, or those of a norm
    over the last axis with one weight per feature (PI0's action expert starts with an RMS
    norm)."""
    if isinstance(module, nn.Linear):
        return module.in_features
    weight = getattr(module, "weight", None)
    per_channel = isinstance(module, nn.modules.batchnorm._BatchNorm | nn.GroupNorm)
    is_norm = "norm" in type(module).__name__.lower() and not per_channel
    if is_norm and isinstance(weight, torch.Tensor) and weight.dim() == 1:
        return weight.shape[0]
    return None
