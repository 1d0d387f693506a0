"""A content-addressed store of captured diagrams, so unchanged diagrams cost nothing.

An entry's key is the hash of everything that decides the DOT source and is known before the
model is imported: the capture request (reference, options, config values that matter) and the
versions of archviz, the frameworks and the referenced package's distribution. The entry also
records the hashes of the docs' own source files the model came from, which the worker reports;
it is used only while they are unchanged. Entries are written atomically and carry a checksum,
so a partial or corrupt one is detected and recomputed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import tempfile
from importlib import metadata
from pathlib import Path

from sphinx_archviz.frameworks import FRAMEWORK_INFO
from sphinx_archviz.request import Capture, CaptureRequest, Change, Note, Summary, SummaryRow
from sphinx_archviz.state import code_digest

#: Distributions whose version changes what a capture produces.
_TRACKED_DISTRIBUTIONS = (
    "sphinx-archviz",
    *(name for info in FRAMEWORK_INFO.values() for name in info.drawing_distributions),
)
_FORMAT = 1


class DiagramCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def key(self, request: CaptureRequest) -> str:
        payload = {
            "format": _FORMAT,
            "request": dataclasses.asdict(request),
            "versions": {
                **_versions(_package_of(request), request.search_paths),
                **_versions(_top_package(request.overlay), request.search_paths),
            },
            "archviz": code_digest(),  # the capture code is spread over the package,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def get(self, key: str) -> Capture | None:
        """The stored capture, or None if there is none, it is damaged or its sources changed."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            capture = Capture(
                dot=entry["dot"],
                source_files=tuple(entry["sources"]),
                seconds=entry["seconds"],
                notes=tuple(Note(**note) for note in entry.get("notes", ())),
                summary=_summary_from_json(entry.get("summary")),
                changes=tuple(Change(**change) for change in entry.get("changes", ())),
                hierarchy=entry["hierarchy"],
                first_sight=entry["first_sight"],
            )
            if entry["checksum"] != _sha256(capture.dot.encode()):
                return None
            if entry["sources"] != _hash_files(capture.source_files):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return capture

    def put(self, key: str, capture: Capture) -> None:
        entry = {
            "dot": capture.dot,
            "checksum": _sha256(capture.dot.encode()),
            "sources": _hash_files(capture.source_files),
            "seconds": capture.seconds,
            "notes": [dataclasses.asdict(note) for note in capture.notes],
            "summary": dataclasses.asdict(capture.summary) if capture.summary else None,
            "changes": [dataclasses.asdict(change) for change in capture.changes],
            "hierarchy": capture.hierarchy,
            "first_sight": capture.first_sight,
        }
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=".tmp-", delete=False
        ) as temporary:
            json.dump(entry, temporary, sort_keys=True)
        Path(temporary.name).replace(path)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"


def _summary_from_json(value: dict | None) -> Summary | None:
    if value is None:
        return None
    rows = tuple(SummaryRow(**row) for row in value["rows"])
    return Summary(**{**value, "rows": rows})


def _hash_files(paths: tuple[str, ...]) -> dict[str, str]:
    """Each file's hash; "" for one that cannot be read (a module that is not there yet)."""
    hashes = {}
    for path in paths:
        hashes[path] = ""
        with contextlib.suppress(OSError):
            hashes[path] = _sha256(Path(path).read_bytes())
    return hashes


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _package_of(request: CaptureRequest) -> str:
    """The top-level package the model comes from; "" for a model file."""
    if FRAMEWORK_INFO[request.framework].file_suffix:
        return ""
    return _top_package(request.reference)


def _top_package(reference: str) -> str:
    """``torchvision`` for ``torchvision.models:resnet18``; "" for no reference."""
    return reference.partition(":")[0].partition(".")[0]


@functools.cache
def _versions(package: str, search_paths: tuple[str, ...]) -> dict[str, str]:
    return _installed({*_TRACKED_DISTRIBUTIONS, *_distributions_of(package, search_paths)})


def _distributions_of(package: str, search_paths: tuple[str, ...]) -> list[str]:
    """The installed distributions that provide ``package``: none for the docs' own code
    (found in ``search_paths``), else the one named like it, else those whose files hold it
    (reading every distribution's file list takes seconds, so that comes last)."""
    if not package:
        return []
    for folder in map(Path, search_paths):
        if (folder / package).is_dir() or (folder / f"{package}.py").is_file():
            return []
    with contextlib.suppress(metadata.PackageNotFoundError):
        return [metadata.distribution(package).metadata["Name"]]
    return metadata.packages_distributions().get(package, [])


@functools.cache
def framework_versions() -> dict[str, str]:
    """The installed versions of archviz, the frameworks and their drawing libraries."""
    return _installed(set(_TRACKED_DISTRIBUTIONS))


def _installed(names: set[str]) -> dict[str, str]:
    versions = {}
    for name in sorted(names):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions
