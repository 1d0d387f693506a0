"""Sphinx configuration of the sphinx-archviz site."""

import sys
from pathlib import Path

# Local extensions: korean_search makes the search page find Korean words whatever particle
# follows them.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "sphinx-archviz"
author = "sphinx-archviz developers"
copyright = "2026, sphinx-archviz developers"
language = "ko"

extensions = ["sphinx_archviz", "myst_parser", "korean_search"]
myst_enable_extensions = ["colon_fence", "deflist"]
numfig = True
exclude_patterns = ["_build", "snippets"]

html_theme = "sphinx_book_theme"
html_title = "sphinx-archviz"
html_theme_options = {"show_toc_level": 2}
