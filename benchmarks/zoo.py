"""Build one page per torchvision classification model and per keras.applications model, and
tabulate what each diagram cost.

    nox -s zoo            (or: python benchmarks/zoo.py [--output FILE] [-j N])

Writes benchmarks/results/zoo.md (the docs' performance page includes it): per model its
edges, capture time, layout time, file size and any warning; the slowest ten; and the cold
build and no-change rebuild times of the whole site.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "NO_COLOR": "1"}
LIST_TORCHVISION = (
    "import json, torchvision; "
    "print(json.dumps(torchvision.models.list_models(module=torchvision.models)))"
)
LIST_KERAS = (
    "import json, keras; print(json.dumps(sorted(n for n in dir(keras.applications) "
    "if n[0].isupper() and callable(getattr(keras.applications, n)))))"
)
CAPTURED = re.compile(r"^archviz: (\S+) \((.+?):\d+\): (?:rendered in ([\d.]+) s|cached)", re.M)
LAID_OUT = re.compile(
    r"^archviz: (\S+) \((.+?):\d+\): (archviz-\S+) laid out in ([\d.]+) s \((\d+) edges\)", re.M
)
WARNING = re.compile(r"^(.+?):\d+: WARNING: (.*)$", re.M)


@dataclass
class Row:
    page: str
    reference: str
    edges: int = 0
    capture: float = 0.0
    layout: float = 0.0
    kib: float = 0.0
    problem: str = ""


def list_models(code: str) -> list[str]:
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def make_zoo(srcdir: Path) -> dict[str, str]:
    """Write the site; page name → reference."""
    srcdir.mkdir(parents=True)
    (srcdir / "conf.py").write_text("extensions = ['sphinx_archviz']\n")
    pages: dict[str, str] = {}
    for name in list_models(LIST_TORCHVISION):
        # Batch 2 for inception_v3: its auxiliary head's batch norm needs two values in training.
        shape = "2, 3, 299, 299" if name == "inception_v3" else "1, 3, 224, 224"
        pages[f"torch_{name}"] = f"torchvision.models:{name}"
        (srcdir / f"torch_{name}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. archviz:: torchvision.models:{name}\n"
            f"   :input-shape: {shape}\n"
        )
    for name in list_models(LIST_KERAS):
        pages[f"keras_{name}"] = f"keras.applications:{name}"
        (srcdir / f"keras_{name}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. archviz:: keras.applications:{name}\n"
            '   :kwargs: {"weights": null}\n'
        )
    toctree = "".join(f"   {page}\n" for page in pages)
    (srcdir / "index.rst").write_text(f"Zoo\n===\n\n.. toctree::\n   :maxdepth: 1\n\n{toctree}")
    return pages


def build(srcdir: Path, jobs: int) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-v",
            "-b",
            "html",
            "-j",
            str(jobs),
            str(srcdir),
            str(srcdir / "_build"),
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    return time.perf_counter() - started, result.stdout + result.stderr


def tabulate(pages: dict[str, str], log: str, outdir: Path) -> list[Row]:
    rows = {page: Row(page, reference) for page, reference in pages.items()}
    for _reference, path, seconds in CAPTURED.findall(log):
        rows[Path(path).stem].capture = float(seconds or 0)
    for _reference, path, image, seconds, edges in LAID_OUT.findall(log):
        row = rows[Path(path).stem]
        row.layout, row.edges = float(seconds), int(edges)
        with_size = outdir / "_images" / image
        row.kib = with_size.stat().st_size / 1024 if with_size.exists() else 0
    for path, message in WARNING.findall(log):
        page = Path(path).stem
        if page in rows:
            rows[page].problem = " ".join(message.split())[:120]
    return list(rows.values())


def report(rows: list[Row], cold: float, rebuild: float, jobs: int) -> str:
    failures = [row for row in rows if row.problem or not row.kib]
    layouts = [row.layout for row in rows if row.kib]
    laid_out = (
        f"layout median {statistics.median(layouts):.2f} s, longest {max(layouts):.2f} s"
        if layouts
        else "nothing laid out"
    )
    lines = [
        f"{len(rows) - len(failures)}/{len(rows)} models drawn without a warning; cold build "
        f"(-j {jobs}) {cold:.0f} s, no-change rebuild {rebuild:.1f} s; {laid_out}.",
        "",
        "Slowest ten (capture + layout):",
        "",
        "| model | edges | capture | layout | file |",
        "|---|---:|---:|---:|---:|",
    ]

    def line(row: Row) -> str:
        return (
            f"| `{row.reference}` | {row.edges} | {row.capture:.2f} s | {row.layout:.2f} s "
            f"| {row.kib:.0f} KiB |"
        )

    slowest = sorted(rows, key=lambda row: row.capture + row.layout, reverse=True)[:10]
    lines += [line(row) for row in slowest]
    lines += [
        "",
        "All models:",
        "",
        "| model | edges | capture | layout | file | problem |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [f"{line(row)} {row.problem or ''} |" for row in rows]
    return "\n".join(lines) + "\n"


def _load() -> str:
    """The machine's load average: on a shared machine the times move with it."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/zoo.md")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the site here and keep it")
    args = parser.parse_args()
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="archviz-zoo-") as temporary:
        srcdir = args.keep or Path(temporary) / "zoo"
        pages = make_zoo(srcdir)
        cold, log = build(srcdir, args.jobs)
        rebuild, _ = build(srcdir, args.jobs)
        rows = tabulate(pages, log, srcdir / "_build")
    text = report(rows, cold, rebuild, args.jobs)
    load = f"Load average (1, 5, 15 min): {load_before} at the start, {_load()} at the end."
    text = f"{load}\n\n{text}"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
