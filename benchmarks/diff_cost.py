"""What ``archviz-diff`` costs against drawing one model: two 32-layer decoders that differ in
one layer's width, captured in this process (trace + DOT) and laid out by Graphviz.

    python benchmarks/diff_cost.py        (under flock /work/bench.lock on a shared machine)
"""

from __future__ import annotations

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


def drawn(request: CaptureRequest) -> float:
    """Seconds to capture and lay out the diagram as SVG."""
    started = time.perf_counter()
    dot = capture(request).dot
    subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    drawn(ONE)  # imports and warms up torch
    one = [drawn(ONE) for _ in range(5)]
    both = [drawn(DIFF) for _ in range(5)]
    ratio = statistics.median(both) / statistics.median(one)
    print(
        f"one decoder {statistics.median(one):.3f} s, diff of two {statistics.median(both):.3f} s "
        f"(medians of 5): {ratio:.2f} ×"
    )


if __name__ == "__main__":
    main()
