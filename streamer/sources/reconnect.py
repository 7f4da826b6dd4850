"""Live sources that come back by themselves: a reconnect policy and a source wrapper that follows it.

A camera's stream drops (connection refused, a hung server caught by the read timeout, or a
stream that simply ends) and :class:`ReconnectingSource` opens it again, waiting between attempts
with capped exponential backoff and jitter, until it is back or someone stops it.
Each outage is logged once when it starts and once when the stream is back (URL masked).
A recording's ``--duration`` is not this module's business: the pipeline owns that deadline and
calls :meth:`ReconnectingSource.stop` when it passes during an outage.

Timestamps stay on one capture clock that starts at the first frame, so an outage shows as a gap
in the recording. Frames after a reconnect may have another size; the burst buffer and the sink
adapt to it.

A source that cannot be opened at all at start is not an outage: it fails at once with the
source's own one-line error (a typo in a URL must not look like a camera that is down), unless
``ReconnectPolicy.wait_for_source`` asks to keep trying.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from streamer.errors import ConfigError, SourceError
from streamer.frame import Frame, StreamInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconnectPolicy:
    """When and how often a dropped live source is opened again.

    Attempt ``k`` (0-based) after an outage waits ``min(max_delay_s, initial_delay_s * factor**k)``
    seconds, times a random factor in ``[1 - jitter, 1 + jitter]`` so many cameras dropped together
    do not retry in lockstep. ``enabled=False`` ends the stream at the first outage;
    ``wait_for_source`` keeps retrying a source that cannot be opened at start, too.
    """

    enabled: bool = True
    initial_delay_s: float = 0.5
    max_delay_s: float = 10.0
    factor: float = 2.0
    jitter: float = 0.2
    wait_for_source: bool = False

    def __post_init__(self) -> None:
        if self.initial_delay_s <= 0 or self.max_delay_s < self.initial_delay_s:
            raise ConfigError(f"--reconnect-max-delay ({self.max_delay_s:g} s) must be at least the first wait "
                              f"({self.initial_delay_s:g} s), and both positive")
        if self.factor < 1:
            raise ConfigError(f"reconnect backoff factor must be at least 1, not {self.factor}")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"reconnect jitter must be in [0, 1), not {self.jitter}")

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The waits before attempts 0, 1, 2, ... (endless)."""
        rng = rng or random.Random()
        delay = self.initial_delay_s
        while True:
            yield delay * rng.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(self.max_delay_s, delay * self.factor)


class Stream(Protocol):
    """One connection that :class:`ReconnectingSource` opens (e.g. a
    :class:`~streamer.sources.network.NetworkSource`): a source that says how it ended.

    ``finite``: the stream has a known length (a file served over HTTP), so its end is not an
    outage. ``end_reason``: after ``read`` returned ``None``, why (credentials masked), or ``None``.
    """

    info: StreamInfo
    finite: bool
    end_reason: str | None

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Outage:
    """One time the stream was gone: when (capture clock, s), for how long, why, how many tries."""

    start_s: float
    duration_s: float
    reason: str
    attempts: int


