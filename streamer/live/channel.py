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

A channel is either a viewer's source (``streamer serve --source SPEC``: started by its first viewer,
released after its last, no per-video layers, as it always was) or a configured camera
(:class:`~streamer.camera_config.CameraConfig`, :mod:`streamer.live.cameras`): that one runs from start to
stop whether watched or not, with its own temporal smoothing and night gate, tees its frames into its
``output`` (one recording for the whole run, on one capture clock,
:mod:`streamer.sources.capture_clock`), and retries a source it cannot open with the reconnect backoff.
Everything a camera waits for (opening its source, an outage) is waited for in its own threads, so a
dead camera never holds up the others.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models import catalog
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from streamer.errors import ConfigError, SinkError, StreamerError
from streamer.frame import Frame
from streamer.live.pool import ModelPool, SwitchableBackend, VideoLayers
from streamer.pipeline import Pipeline, PipelineConfig
from streamer.sinks import Sink, open_sink
from streamer.sinks.latest import LatestFrameSink, LiveFrame
from streamer.sources import ReconnectPolicy, Source, SourceOptions, open_source, source_kind
from streamer.sources.capture_clock import CaptureClock
from streamer.sources.looped import Looped
from streamer.sources.until_stopped import UntilStopped
from streamer.urls import mask_credentials

if TYPE_CHECKING:
    from streamer.camera_config import CameraConfig

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
    # Cameras: how a dropped stream, or one that cannot be opened, is retried.
    reconnect: ReconnectPolicy = ReconnectPolicy()

    def __post_init__(self) -> None:
        catalog.get(self.model)
        if min(self.open_timeout_s, self.read_timeout_s, self.lease_s, self.retry_s) <= 0 or self.linger_s < 0:
            raise ConfigError("live timings must be positive")


@dataclass(frozen=True)
class ChannelStatus:
    """A snapshot for the stats line and the status endpoint (the source and output are already masked).

    ``name``: the camera's name (a viewer's source: the masked source); ``output``: where the camera
    records, or ``None``; ``batched``: the model's heavy step runs batched with other cameras'.
    """

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
    name: str = ""
    output: str | None = None
    batched: bool = False

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


class _Tee:
    """The channel's sink: the viewers' newest frame, and the camera's output (kept open across pipeline
    runs; the channel closes it when it stops)."""

    def __init__(self, latest: LatestFrameSink) -> None:
        self.latest = latest
        self.output: Sink | None = None
        self.address = latest.address

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.latest.write(frame, rgb)
        if self.output is not None:
            self.output.write(frame, rgb)

    def close(self, complete: bool = True) -> None:
        self.latest.close(complete)


