"""Live sources that come back by themselves: a reconnect policy and a source wrapper that follows it.

A camera's stream drops (connection refused, a hung server caught by the read timeout, or a
stream that simply ends) and :class:`ReconnectingSource` opens it again until it is back or someone
stops it. Each outage is logged once when it starts and once when the stream is back (URL masked).

How often it tries (:class:`ReconnectPolicy`, followed by :class:`Retry`; the RTSP publisher,
:mod:`streamer.sinks.rtsp_publish`, follows the same two for a server that went away): a full reopen
(RTSP handshake, probing the stream, waiting for a keyframe) costs the camera work, so full reopens
are spaced by capped exponential backoff with jitter. But a camera that is down has its port closed,
and asking that is nearly free: between full reopens, a TCP connect to the camera's address every
``probe_interval_s`` (0.25 s) says whether it answers again, and only then is a full reopen tried.
The backoff grows only with full reopens that failed while the port answered (a camera that is up
but does not serve the stream yet), so after a 30 s power cut the stream is reopened as soon as the
port answers, not at the next step of a backoff that grew during the outage. A camera that stays
down costs one refused TCP connect per probe interval, and no RTSP session. An address that is
not a TCP port (UDP) gets the backoff alone.

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
import socket
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

    Full reopen ``k`` (0-based) after an outage waits ``min(max_delay_s, initial_delay_s * factor**k)``
    seconds after the one before, times a random factor in ``[1 - jitter, 1 + jitter]`` so many
    cameras dropped together do not retry in lockstep. Where the address can be probed (a TCP
    port), a probe every ``probe_interval_s`` (jittered the same way; 0: no probes) decides whether a
    full reopen is tried at all (module docstring). ``enabled=False`` ends the stream at the first
    outage; ``wait_for_source`` keeps retrying a source that cannot be opened at start, too.
    """

    enabled: bool = True
    initial_delay_s: float = 0.5
    max_delay_s: float = 10.0
    factor: float = 2.0
    jitter: float = 0.2
    wait_for_source: bool = False
    probe_interval_s: float = 0.25
    probe_timeout_s: float = 1.0

    def __post_init__(self) -> None:
        if self.initial_delay_s <= 0 or self.max_delay_s < self.initial_delay_s:
            raise ConfigError(f"--reconnect-max-delay ({self.max_delay_s:g} s) must be at least the first wait "
                              f"({self.initial_delay_s:g} s), and both positive")
        if self.factor < 1:
            raise ConfigError(f"reconnect backoff factor must be at least 1, not {self.factor}")
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"reconnect jitter must be in [0, 1), not {self.jitter}")
        if self.probe_interval_s < 0 or self.probe_timeout_s <= 0:
            raise ConfigError("the reconnect probe interval must be at least 0 and its timeout positive")

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The waits before attempts 0, 1, 2, ... (endless)."""
        rng = rng or random.Random()
        delay = self.initial_delay_s
        while True:
            yield delay * rng.uniform(1 - self.jitter, 1 + self.jitter)
            delay = min(self.max_delay_s, delay * self.factor)


def tcp_probe(host: str, port: int, timeout_s: float) -> Callable[[], bool]:
    """A probe for :class:`Retry`: whether ``host:port`` accepts a TCP connection (closed at once)."""

    def probe() -> bool:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
        except OSError:
            return False
        return True

    return probe


class Retry:
    """The retries of one outage, as ``policy`` says: when to probe the address, when to reopen in full.

    The caller waits :meth:`wait_s`, then asks :meth:`ready` (which probes, when there is a
    ``probe``); when it answers yes, the caller reopens and calls :meth:`failed` if that did not
    work. ``attempts`` counts full reopens, ``probes`` the probes. Without a probe (an address
    that is not a TCP port) every step is a full reopen, spaced by the backoff.
    """

    def __init__(self, policy: ReconnectPolicy, probe: Callable[[], bool] | None = None,
                 rng: random.Random | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._probe = probe if policy.probe_interval_s > 0 else None
        self._rng = rng or random.Random()
        self._delays = policy.delays(self._rng)
        self._clock = clock
        self.attempts = 0
        self.probes = 0
        self._schedule(clock())

    def _schedule(self, now: float) -> None:
        """After the start of the outage or a failed reopen: the next reopen after the backoff's next
        wait, and probes from one probe interval on."""
        self._attempt_at = now + next(self._delays)
        self._next_at = self._attempt_at if self._probe is None else now + self._probe_wait()

    def _probe_wait(self) -> float:
        j = self._policy.jitter
        return self._policy.probe_interval_s * self._rng.uniform(1 - j, 1 + j)

    def wait_s(self) -> float:
        """Seconds until the next step (a probe, or a full reopen) is due."""
        return max(0.0, self._next_at - self._clock())

    def ready(self) -> bool:
        """Whether to reopen in full now: the step is due, the probe (if any) was answered and the
        backoff since the last failed reopen is over."""
        now = self._clock()
        if now < self._next_at:
            return False
        if self._probe is not None:
            self.probes += 1
            if not self._probe():
                self._next_at = self._clock() + self._probe_wait()
                return False
            if now < self._attempt_at:  # it answers, but the last full reopen failed a moment ago
                self._next_at = self._attempt_at
                return False
        self.attempts += 1
        return True

    def failed(self) -> None:
        """The full reopen that :meth:`ready` allowed did not work: back off."""
        self._schedule(self._clock())


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
    """One time the stream was gone: when (capture clock, s), for how long, why, how many full
    reopens and how many probes."""

    start_s: float
    duration_s: float
    reason: str
    attempts: int
    probes: int = 0


class ReconnectingSource:
    """A live source that reopens itself after outages (see the module docstring).

    ``opener()`` opens the underlying :class:`Stream` and raises :class:`SourceError` when it cannot;
    ``reopener()``, when given, opens it again after an outage (knowing the stream, it may probe less);
    ``probe()`` (see :func:`tcp_probe`), when given, says cheaply whether the address answers.
    ``stop()`` (or ``close()``) may be called from another thread: it wakes a waiting reconnect and
    ends ``read()``; that is how a recording's duration ends an outage.

    ``read()`` returns frames with ``index`` counting every frame delivered and ``pts_s``/``pts``
    (microseconds) on the capture clock; it returns ``None`` only when reconnecting is off, the
    source was stopped or closed, or a finite stream (a file served over HTTP) ended.
    """

    def __init__(self, opener: Callable[[], Stream], description: str, policy: ReconnectPolicy = ReconnectPolicy(),
                 rng: random.Random | None = None, probe: Callable[[], bool] | None = None,
                 reopener: Callable[[], Stream] | None = None) -> None:
        self._opener = opener
        self._reopener = reopener or opener
        self._probe = probe
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
            log.warning("%s; waiting for it, trying again %s (Ctrl-C to stop)", e,
                        how_retried(self.policy, self._probe is not None))
        retry = Retry(self.policy, self._probe, self._rng)
        while True:
            if self._closed.wait(retry.wait_s()):
                raise SourceError(f"stopped while waiting for {description}")
            if not retry.ready():
                continue
            try:
                source = self._opener()
            except SourceError:
                retry.failed()
                continue
            log.info("%s is up", description)
            return source

    def _reopen(self, reason: str) -> Frame | None:
        """Open the source again after an outage and read its first frame; ``None`` when told to stop first.

        An attempt counts only once a frame arrives: a server that accepts and then sends nothing
        is still down, and the outage is logged once, not once per attempt.
        """
        started = time.monotonic_ns()
        start_s = (started - self._origin_ns) / 1e9 if self._origin_ns is not None else 0.0
        log.warning("%s lost at %.1f s (%s): reconnecting %s", self.info.description, start_s, reason,
                    how_retried(self.policy, self._probe is not None))
        retry = Retry(self.policy, self._probe, self._rng)
        while True:
            if self._closed.wait(retry.wait_s()):
                self._record(start_s, started, reason, retry, recovered=False)
                return None
            if not retry.ready():
                continue
            frame = None
            try:
                source = self._reopener()
            except SourceError as e:
                log.debug("reconnect attempt %d failed: %s", retry.attempts, e)
                retry.failed()
                continue
            try:
                frame = source.read()
            except SourceError as e:
                log.debug("reconnect attempt %d failed: %s", retry.attempts, e)
            with self._lock:
                if frame is None or self._closed.is_set():
                    source.close()
                    if self._closed.is_set():
                        self._record(start_s, started, reason, retry, recovered=False)
                        return None
                    retry.failed()
                    continue
                self._source = source
            if (source.info.width, source.info.height) != (self.info.width, self.info.height):
                log.warning("%s came back at %dx%d (was %dx%d)", self.info.description, source.info.width,
                            source.info.height, self.info.width, self.info.height)
            self._record(start_s, started, reason, retry, recovered=True)
            return frame

    def _record(self, start_s: float, started_ns: int, reason: str, retry: Retry, recovered: bool) -> None:
        duration = (time.monotonic_ns() - started_ns) / 1e9
        self.outages.append(Outage(start_s, duration, reason, retry.attempts, retry.probes))
        if recovered:
            log.warning("%s is back after %.1f s (%s)", self.info.description, duration, tries(retry.attempts, retry.probes))

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


def how_retried(policy: ReconnectPolicy, probed: bool) -> str:
    """How an outage is retried, for the line that logs it."""
    if probed and policy.probe_interval_s > 0:
        return (f"as soon as its port answers (probed every {policy.probe_interval_s:g} s; full reopens spaced by "
                f"a backoff of up to {policy.max_delay_s:g} s)")
    return f"with backoff up to {policy.max_delay_s:g} s"


def tries(attempts: int, probes: int) -> str:
    """``2 attempts, 31 probes``: how hard an outage was retried, for the log."""
    text = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    return text + (f", {probes} probe{'' if probes == 1 else 's'}" if probes else "")
