"""Run a command and report its wall time and the peak memory of its whole process tree.

    python benchmarks/peak.py -- sphinx-build -b html docs out

Peak memory is the largest sum of the proportional set size (PSS: resident memory, a page
shared by N processes counted 1/N in each) of the command and all its descendants (Sphinx, its
framework processes and the children they fork, which share the framework's pages), sampled
every 20 ms from /proc (Linux only; RSS where PSS is not available).
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


def memory_kib(pid: int) -> int:
    """The process's proportional set size (its resident memory, shared pages divided among
    the processes sharing them), or its RSS if the kernel does not report PSS."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def tree_rss_kib(root: int) -> int:
    """The memory of ``root`` and all its descendants now, in KiB (see :func:`memory_kib`)."""
    return sum(memory_kib(pid) for pid in descendants(root))


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
