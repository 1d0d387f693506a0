"""``:overlay:`` functions the tests draw with: good ones, and each way of going wrong."""

import math

#: A latency table as a profiler might report it, in milliseconds (made up, so deterministic).
LATENCY_MS = {"stem": 0.5, "blocks.0": 1.0, "blocks.1": 2.0, "blocks.2": 4.0, "head": 0.25}


def latency_ms(model):
    """torch_models:ResidualNet's latency per module."""
    return LATENCY_MS


def every_module(model):
    """1 for each module of a PyTorch model, called or not, and the model itself ("")."""
    return {name: 1.0 for name, _ in model.named_modules()}


def parameters_per_layer(model):
    """The parameters of each layer of a Keras model."""
    return {layer.name: layer.count_params() for layer in model.layers}


not_a_function = 3


def raises(model):
    raise ValueError("no profile for this model " + "x" * 2000)


def returns_a_list(model):
    return [0.5, 0.25]


def bad_values(model):
    return {"hidden": "fast", "out": math.nan}


def meta_tensors(model):
    """Computed from the weights of a model built on the meta device: no numbers in them."""
    return {name: module.weight.abs().mean() for name, module in model.named_children()}


def misspelt_keys(model):
    return {"hidden": 1.0, "hiden": 2.0, "outt": 3.0}
