"""Example inputs of the rarer kinds of Hugging Face ``transformers`` models (see
:mod:`.torch_transformers_inputs`): a reinforcement-learning trajectory, the language of a
model with an adapter per language."""

from __future__ import annotations

from typing import Any

import torch

from sphinx_archviz.errors import ArchvizError

#: The inputs that go with the states of a reinforcement-learning trajectory (Decision
#: Transformer's), one per step; their widths are the configuration's ``<name>_dim``.
STEPS_WITH_STATES = ("actions", "returns_to_go", "timesteps")


def language(config: Any) -> torch.Tensor:
    """The language of the example (X-MOD's adapters): the configuration's only language; with
    several, the user picks the default."""
    languages = list(getattr(config, "languages", ()))
    if len(languages) != 1:
        shown = ", ".join(map(str, languages[:3])) + (", ..." if len(languages) > 3 else "")
        raise ArchvizError(
            "input",
            f"{type(config).__name__} has {len(languages)} languages ({shown}) and no "
            'default_language: add "default_language" to :config:',
        )
    return torch.zeros(1, dtype=torch.long)


def steps(parameter: str, config: Any, count: int, device: str) -> torch.Tensor:
    """``count`` steps of a trajectory: each step's time, or a vector as wide as the
    configuration's ``<name>_dim`` (``state_dim`` for states, ``act_dim`` for actions), else
    one number (a return to go)."""
    if parameter == "timesteps":
        return torch.zeros(1, count, dtype=torch.long, device=device)
    widths = (
        value
        for name, value in vars(config).items()
        if name.endswith("_dim") and parameter.startswith(name[:-4]) and isinstance(value, int)
    )
    return torch.zeros(1, count, next(widths, 1), device=device)
