"""Imports a package that is not installed, at line 6."""

import torch.nn as nn

Net = nn.Linear
import a_package_that_is_not_installed  # noqa: E402, F401
