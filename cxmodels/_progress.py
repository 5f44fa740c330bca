"""One progress bar for every long loop (bootstraps, permutation tests, the value chain).

Every public function with a long loop takes ``progress=None``: ``None`` shows the bar when
standard error is a terminal and no ``CI`` environment variable is set (so logs and CI stay
clean), ``True`` always shows it, ``False`` never does.  No dependency: the bar rewrites one
line on stderr at most twice a second.
"""

from __future__ import annotations

import os
import sys
import time


def progress_enabled(progress: bool | None, stream=None) -> bool:
    """Resolve the ``progress`` argument (see module docstring)."""
    if progress is not None:
        return bool(progress)
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("CI")


class Progress:
    """Report ``done/total`` on stderr, rewriting one line, at most every half second."""

    def __init__(self, total: int, desc: str, progress: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.desc = total, desc
        self.enabled = progress_enabled(progress, self.stream) and total > 0
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
