"""sphinx-archviz: architecture diagrams of PyTorch and Keras models, drawn from the code at
documentation build time.

Importing the package is cheap: the framework worker processes import it too, so Sphinx is
imported only when Sphinx loads the extension.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

__version__ = "0.1.0"


def setup(app: Sphinx) -> ExtensionMetadata:
    from sphinx_archviz.assets import setup_assets
    from sphinx_archviz.config import register_config
    from sphinx_archviz.directive import setup_directive
    from sphinx_archviz.failures import setup_failures
    from sphinx_archviz.pipeline import setup_pipeline
    from sphinx_archviz.report import setup_report
    from sphinx_archviz.visitors import setup_visitors

    register_config(app)
    setup_visitors(app)
    setup_directive(app)
    setup_pipeline(app)
    setup_failures(app)
    setup_report(app)
    setup_assets(app)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
