"""Counts as text, the same in diagrams (written by workers) and tables (by Sphinx)."""

from __future__ import annotations


def format_macs(macs: int) -> str:
    """``0``, ``832``, ``118M``, ``4.09G``: multiply-accumulates, SI prefixes."""
    for limit, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if macs >= limit:
            return f"{macs / limit:.3g}{prefix}"
    return str(macs)


def format_bytes(count: int) -> str:
    """``512 B``, ``3.06 MiB``: memory, binary prefixes."""
    for limit, prefix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if count >= limit:
            return f"{count / limit:.3g} {prefix}"
    return f"{count} B"


def format_number(value: float) -> str:
    """``0.25``, ``-3.5``, ``812``, ``12.3K``: a number of the docs' own (``:overlay:``),
    three significant digits."""
    value = float(f"{value:.3g}")
    for limit, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"
