"""``archviz render`` of the seed CNN from a cold start, against the seed's own torchviz script,
measured in the same run on the same machine, alternating, several times each.

    flock /work/bench.lock python benchmarks/cli.py [--repeat 5]

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
    repeat = parser.parse_args().repeat
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:
        for command in COMMANDS.values():  # warm the disk cache once, not measured
            seconds(command, folder)
        for _ in range(repeat):
            for name, command in COMMANDS.items():
                times[name].append(seconds(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    seed, cli = medians.values()
    for name, values in times.items():
        runs = " ".join(f"{value:.2f}" for value in values)
        print(f"{name:30} median {medians[name]:.2f} s  (runs: {runs})")
    print(f"ratio archviz render / seed script: {cli / seed:.2f}")


if __name__ == "__main__":
    main()
