"""Where a module node's class is defined: the site's highlighted source page
(``sphinx.ext.viewcode``) or the project's ``linkcode_resolve`` (``sphinx.ext.linkcode``).

Nothing is imported to find it. viewcode knows the classes it shows, from the modules the site
documents; ``linkcode_resolve`` is asked only about modules the Sphinx process has imported
already (autodoc did), so a project's resolver never brings a framework into this process.
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Iterator

from sphinx_archviz.html import PageLinker

#: The folder of viewcode's pages (``sphinx.ext.viewcode.OUTPUT_DIRNAME``).
VIEWCODE_FOLDER = "_modules"


class SourceLinker(PageLinker):
    """The address of the source of a class (``models.CNNModel``) for one page, or None."""

    def find(self, qualified_name: str) -> str | None:
        return self._viewcode(qualified_name) or self._linkcode(qualified_name)

    def _viewcode(self, qualified_name: str) -> str | None:
        shown = getattr(self.builder.env, "_viewcode_modules", {})
        if "sphinx.ext.viewcode" not in self.builder.config.extensions:
            return None
        for module, name in module_splits(qualified_name):
            entry = shown.get(module)
            if isinstance(entry, tuple) and name in entry[1]:
                page = posixpath.join(VIEWCODE_FOLDER, module.replace(".", "/"))
                return f"{self.builder.get_relative_uri(self.docname, page)}#{name}"
        return None

    def _linkcode(self, qualified_name: str) -> str | None:
        resolve = getattr(self.builder.config, "linkcode_resolve", None)
        if not callable(resolve) or self.builder.format != "html":
            return None
        for module, name in module_splits(qualified_name):
            if module in sys.modules:
                uri = resolve("py", {"module": module, "fullname": name})
                if uri:
                    return uri
        return None


def module_splits(qualified_name: str) -> Iterator[tuple[str, str]]:
    """``a.b.C.D`` → (``a.b.C``, ``D``), (``a.b``, ``C.D``), (``a``, ``b.C.D``)."""
    parts = qualified_name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:end]), ".".join(parts[end:])
