"""One capture clock for a camera that runs for days: across the sources it opens one after another.

A camera of ``streamer run`` records into one output while its source may be opened several times
(a stream that could not be opened at first, a file played over and over). Each opening starts
its own frame index and timestamps at 0; the output needs them to keep increasing. A
:class:`CaptureClock` restamps the frames of every source it wraps: ``index`` counts every frame
read (so frames dropped later still leave gaps), ``pts_s``/``pts`` (microseconds) are seconds since
the camera's first frame, from ``captured_ns``: time spent without a source is a gap in the
recording, as for a stream that reconnects (:mod:`streamer.sources.reconnect`).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from streamer.frame import Frame, StreamInfo
from streamer.sources import Source, Stoppable

TIME_BASE = Fraction(1, 1_000_000)


class CaptureClock:
    """The clock of one camera; :meth:`wrap` each source it opens."""

    def __init__(self) -> None:
        self._origin_ns: int | None = None
        self._index = 0

    def wrap(self, source: Source) -> Clocked:
        return Clocked(source, self)

    def stamp(self, frame: Frame) -> Frame:
        if self._origin_ns is None:
            self._origin_ns = frame.captured_ns
        elapsed_us = max(0, frame.captured_ns - self._origin_ns) // 1000
        out = dataclasses.replace(frame, index=self._index, pts_s=elapsed_us / 1e6, pts=elapsed_us)
        self._index += 1
        return out


class Clocked:
    """``source`` with its frames on ``clock``; its info says live, microsecond time base, no media
    file or live audio to copy other streams from (a camera of ``streamer run`` records its video only)."""

    def __init__(self, source: Source, clock: CaptureClock) -> None:
        self._source = source
        self._clock = clock
        self.info: StreamInfo = dataclasses.replace(source.info, live=True, time_base=TIME_BASE, media_path=None,
                                                    audio=None, frame_count=None, duration_s=None)

    def read(self) -> Frame | None:
        frame = self._source.read()
        return None if frame is None else self._clock.stamp(frame)

    def stop(self) -> None:
        if isinstance(self._source, Stoppable):
            self._source.stop()

    def close(self) -> None:
        self._source.close()
