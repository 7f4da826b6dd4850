"""A one-line progress bar with ETA on stderr (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from streamer.counts import count


def _clock(seconds: float) -> str:
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """Redraws at most ``hz`` times a second: ``[#####.....]  40%  120/300  25.1 fps  ETA 0:00:07``."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr, enabled: bool | None = None, hz: float = 4.0) -> None:
        self.total = total
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._period = 1.0 / hz
        self._start = time.monotonic()
        self._last = 0.0
        self._shown = False

    def line(self, done: int, dropped: int = 0) -> str:
        elapsed = time.monotonic() - self._start
        fps = done / elapsed if elapsed > 0 else 0.0
        extra = f"  {dropped} dropped" if dropped else ""
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
            eta = (self.total - done) / fps if fps > 0 else 0.0
            return f"[{bar}] {frac:4.0%}  {done}/{self.total}  {fps:5.1f} fps  ETA {_clock(eta)}{extra}"
        return f"{count(done, 'frame')}  {fps:5.1f} fps  {_clock(elapsed)}{extra}"

    def update(self, done: int, dropped: int = 0) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self._period:
            return
        self._last = now
        self.stream.write("\r" + self.line(done, dropped) + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
