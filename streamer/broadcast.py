"""One live pipeline per source, shared by every viewer: the service behind ``streamer serve``.

A :class:`Broadcaster` keeps at most one :class:`Channel` per source spec. A channel runs the
ordinary :class:`streamer.pipeline.Pipeline` in live mode (reader thread, drop-oldest queues,
the model, a sink) in its own thread; the sink (:class:`LatestFrameSink`) only keeps the newest
(before, after) pair and wakes whoever waits for it. Viewers ``subscribe``; the channel starts
with the first viewer and stops when the last one leaves (after ``linger_s``, so a page reload
does not restart the model). A viewer that stops asking for frames for ``lease_s`` is dropped,
so a browser tab that vanished without saying goodbye does not keep a model running.

The model of a channel can be switched while it runs (:class:`SwitchableBackend`): the stream
is not restarted, the next frame goes through the new model. Strength and exposure are per
viewer and cheap (:func:`adjust`): they are applied to the shared output.

Sources that end are reopened (files loop; ``demo`` never ends); a source that fails
(``SourceError``, or a stream that ends) is reopened after a pause, and the failure is shown to
viewers as the channel's ``error`` instead of ending their page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from models import backends, catalog
from streamer.errors import ConfigError, StreamerError
from streamer.frame import Frame, StreamInfo
from streamer.pipeline import Pipeline, PipelineConfig
from streamer.sources import Source, SourceOptions, open_source, source_kind
from streamer.urls import mask_credentials

log = logging.getLogger(__name__)

# The built-in scene runs for a day before it wraps; it is paced at its own 30 fps.
DEMO_SECONDS = 24 * 3600.0
# A still image (or a folder of them) shown live is repeated at this rate.
IMAGE_FPS = 10.0


@dataclass(frozen=True)
class ChannelOptions:
    """How a channel runs: the initial model, the backend, and its timing policy."""

    model: str = "zero-dce++"
    backend: str = "auto"
    device: str = "auto"
    threads: int = 0
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    linger_s: float = 2.0
    lease_s: float = 10.0
    retry_s: float = 2.0

    def __post_init__(self) -> None:
        catalog.get(self.model)
        if min(self.open_timeout_s, self.read_timeout_s, self.lease_s, self.retry_s) <= 0 or self.linger_s < 0:
            raise ConfigError("live timings must be positive")


@dataclass(frozen=True)
class LiveFrame:
    """What a viewer gets: the captured frame and the enhanced one, (H, W, 3) uint8 RGB each.

    ``seq`` counts published frames of the channel (strictly increasing); ``captured_ns`` is the
    capture clock (``time.monotonic_ns``) and ``ready_ns`` when the model finished.
    """

    seq: int
    before: np.ndarray
    after: np.ndarray
    index: int
    captured_ns: int
    ready_ns: int
    model: str


@dataclass(frozen=True)
class ChannelStatus:
    """A snapshot for the stats line and the status endpoint (the source is already masked)."""

    source: str
    running: bool
    viewers: int
    model: str
    backend: str
    fps: float
    latency_ms: float | None
    dropped: int
    frames: int
    model_runs: int
    restarts: int
    error: str | None

    def line(self) -> str:
        latency = f"{self.latency_ms:.0f} ms" if self.latency_ms is not None else "-"
        text = (f"{self.fps:.1f} fps · added latency {latency} · dropped {self.dropped} · {self.model} on {self.backend}"
                f" · {self.viewers} watching")
        return f"{text} · {self.error}" if self.error else text


def adjust(before: np.ndarray, after: np.ndarray, strength: float, exposure: float) -> np.ndarray:
    """Blend the model's output with the input and apply an exposure gain.

    ``out = clip(exposure * (before + strength * (after - before)))``: strength 0 shows the
    input, 1 the model's output; exposure scales the result (1 leaves it). All (H, W, 3) uint8.
    """
    if strength == 1.0 and exposure == 1.0:
        return after
    mixed = before.astype(np.float32)
    mixed += strength * (after.astype(np.float32) - mixed)
    mixed *= exposure
    return np.clip(mixed, 0, 255).astype(np.uint8)


def split_view(before: np.ndarray, after: np.ndarray, at: float = 0.5) -> np.ndarray:
    """One picture: the input left of ``at`` (fraction of the width), the output right of it,
    with a thin light divider. (H, W, 3) uint8 RGB."""
    out = after.copy()
    x = int(round(out.shape[1] * min(max(at, 0.0), 1.0)))
    out[:, :x] = before[:, :x]
    out[:, max(0, x - 1) : x + 1] = 220
    return out


class SwitchableBackend:
    """A backend whose model can be changed between two frames; loaded models are kept.

    Implements the backend protocol for :class:`Pipeline`. ``burst`` is the longest burst any
    shipped model needs, so one buffer serves all: a model with a shorter burst gets the newest
    frames of it. ``runs`` counts model invocations (one per frame, whatever the viewer count).
    """

    def __init__(self, model: str, pool: ModelPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self.burst = max(w.burst for w in catalog.CATALOG.values())
        self.runs = 0
        current = pool.get(model)
        self.model, self.name, self.device = model, current.name, current.device

    def switch(self, model: str) -> None:
        """Use ``model`` from the next frame on (loads it first, in the caller's thread)."""
        loaded = self._pool.get(model)
        with self._lock:
            self.model, self.name, self.device = model, loaded.name, loaded.device

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        with self._lock:
            model = self.model
        self.runs += 1
        return self._pool.enhance(model, frames)

    def close(self) -> None:
        pass  # the pool owns the loaded models


class ModelPool:
    """Loaded models by name, shared by every channel and webcam viewer of a server.

    ``enhance(model, frames)`` takes (T, H, W, 3) uint8 RGB, oldest first, T >= the model's
    burst, and returns (H, W, 3) uint8 RGB; one call at a time per model.
    """

    def __init__(self, backend: str = "auto", options: backends.BackendOptions = backends.BackendOptions()) -> None:
        self._backend = backend
        self._options = options
        self._loaded: dict[str, tuple[backends.Backend, threading.Lock]] = {}
        self._lock = threading.Lock()

    def get(self, model: str) -> backends.Backend:
        weights = catalog.get(model)
        with self._lock:
            if model not in self._loaded:
                self._loaded[model] = (backends.open_backend(self._backend, weights, self._options), threading.Lock())
            return self._loaded[model][0]

    def enhance(self, model: str, frames: np.ndarray) -> np.ndarray:
        backend = self.get(model)
        with self._loaded[model][1]:
            return backend.enhance(frames[frames.shape[0] - backend.burst :])

    def close(self) -> None:
        with self._lock:
            for backend, busy in self._loaded.values():
                with busy:  # never close a model in the middle of a frame
                    backend.close()
            self._loaded.clear()


class LatestFrameSink:
    """The channel's sink: keeps the newest (before, after) pair and wakes the waiting viewers.

    Also measures what the stats line shows: output fps over the last second or two, added
    latency (capture to model output) and frames skipped because the model fell behind (gaps
    in the source's frame index).
    """

    def __init__(self, model_of: Callable[[], str]) -> None:
        self._model_of = model_of
        self._cond = threading.Condition()
        self.latest: LiveFrame | None = None
        self._times: deque[int] = deque(maxlen=60)
        self._latency: deque[float] = deque(maxlen=60)
        self._last_index: int | None = None
        self.dropped = 0
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        now = time.monotonic_ns()
        with self._cond:
            if self._last_index is not None and frame.index > self._last_index + 1:
                self.dropped += frame.index - self._last_index - 1
            self._last_index = frame.index
            seq = self.latest.seq + 1 if self.latest else 1
            self.latest = LiveFrame(seq, frame.rgb, rgb, frame.index, frame.captured_ns, now, self._model_of())
            self.frames += 1
            self._times.append(now)
            self._latency.append((now - frame.captured_ns) / 1e6)
            self._cond.notify_all()

    def new_source(self) -> None:
        """A reopened source starts its frame index again."""
        with self._cond:
            self._last_index = None

    def wait_after(self, seq: int, timeout: float) -> LiveFrame | None:
        """The newest frame if newer than ``seq``, waiting up to ``timeout`` s for one."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest is not None and self.latest.seq > seq, timeout)
            latest = self.latest
            return latest if latest is not None and latest.seq > seq else None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def fps(self) -> float:
        with self._cond:
            times = list(self._times)
        if len(times) < 2 or time.monotonic_ns() - times[-1] > 2e9:
            return 0.0
        recent = [t for t in times if times[-1] - t <= 2e9]
        return (len(recent) - 1) / max((recent[-1] - recent[0]) / 1e9, 1e-9) if len(recent) > 1 else 0.0

    def latency_ms(self) -> float | None:
        with self._cond:
            values = list(self._latency)
        return float(np.median(values)) if values else None

    def close(self, complete: bool = True) -> None:
        pass


class _Stoppable:
    """A source that reads as ended once ``stop`` is set, so the pipeline winds down."""

    def __init__(self, source: Source, stop: threading.Event) -> None:
        self._source = source
        self._stop = stop
        self.info: StreamInfo = source.info

    def read(self) -> Frame | None:
        return None if self._stop.is_set() else self._source.read()

    def stop(self) -> None:
        """Wake a read waiting out an outage (see :meth:`Pipeline.run`), if the source can be woken."""
        stop = getattr(self._source, "stop", None)
        if stop is not None:
            stop()

    def close(self) -> None:
        self._source.close()


@dataclass
class Subscription:
    """One viewer of a channel. ``next_frame`` blocks until a newer frame than the last one."""

    channel: Channel
    last_seq: int = 0
    last_pull: float = field(default_factory=time.monotonic)
    closed: bool = False

    def next_frame(self, timeout: float = 1.0) -> LiveFrame | None:
        self.last_pull = time.monotonic()
        frame = self.channel.sink.wait_after(self.last_seq, timeout)
        if frame is not None:
            self.last_seq = frame.seq
        self.last_pull = time.monotonic()
        return frame

    def status(self) -> ChannelStatus:
        return self.channel.status()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.channel.broadcaster._unsubscribe(self)


class Channel:
    """The one pipeline of one source: opened, run, reopened on failure, until stopped."""

    def __init__(self, broadcaster: Broadcaster, spec: str) -> None:
        self.broadcaster = broadcaster
        self.spec = spec
        self.shown = mask_credentials(spec)
        self.options = broadcaster.options
        self.subscribers: set[int] = set()
        self.backend = SwitchableBackend(self.options.model, broadcaster.pool)
        self.sink = LatestFrameSink(lambda: self.backend.model)
        self.error: str | None = None
        self.restarts = 0
        self.idle_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"streamer-live-{self.shown}", daemon=True)

    def start(self) -> None:
        log.info("live: started the pipeline for %s (%s on %s/%s)", self.shown, self.backend.model,
                 self.backend.name, self.backend.device)
        self._thread.start()

    def _open(self) -> Source:
        kind = source_kind(self.spec)
        options = SourceOptions(open_timeout_s=self.options.open_timeout_s, read_timeout_s=self.options.read_timeout_s,
                                demo_duration_s=DEMO_SECONDS, demo_realtime=True)
        if kind in ("video", "images", "image"):
            return _Looped(lambda: open_source(self.spec, options))
        return open_source(self.spec, options)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self._open()
            except StreamerError as e:
                self._fail(str(e))
                continue
            try:
                self.sink.new_source()
                pipeline = Pipeline(_Stoppable(source, self._stop), self.backend, self.sink, PipelineConfig(live=True))
                pipeline.run()
                ended = source_kind(self.spec) in ("url", "camera") and not self._stop.is_set()
                if ended:
                    self._fail(f"{self.shown}: the stream ended")
                else:
                    self.error = None
            except StreamerError as e:
                self._fail(str(e))
            except Exception as e:  # keep serving the page; say what happened
                log.exception("live: the pipeline for %s failed", self.shown)
                self._fail(f"{type(e).__name__}: {e}")
            finally:
                source.close()
        self.backend.close()
        log.info("live: released the pipeline for %s (nobody watching)", self.shown)

    def _fail(self, message: str) -> None:
        self.error = mask_credentials(message) + f"; retrying in {self.options.retry_s:g} s"
        self.restarts += 1
        log.warning("live: %s", self.error)
        self.sink.wake()
        self._stop.wait(self.options.retry_s)

    def switch_model(self, model: str) -> None:
        if model != self.backend.model:
            self.backend.switch(model)
            log.info("live: %s now runs %s", self.shown, model)

    def stop(self) -> None:
        self._stop.set()
        self.sink.wake()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def status(self) -> ChannelStatus:
        return ChannelStatus(
            source=self.shown, running=self.running, viewers=len(self.subscribers), model=self.backend.model,
            backend=f"{self.backend.name}/{self.backend.device}", fps=self.sink.fps(),
            latency_ms=self.sink.latency_ms(), dropped=self.sink.dropped, frames=self.sink.frames,
            model_runs=self.backend.runs, restarts=self.restarts, error=self.error,
        )


class _Looped:
    """A file, image or folder played as a live source: paced at its frame rate (images at
    ``IMAGE_FPS``), restarted at the end, frame indices continuing across loops."""

    def __init__(self, open_fn: Callable[[], Source]) -> None:
        self._open = open_fn
        self._source = open_fn()
        fps = self._source.info.fps if self._source.info.kind not in ("image", "images") else IMAGE_FPS
        self._fps = fps if fps and fps > 0 else 25.0
        self.info = replace(self._source.info, live=True, fps=self._fps)
        self._start = time.monotonic()
        self._n = 0

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is None:
            self._source.close()
            self._source = self._open()
            frame = self._source.read()
            if frame is None:
                return None
        delay = self._start + self._n / self._fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1.0:  # far behind (a slow disk or a paused process): do not race to catch up
            self._start -= delay
        frame = replace(frame, index=self._n, captured_ns=time.monotonic_ns())
        self._n += 1
        return frame

    def close(self) -> None:
        self._source.close()


class Broadcaster:
    """All channels of one server: ``subscribe(spec)`` joins (or starts) the source's channel."""

    def __init__(self, options: ChannelOptions = ChannelOptions()) -> None:
        self.options = options
        self.pool = ModelPool(options.backend, backends.BackendOptions(device=options.device, threads=options.threads))
        self._channels: dict[str, Channel] = {}
        self._stopping: list[Channel] = []
        self._subs: dict[int, Subscription] = {}
        self._lock = threading.Lock()
        self._closing = False
        self._reaper = threading.Thread(target=self._reap, name="streamer-live-reaper", daemon=True)
        self._reaper.start()

    def subscribe(self, spec: str) -> Subscription:
        with self._lock:
            channel = self._channels.get(spec)
            if channel is None or not channel.running or channel._stop.is_set():
                channel = Channel(self, spec)
                self._channels[spec] = channel
                channel.start()
            sub = Subscription(channel)
            channel.subscribers.add(id(sub))
            self._subs[id(sub)] = sub
            log.info("live: %d watching %s", len(channel.subscribers), channel.shown)
            return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.pop(id(sub), None)
            sub.channel.subscribers.discard(id(sub))
            sub.channel.idle_since = time.monotonic()

    def _reap(self) -> None:
        """Drop viewers that stopped pulling; stop channels nobody watched for ``linger_s``."""
        while not self._closing:
            time.sleep(0.25)
            now = time.monotonic()
            for sub in [s for s in list(self._subs.values()) if now - s.last_pull > self.options.lease_s]:
                log.info("live: a viewer of %s stopped asking for frames; dropping it", sub.channel.shown)
                sub.close()
            with self._lock:
                for spec, channel in list(self._channels.items()):
                    idle = channel.idle_since
                    if not channel.subscribers and idle is not None and now - idle >= self.options.linger_s:
                        channel.stop()
                        del self._channels[spec]
                        self._stopping.append(channel)
                self._stopping = [c for c in self._stopping if c.running]

    def status(self) -> list[ChannelStatus]:
        with self._lock:
            channels = list(self._channels.values())
        return [c.status() for c in channels]

    def channel(self, spec: str) -> Channel | None:
        with self._lock:
            return self._channels.get(spec)

    def close(self) -> None:
        self._closing = True
        with self._lock:
            channels = list(self._channels.values()) + self._stopping
            self._channels.clear()
            self._stopping = []
        for c in channels:
            c.stop()
        for c in channels:
            c.join(timeout=5.0)
        self.pool.close()
