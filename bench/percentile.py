"""The one percentile the benches report, taken the same way by each of them."""

from __future__ import annotations


def p99(values: list[float]) -> float:
    """The 99th percentile by nearest rank: of 100 samples the 99th smallest, not the largest
    (bench/run.py took the largest until 2026-12-03; its step row shows the largest beside it)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
