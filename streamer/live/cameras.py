"""Many cameras in one process: each its own always-on channel, all on one model pool.

:class:`Cameras` starts one :class:`~streamer.live.channel.Channel` per configured camera
(:class:`~streamer.camera_config.CamerasConfig`). Per camera: its reader, model and writer threads, its
source's reconnects, its smoothing and night gate, its output. Shared: each model, loaded once, and the
model's batcher, so the frames of several cameras that are ready together go through one model call
(:mod:`streamer.live.batcher`). ``streamer serve`` shows them on its page; :func:`run_cameras` runs
them without a page (``streamer run cameras.toml``) until Ctrl-C or ``--duration``.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from models.backends import BackendOptions
from models.runtime.deblock import DeblockConfig
from models.runtime.temporal_denoise import TemporalDenoiseConfig
from streamer.camera_config import CamerasConfig
from streamer.errors import SourceError
from streamer.live.channel import Channel, ChannelOptions, ChannelStatus
from streamer.live.pool import ModelPool
from streamer.sources import ReconnectPolicy

log = logging.getLogger(__name__)

# How often ``streamer run`` logs a status line per camera, s.
STATUS_EVERY_S = 60.0


def make_pool(config: CamerasConfig) -> ModelPool:
    """The one model pool of a camera list: its backend, device, threads and batching window."""
    return ModelPool(config.backend, BackendOptions(device=config.device, threads=config.threads, exact=config.exact,
                                                    deblock=DeblockConfig(), denoise=TemporalDenoiseConfig()),
                     batch_window_s=config.batch_window_ms / 1000.0)


def channel_options(config: CamerasConfig) -> ChannelOptions:
    return ChannelOptions(open_timeout_s=config.open_timeout_s, read_timeout_s=config.read_timeout_s,
                          reconnect=ReconnectPolicy(max_delay_s=config.reconnect_max_delay_s))


class Cameras:
    """Every camera of ``config`` on ``pool`` (the caller's: ``stop`` ends the cameras, not the models).

    The models are loaded when this is made (in the caller's thread, so a model that cannot load, or a
    file given as a camera's source that is not there, is an error before anything runs); the cameras
    start with :meth:`start`. A stream or camera that is down at start is not an error: that camera
    keeps trying (with the reconnect backoff) while the others run.
    """

    def __init__(self, config: CamerasConfig, pool: ModelPool) -> None:
        for cam in config.cameras:
            if cam.kind.on_disk and not Path(cam.source).exists():
                raise SourceError(f"camera {cam.name}: input not found: {cam.shown}")
        self.config = config
        self.pool = pool
        options = channel_options(config)
        self.channels: dict[str, Channel] = {c.name: Channel(c.source, options, pool, camera=c) for c in config.cameras}

    def __contains__(self, name: str) -> bool:
        return name in self.channels

    def get(self, name: str) -> Channel:
        return self.channels[name]

    @property
    def names(self) -> list[str]:
        return list(self.channels)

    def start(self) -> None:
        for channel in self.channels.values():
            channel.start()

    def status(self) -> list[ChannelStatus]:
        return [c.status() for c in self.channels.values()]

    @property
    def running(self) -> bool:
        """Some camera still runs (each stops only when told to, or when its output fails)."""
        return any(c.running for c in self.channels.values())

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop every camera and wait for them (their outputs are finished and closed)."""
        for channel in self.channels.values():
            channel.stop()
        deadline = time.monotonic() + timeout_s
        for channel in self.channels.values():
            channel.join(max(0.0, deadline - time.monotonic()))
            if channel.running:
                log.warning("camera %s did not stop within %.0f s", channel.name, timeout_s)


def summary(status: ChannelStatus) -> str:
    """One line about a camera, for the log."""
    latency = f"{status.latency_ms:.0f} ms" if status.latency_ms is not None else "-"
    out = f" -> {status.output}" if status.output else ""
    text = (f"camera {status.name}{out}: {status.frames} frames, {status.fps:.1f} fps, added latency {latency}, "
            f"dropped {status.dropped}, {status.model} on {status.backend}{' (batched)' if status.batched else ''}")
    return f"{text}; {status.error}" if status.error else text


def run_cameras(config: CamerasConfig, duration_s: float | None = None, stop: threading.Event | None = None) -> int:
    """Run every camera into its output until Ctrl-C (``KeyboardInterrupt``), ``duration_s`` or ``stop``;
    the exit code: 0, or 4 when a camera's output failed (the other cameras went on)."""
    pool = make_pool(config)
    stop = stop or threading.Event()
    try:
        cameras = Cameras(config, pool)
        cameras.start()
        interrupted = False
        try:
            end = None if duration_s is None else time.monotonic() + duration_s
            next_status = time.monotonic() + STATUS_EVERY_S
            while cameras.running and not stop.is_set() and (end is None or time.monotonic() < end):
                stop.wait(0.2 if end is None else max(0.0, min(0.2, end - time.monotonic())))
                if time.monotonic() >= next_status:
                    next_status += STATUS_EVERY_S
                    for s in cameras.status():
                        log.info("%s", summary(s))
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: finishing every camera's output")
        finally:
            cameras.stop()
        for s in cameras.status():
            log.info("%s", summary(s))
        failed = any(c.output_failed for c in cameras.channels.values())
        for model in config.models:
            stats = pool.batch_stats(model)
            if stats is not None and stats.calls:
                log.info("%s: %d frames in %d model calls (largest batch %d)", model, stats.inputs, stats.calls,
                         stats.largest)
    finally:
        pool.close()
    if interrupted:
        return 130
    return 4 if failed else 0
