"""Tell a PyTorch model from a Keras one by reading source, without importing any framework.

The Sphinx process must never import torch or TensorFlow (they cannot share a process), yet it
has to choose which framework worker captures a diagram. The answer comes from, in order: the
top-level package of the reference (``torchvision`` → torch), the names the referenced
definition uses (``class CNNModel(nn.Module)`` with ``from torch import nn``, or
``from transformers import BertModel``), the imports of its module, and the requirements of the
installed distribution that provides the module. Which packages and distributions mean which
framework is :data:`sphinx_archviz.frameworks.FRAMEWORK_INFO`'s to say.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from importlib import metadata
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

from sphinx_archviz.errors import ArchvizError
from sphinx_archviz.frameworks import FRAMEWORK_INFO, Framework
from sphinx_archviz.reference import Reference

#: Import package → framework: the frameworks' own packages and the libraries built on them.
_FRAMEWORK_OF_PACKAGE: dict[str, Framework] = {
    package: info.name
    for info in FRAMEWORK_INFO.values()
    for package in (*info.packages, *info.libraries)
}
#: Distribution → framework, for the requirements of an installed distribution.
_FRAMEWORK_OF_DISTRIBUTION: dict[str, Framework] = {
    distribution: info.name
    for info in FRAMEWORK_INFO.values()
    for distribution in info.distributions
}


def is_framework_package(module: str) -> bool:
    """Whether ``module`` belongs to a framework or a library built on one (torchvision, timm)."""
    return module.partition(".")[0] in _FRAMEWORK_OF_PACKAGE


def detect_framework(reference: Reference, search_paths: tuple[str, ...]) -> Framework:
    found = _Reader(search_paths).frameworks_of_reference(reference)
    if len(found) == 1:
        return next(iter(found))
    why = f"it uses {' and '.join(sorted(found))}" if found else "its source names none"
    raise ArchvizError(
        "framework",
        f"cannot tell whether this is a PyTorch, a Keras or a Flax model ({why}); "
        "add :framework: torch, :framework: keras or :framework: flax",
    )


class _Reader:
    def __init__(self, search_paths: tuple[str, ...]) -> None:
        self.search_paths = [*search_paths, *sys.path]
        self.modules_seen: set[str] = set()
        self._specs: dict[str, ModuleSpec | None] = {}

    def frameworks_of_reference(self, reference: Reference) -> set[Framework]:
        known = _FRAMEWORK_OF_PACKAGE.get(reference.module.partition(".")[0])
        if known:
            return {known}
        if self.find_spec(reference.module) is None:
            raise ArchvizError(
                "import",
                f"no module named {reference.module!r}: check the module path, or add its "
                "folder to archviz_sys_path (folders are relative to conf.py)",
            )
        source = self.find_source(reference.module)
        if source is None:
            return self.frameworks_of_module(reference.module)
        module = _ParsedModule(source, reference.module)
        target = module.definitions.get(reference.attribute.partition(".")[0])
        if target is not None:
            used = self.frameworks_used_by(module, target, set())
            if len(used) == 1:
                return used
        return self.frameworks_of_module(reference.module)

    def frameworks_used_by(
        self, module: _ParsedModule, node: ast.AST, visited: set[str]
    ) -> set[Framework]:
        found: set[Framework] = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for name in _imported_modules(child, module.package):
                    found |= self.frameworks_of_module(name)
            elif isinstance(child, ast.Name):
                if child.id in module.imports:
                    found |= self.frameworks_of_module(module.imports[child.id])
                elif child.id in module.definitions and child.id not in visited:
                    visited.add(child.id)
                    found |= self.frameworks_used_by(module, module.definitions[child.id], visited)
        return found

    def frameworks_of_module(self, name: str) -> set[Framework]:
        """Frameworks a module pulls in: by its package's name, its imports or its distribution."""
        root = name.partition(".")[0]
        if root in _FRAMEWORK_OF_PACKAGE:
            return {_FRAMEWORK_OF_PACKAGE[root]}
        if name in self.modules_seen:
            return set()
        self.modules_seen.add(name)
        # ``from package import Name`` records ``package.Name``, which may not be a module.
        module_name = name if self.find_source(name) else name.rpartition(".")[0]
        source = self.find_source(module_name) if module_name else None
        if source is not None and not _is_installed(source):
            module = _ParsedModule(source, module_name)
            found: set[Framework] = set()
            for imported in module.imports.values():
                found |= self.frameworks_of_module(imported)
            return found
        return _frameworks_of_distribution(root)

    def find_spec(self, name: str) -> ModuleSpec | None:
        """The module's spec, found without importing it or its parent packages."""
        if name not in self._specs:
            self._specs[name] = self._look_up_spec(name)
        return self._specs[name]

    def _look_up_spec(self, name: str) -> ModuleSpec | None:
        locations: list[str] | None = self.search_paths
        spec = None
        parts = name.split(".")
        for index in range(len(parts)):
            if locations is None:
                return None
            spec = PathFinder.find_spec(".".join(parts[: index + 1]), locations)
            if spec is None:
                return None
            locations = list(spec.submodule_search_locations or []) or None
        return spec

    def find_source(self, name: str) -> Path | None:
        spec = self.find_spec(name)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return None
        return Path(spec.origin)


class _ParsedModule:
    def __init__(self, source: Path, name: str) -> None:
        tree = ast.parse(source.read_bytes(), filename=str(source))
        is_package = source.name == "__init__.py"
        self.package = name if is_package else name.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.definitions: dict[str, ast.AST] = {}
        for node in tree.body:
            self._record(node)

    def _record(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                self.imports[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_module(node, self.package)
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.definitions[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self.definitions[target.id] = node
        elif isinstance(node, ast.If | ast.Try):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._record(child)


def _imported_modules(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [_absolute_module(node, package)]


def _absolute_module(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_installed(source: Path) -> bool:
    return any(part in ("site-packages", "dist-packages") for part in source.parts)


@functools.cache
def _frameworks_of_distribution(package: str) -> set[Framework]:
    found: set[Framework] = set()
    for distribution in metadata.packages_distributions().get(package, []):
        name = _normalize(distribution)
        if name in _FRAMEWORK_OF_DISTRIBUTION:
            return {_FRAMEWORK_OF_DISTRIBUTION[name]}
        for requirement in metadata.requires(distribution) or []:
            if "extra ==" in requirement:
                continue
            match = re.match(r"[A-Za-z0-9._-]+", requirement)
            framework = _FRAMEWORK_OF_DISTRIBUTION.get(_normalize(match.group()) if match else "")
            if framework:
                found.add(framework)
    return found


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()
