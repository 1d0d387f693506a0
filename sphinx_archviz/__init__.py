"""sphinx-archviz: architecture diagrams of PyTorch and Keras models, drawn from the code at
documentation build time, or from Python and the command line (:func:`render`, ``archviz``).

Importing the package is cheap: the framework worker processes import it too, so Sphinx is
imported only when Sphinx loads the extension, and the API only when it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

    from sphinx_archviz.api import Diagram, Settings, render
    from sphinx_archviz.errors import ArchvizError

__version__ = "0.1.0"
__all__ = ["ArchvizError", "Diagram", "Settings", "render", "setup"]
_API = {
    "render": "sphinx_archviz.api",
    "Diagram": "sphinx_archviz.api",
    "Settings": "sphinx_archviz.api",
    "ArchvizError": "sphinx_archviz.errors",
}


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'sphinx_archviz' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)


def setup(app: Sphinx) -> ExtensionMetadata:
    from sphinx_archviz.assets import setup_assets
    from sphinx_archviz.config import register_config
    from sphinx_archviz.directive import setup_directive
    from sphinx_archviz.failures import setup_failures
    from sphinx_archviz.pipeline import setup_pipeline
    from sphinx_archviz.report import setup_report
    from sphinx_archviz.roles import setup_roles
    from sphinx_archviz.visitors import setup_visitors

    register_config(app)
    setup_visitors(app)
    setup_directive(app)
    setup_pipeline(app)
    setup_roles(app)
    setup_failures(app)
    setup_report(app)
    setup_assets(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
