"""Run a command and report its wall time and the peak memory of its whole process tree.

    python benchmarks/peak.py -- sphinx-build -b html docs out

Peak RSS is the largest sum of the resident memory of the command and all its descendants
(Sphinx plus its framework workers), sampled every 20 ms from /proc (Linux only).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    """The resident memory of ``root`` and all its descendants now, in KiB."""
    return sum(rss_kib(pid) for pid in descendants(root))


def measure(command: list[str]) -> tuple[float, float, int]:
    """(seconds, peak MiB of the process tree, exit code)."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kib(process.pid))
        time.sleep(0.02)
    return time.perf_counter() - started, peak / 1024, process.returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    seconds, peak_mib, code = measure(arguments)
    print(f"{seconds:.2f} s  peak {peak_mib:.0f} MiB  exit {code}")
    sys.exit(code)
