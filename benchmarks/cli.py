"""``archviz render`` of the seed CNN from a cold start, against the seed's own torchviz script,
measured in the same run on the same machine, alternating, several times each.

    python benchmarks/cli.py [--repeat 5] [--output benchmarks/results/cli.md]

Cold start: a fresh process and no cache (``--no-cache``), so the command imports archviz,
starts a torch worker, captures the model and runs Graphviz, exactly as a first run does. The
seed script imports torch, runs the model, and renders a PNG with Graphviz.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT)}
COMMANDS = {
    "seed script (torchviz, PNG)": [sys.executable, str(ROOT / "benchmarks/seed/cnn_model.py")],
    "archviz render → SVG, cold": [
        sys.executable,
        "-m",
        "sphinx_archviz",
        "render",
        "models:CNNModel",
        "--input-shape",
        "1,1,64,64",
        "--sys-path",
        str(ROOT / "docs"),
        "--no-cache",
        "-q",
        "-o",
        "cnn.svg",
    ],
}


def seconds(command: list[str], folder: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/cli.md")
    options = parser.parse_args()
    repeat = options.repeat
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:
        for command in COMMANDS.values():  # warm the disk cache once, not measured
            seconds(command, folder)
        for _ in range(repeat):
            for name, command in COMMANDS.items():
                times[name].append(seconds(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    seed, cli = medians.values()
    rows = [
        "| | median | runs |",
        "|---|---|---|",
        *(
            f"| {name} | {medians[name]:.2f} s | {' '.join(f'{value:.2f}' for value in values)} |"
            for name, values in times.items()
        ),
        "",
        f"archviz render / seed script: **{cli / seed:.2f}** (load average during the run: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
    ]
    print("\n".join(rows))
    options.output.write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
