"""Load the docs' model in a worker: import the module a reference names, with the docs' folders
on ``sys.path``, and turn what it names into a model, with errors that point at the user's code."""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sphinx_archviz.errors import ArchvizError, describe_exception
from sphinx_archviz.reference import Reference

_noted_files: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "noted_files", default=None
)


@contextlib.contextmanager
def user_code_context(search_paths: tuple[str, ...], workdir: str) -> Iterator[list[str]]:
    """Run the docs' code with its folders on ``sys.path`` and ``workdir`` as working directory.

    Yields a list that, on exit, holds the source files of the docs' own modules that were
    imported, and those :func:`note_files` named. Afterwards ``sys.path`` and the working
    directory are restored, and those modules are forgotten so that the next capture (perhaps
    of another project) imports them afresh.
    """
    saved_path = list(sys.path)
    saved_cwd = Path.cwd()
    modules_before = set(sys.modules)
    source_files: list[str] = []
    noted: list[str] = []
    token = _noted_files.set(noted)
    sys.path[:0] = search_paths
    os.chdir(workdir)
    try:
        yield source_files
    finally:
        _noted_files.reset(token)
        sys.path[:] = saved_path
        os.chdir(saved_cwd)
        new_modules = [name for name in list(sys.modules) if name not in modules_before]
        local = _modules_within(new_modules, search_paths)
        for name in local:
            del sys.modules[name]
        source_files[:] = sorted({*local.values(), *noted})
        importlib.invalidate_caches()


def note_files(paths: list[str]) -> None:
    """Count ``paths`` among the files the capture under way depends on, as if imported."""
    noted = _noted_files.get()
    if noted is not None:
        noted.extend(paths)


def module_files(module: str, search_paths: tuple[str, ...]) -> list[str]:
    """Where in ``search_paths`` a module of the docs would be, whether or not it is there:
    when one that could not be imported appears or changes, what depended on it is redone."""
    relative = Path(*module.split("."))
    return [
        str(Path(folder) / path)
        for folder in search_paths
        for path in (f"{relative}.py", relative / "__init__.py")
    ]


def _modules_within(names: list[str], search_paths: tuple[str, ...]) -> dict[str, str]:
    """Those of the named modules whose file lies in one of ``search_paths``: name → file.

    A module whose ``__file__`` is a bare name (torch._classes has "_classes.py") never matches.
    """
    folders = {Path(path) for path in search_paths} | {
        Path(path).resolve() for path in search_paths
    }
    prefixes = tuple(str(folder / "_")[:-1] for folder in folders)
    return {
        name: filename
        for name in names
        if isinstance(filename := getattr(sys.modules[name], "__file__", None), str)
        and filename.startswith(prefixes)
    }


def resolve(reference: Reference, user_dirs: tuple[str, ...]) -> Any:
    try:
        module = importlib.import_module(reference.module)
    except Exception as exc:
        if isinstance(exc, ModuleNotFoundError) and _is_module_or_parent(exc.name, reference):
            raise ArchvizError(
                "import",
                f"no module named {exc.name!r}: check the module path, or add its folder to "
                "archviz_sys_path (folders are relative to conf.py)",
            ) from None
        raise ArchvizError(
            "import", f"importing {reference.module} failed: {describe_exception(exc, user_dirs)}"
        ) from None
    found: Any = module
    owner = reference.module
    parts = reference.attribute.split(".")
    for index, part in enumerate(parts):
        if not hasattr(found, part):
            raise ArchvizError(
                "attribute", f"{owner} has no attribute {part!r}{_suggestion(found, part)}"
            )
        found = getattr(found, part)
        owner = f"{reference.module}:{'.'.join(parts[: index + 1])}"
    return found


def _is_module_or_parent(name: str | None, reference: Reference) -> bool:
    return name is not None and (reference.module + ".").startswith(name + ".")


def _suggestion(owner: Any, missing: str) -> str:
    names = [name for name in dir(owner) if not name.startswith("_")]
    close = difflib.get_close_matches(missing, names, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def materialize(
    found: Any,
    kwargs: Mapping[str, Any],
    is_model: Callable[[Any], bool],
    reference: Reference,
    user_dirs: tuple[str, ...],
) -> Any:
    """The model: ``found`` itself if it is one, else what calling it with ``kwargs`` returns."""
    if is_model(found):
        if kwargs:
            raise ArchvizError(
                "option",
                f"{reference.attribute} is already a model instance, so :kwargs: cannot apply; "
                "reference its class or factory function instead",
            )
        return found
    if not callable(found):
        raise ArchvizError(
            "not-a-model",
            f"{reference.attribute} is a {type(found).__name__}, not a model, a model class or "
            "a function returning a model",
        )
    try:
        model = found(**kwargs)
    except Exception as exc:
        raise ArchvizError(
            "factory",
            f"calling {reference.attribute}() raised {describe_exception(exc, user_dirs)}",
        ) from exc
    if not is_model(model):
        raise ArchvizError(
            "not-a-model",
            f"calling {reference.attribute}() returned {type(model).__name__}, which is not a "
            "model",
        )
    return model
