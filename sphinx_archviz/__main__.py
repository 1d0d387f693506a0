"""``python -m sphinx_archviz render …``: the ``archviz`` command."""

from sphinx_archviz.cli import run

run()
