"""Draw every architecture in transformers' MODEL_MAPPING from its default configuration, on the
meta device, in one build, and tabulate what each diagram cost.

    nox -s hf-zoo            (or: python benchmarks/hf_zoo.py [--sample N] [-j N])

Each page is ``transformers:AutoModel`` with ``:config: {"model_type": ...}`` in the modules
view; nothing is downloaded. Writes benchmarks/results/hf-zoo.md (the docs' performance page
includes it). ``--sample N`` draws every N-th architecture only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from zoo import ENV, ROOT, build, report, tabulate

LIST_ARCHITECTURES = (
    "import json; from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES; "
    "print(json.dumps(sorted(MODEL_MAPPING_NAMES)))"
)


def architectures(sample: int) -> list[str]:
    output = subprocess.run(
        [sys.executable, "-c", LIST_ARCHITECTURES],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])[::sample]


def make_zoo(srcdir: Path, names: list[str]) -> dict[str, str]:
    """Write the site; page name → reference."""
    srcdir.mkdir(parents=True)
    (srcdir / "conf.py").write_text("extensions = ['sphinx_archviz']\narchviz_timeout = 60\n")
    pages: dict[str, str] = {}
    for name in names:
        page = f"hf_{name.replace('-', '_')}"
        pages[page] = f"transformers:AutoModel ({name})"
        config = json.dumps({"model_type": name})
        (srcdir / f"{page}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. archviz:: transformers:AutoModel\n"
            f"   :config: {config}\n   :view: modules\n"
        )
    toctree = "".join(f"   {page}\n" for page in pages)
    (srcdir / "index.rst").write_text(f"Zoo\n===\n\n.. toctree::\n   :maxdepth: 1\n\n{toctree}")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/hf-zoo.md")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=1, help="draw every N-th architecture")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archviz-hf-zoo-") as temporary:
        srcdir = Path(temporary) / "zoo"
        pages = make_zoo(srcdir, architectures(args.sample))
        cold, log = build(srcdir, args.jobs)
        rebuild, _ = build(srcdir, args.jobs)
        rows = tabulate(pages, log, srcdir / "_build")
    text = report(rows, cold, rebuild, args.jobs)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