class Channel:
    """The one pipeline of one source: opened, run, reopened on failure, until stopped.

    ``camera`` (``None`` for a viewer's source ``spec``) makes it a configured camera (see the module
    docstring). The source's kind is decided once, here; ``subscribers`` is kept by the broadcaster.
    """

    def __init__(self, spec: str, options: ChannelOptions, pool: ModelPool, camera: CameraConfig | None = None) -> None:
        self.camera = camera
        self.spec = camera.source if camera is not None else spec
        self.kind = source_kind(self.spec)
        self.shown = mask_credentials(self.spec)
        self.name = camera.name if camera is not None else self.shown
        self.options = options
        self.subscribers: set[int] = set()
        self._frame_interval_s = 1.0 / 30.0
        self.backend = SwitchableBackend(camera.model if camera is not None else options.model, pool, self._layers)
        self.sink = LatestFrameSink(lambda: self.backend.model)
        self._tee = _Tee(self.sink)
        self._clock = CaptureClock() if camera is not None else None
        self.error: str | None = None
        self.output_failed = False
        self.restarts = 0
        self.idle_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"streamer-live-{self.name}", daemon=True)

    def _layers(self, model: str) -> VideoLayers:
        """A camera's smoothing and gate for ``model`` (a viewer's source has neither, as before)."""
        cam = self.camera
        if cam is None:
            return VideoLayers()
        strength = cam.smoothing_strength(catalog.get(model).architecture.smoothing)
        return VideoLayers(smoothing=SmoothingConfig(strength=strength) if strength else None,
                           gate=GateConfig() if cam.gate else None, frame_interval_s=self._frame_interval_s)

    def start(self) -> None:
        if self.camera is not None:
            cam = self.camera
            layers = self._layers(cam.model)
            log.info("camera %s: %s -> %s with %s on %s/%s, temporal smoothing %s, night gate %s", cam.name, self.shown,
                     mask_credentials(cam.output) if cam.output else "viewers only", cam.model, self.backend.name,
                     self.backend.device, f"{layers.smoothing.strength:g}" if layers.smoothing else "off",
                     "on" if layers.gate else "off")
        else:
            log.info("live: started the pipeline for %s (%s on %s/%s)", self.shown, self.backend.model,
                     self.backend.name, self.backend.device)
        self._thread.start()

    def _open(self) -> Source:
        reconnect = self.options.reconnect if self.camera is not None else ReconnectPolicy()
        options = SourceOptions(open_timeout_s=self.options.open_timeout_s, read_timeout_s=self.options.read_timeout_s,
                                demo_duration_s=DEMO_SECONDS, demo_realtime=True, reconnect=reconnect)
        if self.kind.on_disk:  # a file, an image or a folder: played at its own pace, over and over
            source: Source = Looped(lambda: open_source(self.spec, options, self.kind))
        else:
            source = open_source(self.spec, options, self.kind)
        if self._clock is not None:
            source = self._clock.wrap(source)
        return source

    def _retry_delays(self) -> Iterator[float]:
        if self.camera is None:
            return itertools.repeat(self.options.retry_s)
        return self.options.reconnect.delays()

    def _run(self) -> None:
        delays = self._retry_delays()
        try:
            while not self._stop.is_set():
                try:
                    source = self._open()
                except StreamerError as e:
                    self._fail(str(e), next(delays))
                    continue
                try:
                    if source.info.fps > 0:
                        self._frame_interval_s = 1.0 / source.info.fps
                    self._open_output(source)
                    if self.error is not None:
                        log.info("%s is up again", f"camera {self.name}" if self.camera is not None else self.shown)
                        self.error = None
                    self.sink.new_source()
                    frames = self.sink.frames
                    pipeline = Pipeline(UntilStopped(source, self._stop), self.backend, self._tee, PipelineConfig(live=True))
                    pipeline.run()
                    if self.sink.frames > frames:
                        delays = self._retry_delays()  # it ran: the next failure starts the backoff afresh
                    if self.kind.live and not self._stop.is_set():
                        self._fail(f"{self.shown}: the stream ended", next(delays))
                    else:
                        self.error = None
                except SinkError as e:  # the recording cannot go on: this camera stops, the others do not
                    self.error = mask_credentials(str(e))
                    self.output_failed = True
                    log.error("camera %s stopped: %s", self.name, self.error)
                    self._stop.set()
                except StreamerError as e:
                    self._fail(str(e), next(delays))
                except Exception as e:  # keep serving the page; say what happened
                    log.exception("live: the pipeline for %s failed", self.shown)
                    self._fail(f"{type(e).__name__}: {e}", next(delays))
                finally:
                    source.close()
        finally:
            self._close_output()
            self.backend.close()
        if self.camera is not None:
            log.info("camera %s: stopped", self.name)
        else:
            log.info("live: released the pipeline for %s (nobody watching)", self.shown)

    def _open_output(self, source: Source) -> None:
        """The camera's output, opened once, for the first source that opens (its size and rate)."""
        cam = self.camera
        if cam is None or cam.output is None or self._tee.output is not None:
            return
        try:
            self._tee.output = open_sink(cam.output, source.info, cam.sink_options)
        except ConfigError as e:  # e.g. a video file for a still picture: as fatal as a folder that is missing
            raise SinkError(str(e)) from e

    def _close_output(self) -> None:
        output, self._tee.output = self._tee.output, None
        if output is not None:
            try:
                output.close(complete=True)
            except StreamerError as e:
                self.error = mask_credentials(str(e))
                log.error("camera %s: %s", self.name, self.error)

    def _fail(self, message: str, wait_s: float) -> None:
        first = self.error is None
        self.error = mask_credentials(message) + f"; retrying in {wait_s:.1f} s"
        self.restarts += 1
        who = f"camera {self.name}" if self.camera is not None else "live"
        if self.camera is None or first:
            log.warning("%s: %s", who, self.error)
        else:  # a camera that stays down is said once, not at every attempt
            log.debug("%s: %s", who, self.error)
        self.sink.wake()
        self._stop.wait(wait_s)

    def switch_model(self, model: str) -> None:
        if model != self.backend.model:
            self.backend.switch(model)
            log.info("live: %s now runs %s", self.name, model)

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
        cam = self.camera
        return ChannelStatus(
            source=self.shown, running=self.running, viewers=len(self.subscribers), model=self.backend.model,
            backend=f"{self.backend.name}/{self.backend.device}", fps=self.sink.meter.fps(),
            latency_ms=self.sink.meter.latency_ms(), dropped=self.sink.dropped, frames=self.sink.frames,
            model_runs=self.backend.runs, restarts=self.restarts, error=self.error, name=self.name,
            output=mask_credentials(cam.output) if cam is not None and cam.output else None, batched=self.backend.batched,
        )
