"""One live pipeline per source, shared by every viewer of it.

A :class:`Channel` runs the ordinary :class:`streamer.pipeline.Pipeline` in live mode (reader
thread, drop-oldest queues, the model, a sink) in its own thread; the sink
(:class:`~streamer.sinks.latest.LatestFrameSink`) only keeps the newest (before, after) pair and
wakes whoever waits for it. Each viewer holds a :class:`Subscription`.

The model of a channel can be switched while it runs
(:class:`~streamer.live.pool.SwitchableBackend`): the stream is not restarted, the next frame
goes through the new model.

Sources that end are reopened (files loop; ``demo`` never ends); a source that fails
(``SourceError``, or a stream that ends) is reopened after a pause, and the failure is shown to
viewers as the channel's ``error`` instead of ending their page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from models import catalog
from streamer.errors import ConfigError, StreamerError
from streamer.live.pool import ModelPool, SwitchableBackend
from streamer.pipeline import Pipeline, PipelineConfig
from streamer.sinks.latest import LatestFrameSink, LiveFrame
from streamer.sources import Source, SourceOptions, open_source, source_kind
from streamer.sources.looped import Looped
from streamer.sources.until_stopped import UntilStopped
from streamer.urls import mask_credentials

log = logging.getLogger(__name__)

# The built-in scene runs for a day before it wraps; it is paced at its own 30 fps.
DEMO_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class ChannelOptions:
    """How channels run: the initial model, and the timing policy (the backend is the pool's)."""

    model: str = "zero-dce++"
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


@dataclass
class Subscription:
    """One viewer of a channel. ``next_frame`` blocks until a newer frame than the last one;
    ``close`` hands the subscription to ``release`` (the broadcaster), once."""

    channel: Channel
    release: Callable[[Subscription], None]
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
            self.release(self)


class Channel:
    """The one pipeline of one source: opened, run, reopened on failure, until stopped.

    The source's kind is decided once, here; ``subscribers`` is kept by the broadcaster.
    """

    def __init__(self, spec: str, options: ChannelOptions, pool: ModelPool) -> None:
        self.spec = spec
        self.kind = source_kind(spec)
        self.shown = mask_credentials(spec)
        self.options = options
        self.subscribers: set[int] = set()
        self.backend = SwitchableBackend(options.model, pool)
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
        options = SourceOptions(open_timeout_s=self.options.open_timeout_s, read_timeout_s=self.options.read_timeout_s,
                                demo_duration_s=DEMO_SECONDS, demo_realtime=True)
        if self.kind.on_disk:  # a file, an image or a folder: played at its own pace, over and over
            return Looped(lambda: open_source(self.spec, options, self.kind))
        return open_source(self.spec, options, self.kind)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                source = self._open()
            except StreamerError as e:
                self._fail(str(e))
                continue
            try:
                self.sink.new_source()
                pipeline = Pipeline(UntilStopped(source, self._stop), self.backend, self.sink, PipelineConfig(live=True))
                pipeline.run()
                if self.kind.live and not self._stop.is_set():
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

    @property
    def stopping(self) -> bool:
        """Told to stop: a new viewer gets a new channel."""
        return self._stop.is_set()

    def status(self) -> ChannelStatus:
        return ChannelStatus(
            source=self.shown, running=self.running, viewers=len(self.subscribers), model=self.backend.model,
            backend=f"{self.backend.name}/{self.backend.device}", fps=self.sink.meter.fps(),
            latency_ms=self.sink.meter.latency_ms(), dropped=self.sink.dropped, frames=self.sink.frames,
            model_runs=self.backend.runs, restarts=self.restarts, error=self.error,
        )
