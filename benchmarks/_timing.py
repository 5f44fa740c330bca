"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""

from __future__ import annotations

import time

import numpy as np


def median_time(fn, runs: int):
    """Median wall time of ``runs`` calls of ``fn`` (seconds), and the last call's result."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out
