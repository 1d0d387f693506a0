"""What archviz knows about each framework, in one table: plain data both processes read.

The Sphinx process uses it to tell a model's framework from its source
(:mod:`sphinx_archviz.detect`) and to key the cache (:mod:`sphinx_archviz.cache`); a worker
uses it to load the framework's backend and to say what to install when an import fails
(:mod:`sphinx_archviz.capture`). ``pyproject.toml`` bans importing each framework's
``packages`` outside its backend (a test checks the two agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Framework = Literal["torch", "keras", "onnx", "flax"]


@dataclass(frozen=True)
class FrameworkInfo:
    name: Framework
    #: The framework's own import packages. Only its backend imports them, in a worker process.
    packages: tuple[str, ...]
    #: Import packages of libraries built on the framework: a model that comes from one of them,
    #: or whose module imports one, is this framework's.
    libraries: tuple[str, ...]
    #: Distributions that install the framework: a distribution that requires one is built on it.
    distributions: tuple[str, ...]
    #: Distributions whose version changes what a capture draws: upgrading one invalidates the
    #: cached diagrams.
    drawing_distributions: tuple[str, ...]
    #: What to install when the worker cannot import a module, by its top-level name.
    install_hints: Mapping[str, str]
    #: The worker module that draws the framework's own graph (:class:`~.capture.backend.Backend`).
    backend: str
    #: The worker module that traces the modules view (:class:`~.capture.backend.ModulesView`).
    modules_view: str
    #: A reference ending in this suffix is a file of this framework's models (``model.onnx``),
    #: read rather than imported; "" for frameworks whose models come from Python code.
    file_suffix: str = ""
    #: Where a model runs with shapes and no weight values, in a note's words ("cannot run
    #: on the meta device").
    shapes_only: str = "on the meta device"


_TORCH_EXTRA = "pip install 'sphinx-archviz[torch]'"
_TENSORFLOW_EXTRA = "pip install 'sphinx-archviz[tensorflow]'"
_FLAX_EXTRA = "pip install 'sphinx-archviz[flax]'"

FRAMEWORK_INFO: dict[Framework, FrameworkInfo] = {
    "torch": FrameworkInfo(
        name="torch",
        packages=("torch",),
        libraries=(
            "torchvision",
            "torchaudio",
            "torchtext",
            "torchviz",
            "timm",
            "transformers",
            "diffusers",
            "accelerate",
            "peft",
            "sentence_transformers",
            "ultralytics",
            "lightning",
            "pytorch_lightning",
            "torch_geometric",
        ),
        distributions=("torch",),
        drawing_distributions=("torch", "torchvision", "torchviz"),
        install_hints={
            "torch": _TORCH_EXTRA,
            "torchvision": _TORCH_EXTRA,
            "torchviz": f"{_TORCH_EXTRA} (or pip install torchviz)",
            "distutils": "pip install setuptools (torchviz needs it on Python 3.12 and later)",
        },
        backend="sphinx_archviz.capture.torch",
        modules_view="sphinx_archviz.capture.torch_modules",
    ),
    "keras": FrameworkInfo(
        name="keras",
        packages=("keras", "tensorflow"),
        libraries=("tf_keras", "tensorflow_hub", "keras_hub", "keras_nlp", "keras_cv"),
        distributions=("keras", "tensorflow", "tensorflow-cpu", "tf-keras"),
        drawing_distributions=("keras", "tensorflow", "tensorflow-cpu", "pydot"),
        install_hints={
            "tensorflow": _TENSORFLOW_EXTRA,
            "keras": _TENSORFLOW_EXTRA,
            "pydot": f"{_TENSORFLOW_EXTRA} (or pip install pydot)",
        },
        backend="sphinx_archviz.capture.keras",
        shapes_only="without its weights' values (in a stateless scope)",
        modules_view="sphinx_archviz.capture.keras_modules",
    ),
    "onnx": FrameworkInfo(
        name="onnx",
        packages=("onnx",),
        libraries=(),
        distributions=("onnx",),
        drawing_distributions=("onnx",),
        install_hints={"onnx": "pip install 'sphinx-archviz[onnx]'"},
        backend="sphinx_archviz.capture.onnx_file",
        modules_view="sphinx_archviz.capture.onnx_modules",
        file_suffix=".onnx",
    ),
    # Flax NNX, in a process of its own: JAX never shares one with torch or TensorFlow.
    "flax": FrameworkInfo(
        name="flax",
        packages=("flax", "jax", "jaxlib"),
        libraries=("optax", "orbax"),
        distributions=("flax", "jax", "jaxlib"),
        drawing_distributions=("flax", "jax", "jaxlib"),
        install_hints={"flax": _FLAX_EXTRA, "jax": _FLAX_EXTRA, "jaxlib": _FLAX_EXTRA},
        backend="sphinx_archviz.capture.flax",
        shapes_only="from shapes alone (nnx.eval_shape)",
        modules_view="sphinx_archviz.capture.flax_modules",
    ),
}
FRAMEWORKS: tuple[Framework, ...] = tuple(FRAMEWORK_INFO)


def framework_of_file(reference: str) -> Framework | None:
    """The framework whose model files ``reference`` names by its suffix, if any."""
    for info in FRAMEWORK_INFO.values():
        if info.file_suffix and reference.strip().lower().endswith(info.file_suffix):
            return info.name
    return None
