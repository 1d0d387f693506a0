"""What ``archviz-diff`` costs against drawing one model: two 32-layer decoders that differ in
one layer's width, captured in this process (trace + DOT) and laid out by Graphviz.

    python benchmarks/diff_cost.py        (under flock /work/bench.lock on a shared machine)
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "models")]

from sphinx_archviz.capture import capture  # noqa: E402
from sphinx_archviz.request import CaptureRequest, ExampleInput  # noqa: E402

ONE = CaptureRequest(
    "torch_models:decoder_with_a_wider_layer_7",
    "torch",
    (ExampleInput((1, 64)),),
    view="modules",
    search_paths=(str(ROOT / "tests" / "models"),),
)
DIFF = CaptureRequest(**{**ONE.__dict__, "compare_to": "torch_models:decoder"})


def drawn(request: CaptureRequest) -> tuple[float, float]:
    """Seconds to capture and lay out the diagram as SVG: on the clock, and of processor time
    (this process's and Graphviz's), which other work on a shared machine disturbs less."""
    started, cpu = time.perf_counter(), _processor_time()
    dot = capture(request).dot
    subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, _processor_time() - cpu


def _processor_time() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


ROUNDS = 11


def main() -> None:
    drawn(ONE)  # imports and warms up torch
    drawn(DIFF)
    one, both = [], []
    for _ in range(ROUNDS):  # alternately, so that a change in the machine's load hits both
        one.append(drawn(ONE))
        both.append(drawn(DIFF))
    for index, what in enumerate(("clock", "processor")):
        single = statistics.median(times[index] for times in one)
        double = statistics.median(times[index] for times in both)
        print(
            f"{what}: one decoder {single:.3f} s, diff of two {double:.3f} s "
            f"(medians of {ROUNDS}, alternately): {double / single:.2f} ×"
        )


if __name__ == "__main__":
    main()
