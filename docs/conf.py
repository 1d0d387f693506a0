"""Sphinx configuration of the sphinx-archviz site."""

import os
import sys
from pathlib import Path

# Local extensions: korean_search makes the search page find Korean words whatever particle
# follows them.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "sphinx-archviz"
author = "sphinx-archviz developers"
copyright = "2026, sphinx-archviz developers"
language = "ko"

extensions = ["sphinx_archviz", "myst_parser", "korean_search", "sphinx.ext.intersphinx"]
myst_enable_extensions = ["colon_fence", "deflist"]
numfig = True
exclude_patterns = ["_build", "snippets"]

html_theme = "sphinx_book_theme"
html_title = "sphinx-archviz"
html_theme_options = {"show_toc_level": 2}
# Read the Docs sets the canonical address of each version.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")

# Diagram nodes link to PyTorch's page for their class. Builds run offline, so the inventory
# is a local file (tools/torch_inventory.py writes it).
# The troubleshooting page shows what a failing model draws; its failure is expected, so the
# -W build logs it instead of failing. Every diagram gets a row on the report page.
archviz_expected_failures = ["models:BrokenCNN"]
archviz_report_page = True

intersphinx_mapping = {
    "torch": ("https://docs.pytorch.org/docs/stable/", "_intersphinx/pytorch.inv"),
}
