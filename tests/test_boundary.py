"""The process boundary: the Sphinx process (and the readers it forks) never imports the worker
package ``sphinx_archviz.capture``, PyTorch or TensorFlow; only the framework workers do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import DIAGRAM_KEY, requires_dot, write_site

pytestmark = [pytest.mark.framework, pytest.mark.slow, requires_dot]

#: Run in a fresh interpreter: note every import of a worker-only module by any process that
#: inherits the finder (the build and the readers it forks; workers start afresh), then build.
_BUILD_AND_RECORD_IMPORTS = textwrap.dedent(
    """
    import os, sys

    WORKER_ONLY = ("sphinx_archviz.capture", "torch", "torchvision", "tensorflow", "keras")
    journal = sys.argv[1]

    class NoteWorkerOnlyImports:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in WORKER_ONLY[1:] or name.startswith(WORKER_ONLY[0]):
                with open(journal, "a") as out:
                    out.write(f"{os.getpid()} imported {name}\\n")
            return None

    sys.meta_path.insert(0, NoteWorkerOnlyImports())
    from sphinx.cmd.build import main

    sys.exit(main(sys.argv[2:]))
    """
)


def test_a_build_with_torch_and_keras_diagrams_never_imports_the_worker_package(
    tmp_path: Path,
) -> None:
    # Six pages, so that Sphinx forks readers with -j 2.
    pages = {
        f"page{number}.rst": f"Page {number}\n======\n\n"
        ".. archviz:: torch_models:TinyMLP\n   :input-shape: 2, 4\n\n"
        ".. archviz:: keras_models:image_classifier\n"
        for number in range(6)
    }
    toctree = "\n".join(f"   page{number}" for number in range(6))
    pages["index.rst"] = f"Boundary\n========\n\n.. toctree::\n\n{toctree}\n"
    site = write_site(tmp_path / "src", pages)
    journal = tmp_path / "imports.txt"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _BUILD_AND_RECORD_IMPORTS,
            str(journal),
            "-j",
            "2",
            "-b",
            "html",
            str(site),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    for number in range(6):
        page = (tmp_path / "out" / f"page{number}.html").read_text(encoding="utf-8")
        assert len(DIAGRAM_KEY.findall(page)) == 2
    imports = journal.read_text() if journal.exists() else ""
    assert imports == ""