class ReconnectingSource:
    """A live source that reopens itself after outages (see the module docstring).

    ``opener()`` opens the underlying :class:`Stream` and raises :class:`SourceError` when it cannot.
    ``stop()`` (or ``close()``) may be called from another thread: it wakes a waiting reconnect and
    ends ``read()``; that is how a recording's duration ends an outage.

    ``read()`` returns frames with ``index`` counting every frame delivered and ``pts_s``/``pts``
    (microseconds) on the capture clock; it returns ``None`` only when reconnecting is off, the
    source was stopped or closed, or a finite stream (a file served over HTTP) ended.
    """

    def __init__(self, opener: Callable[[], Stream], description: str, policy: ReconnectPolicy = ReconnectPolicy(),
                 rng: random.Random | None = None) -> None:
        self._opener = opener
        self.policy = policy
        self._rng = rng or random.Random()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._reading = False
        self._origin_ns: int | None = None
        self._index = 0
        self.outages: list[Outage] = []
        self._summed_up = False
        self._source = self._open_first(description)
        self.info: StreamInfo = self._source.info

    # -- opening ----------------------------------------------------------------------------
    def _open_first(self, description: str) -> Stream:
        try:
            return self._opener()
        except SourceError as e:
            if not self.policy.wait_for_source:
                raise
            log.warning("%s; waiting for it (retrying with backoff up to %.0f s; Ctrl-C to stop)",
                        e, self.policy.max_delay_s)
        for delay in self.policy.delays(self._rng):
            if self._closed.wait(delay):
                raise SourceError(f"stopped while waiting for {description}")
            try:
                source = self._opener()
            except SourceError:
                continue
            log.info("%s is up", description)
            return source
        raise AssertionError("unreachable: delays() is endless")

    def _reopen(self, reason: str) -> Frame | None:
        """Open the source again after an outage and read its first frame; ``None`` when told to stop first.

        An attempt counts only once a frame arrives: a server that accepts and then sends nothing
        is still down, and the outage is logged once, not once per attempt.
        """
        started = time.monotonic_ns()
        start_s = (started - self._origin_ns) / 1e9 if self._origin_ns is not None else 0.0
        log.warning("%s lost at %.1f s (%s): reconnecting, retrying with backoff up to %.0f s",
                    self.info.description, start_s, reason, self.policy.max_delay_s)
        attempts = 0
        for delay in self.policy.delays(self._rng):
            if self._closed.wait(delay):
                self._record(start_s, started, reason, attempts, recovered=False)
                return None
            attempts += 1
            frame = None
            try:
                source = self._opener()
            except SourceError as e:
                log.debug("reconnect attempt %d failed: %s", attempts, e)
                continue
            try:
                frame = source.read()
            except SourceError as e:
                log.debug("reconnect attempt %d failed: %s", attempts, e)
            with self._lock:
                if frame is None or self._closed.is_set():
                    source.close()
                    if self._closed.is_set():
                        self._record(start_s, started, reason, attempts, recovered=False)
                        return None
                    continue
                self._source = source
            if (source.info.width, source.info.height) != (self.info.width, self.info.height):
                log.warning("%s came back at %dx%d (was %dx%d)", self.info.description, source.info.width,
                            source.info.height, self.info.width, self.info.height)
            self._record(start_s, started, reason, attempts, recovered=True)
            return frame
        raise AssertionError("unreachable: delays() is endless")

    def _record(self, start_s: float, started_ns: int, reason: str, attempts: int, recovered: bool) -> None:
        duration = (time.monotonic_ns() - started_ns) / 1e9
        self.outages.append(Outage(start_s, duration, reason, attempts))
        if recovered:
            log.warning("%s is back after %.1f s (%d attempt%s)", self.info.description, duration, attempts,
                        "" if attempts == 1 else "s")

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> Frame | None:
        with self._lock:
            source = self._source
            if source is None or self._closed.is_set():
                return None
            self._reading = True
        try:
            frame, reason = self._read_one(source)
            if frame is None and reason is not None:
                with self._lock:
                    self._close_source()
                if not self._closed.is_set() and self.policy.enabled:
                    frame = self._reopen(reason)
        finally:
            with self._lock:
                self._reading = False
                if self._closed.is_set():
                    self._close_source()
        return None if frame is None else self._restamp(frame)

    def _read_one(self, source: Stream) -> tuple[Frame | None, str | None]:
        """The next frame, or ``None`` and why the stream broke (``None``: a finite stream's real end)."""
        try:
            frame = source.read()
        except SourceError as e:
            if self._origin_ns is None:
                raise  # nothing ever came: the source is not working at all
            return None, str(e)
        if frame is None:
            if source.finite:
                return None, None
            return None, source.end_reason or "the stream ended"
        return frame, ""

    def _restamp(self, frame: Frame) -> Frame:
        """One capture clock for the whole recording: an outage leaves a gap in the timestamps."""
        if self._origin_ns is None:
            self._origin_ns = frame.captured_ns
        elapsed_us = (frame.captured_ns - self._origin_ns) // 1000
        out = dataclasses.replace(frame, index=self._index, pts_s=elapsed_us / 1e6, pts=elapsed_us)
        self._index += 1
        return out

    # -- closing ----------------------------------------------------------------------------
    def _close_source(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

    def stop(self) -> None:
        """End ``read()`` from another thread (the pipeline calls it when interrupted or out of time): wakes a
        reconnect wait; the source is closed here, or by the reader once its read returns."""
        self._closed.set()
        with self._lock:
            if not self._reading:
                self._close_source()

    def close(self) -> None:
        """Stop (see :meth:`stop`) and, the first time, sum up the outages."""
        self.stop()
        if self._summed_up:
            return
        self._summed_up = True
        if self.outages:
            lost = sum(o.duration_s for o in self.outages)
            log.warning("%s: %d outage%s, %.1f s without video in all", self.info.description, len(self.outages),
                        "" if len(self.outages) == 1 else "s", lost)
