"""Sphinx configuration of the sphinx-archviz site."""

project = "sphinx-archviz"
author = "sphinx-archviz developers"
copyright = "2026, sphinx-archviz developers"
language = "ko"

extensions = ["sphinx_archviz", "myst_parser"]
myst_enable_extensions = ["colon_fence"]
numfig = True
exclude_patterns = ["_build", "snippets"]

html_theme = "sphinx_book_theme"
html_title = "sphinx-archviz"
html_theme_options = {"show_toc_level": 2}
