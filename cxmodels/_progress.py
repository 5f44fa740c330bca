"""A dependency-free progress bar for long loops (bootstrap, permutation tests)."""

from __future__ import annotations

import sys
import time


class Progress:
    """Report ``done/total`` on stderr, rewriting one line, at most every half second."""

    def __init__(self, total: int, desc: str, enabled: bool = True, stream=None):
        self.total, self.desc, self.enabled = total, desc, enabled and total > 0
        self.stream = stream or sys.stderr
        self.done, self._last, self._start = 0, 0.0, time.perf_counter()

    def update(self, k: int = 1) -> None:
        self.done += k
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.5 or self.done == self.total):
            self._last = now
            pct = 100 * self.done / self.total
            bar = "#" * int(pct // 5)
            self.stream.write(f"\r{self.desc}: [{bar:<20}] {self.done}/{self.total} "
                              f"({now - self._start:.1f} s)")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
