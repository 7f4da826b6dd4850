"""The loaded models of one process, shared by every camera, viewer and webcam; and a backend whose
model can be switched while a stream runs.

Each model is loaded once (:meth:`ModelPool.get`). A camera does not run the loaded model itself:
it gets a stream of it (:meth:`ModelPool.stream`) with its own per-video state (temporal smoothing,
night gate, the burst model's feature ring, work buffers) on the shared sessions. Where the model
can run one step for several videos at once (:class:`models.backends.Shareable` with a batch axis:
Zero-DCE++'s curve estimator on the CPU), the streams of every camera share one
:class:`~streamer.live.batcher.Batcher`, so frames that are ready together go through one call.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models import backends, catalog
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from streamer.live.batcher import BatchClient, Batcher, BatchStats

log = logging.getLogger(__name__)

# One burst buffer serves every shipped model: as long as the longest burst any of them needs.
LONGEST_BURST = max(w.burst for w in catalog.CATALOG.values())


@dataclass(frozen=True)
class VideoLayers:
    """What one video adds around the shared model: temporal smoothing and the night gate (``None``:
    off), and the video's frame time, which the gate's fade is measured in."""

    smoothing: SmoothingConfig | None = None
    gate: GateConfig | None = None
    frame_interval_s: float = 1.0 / 30.0


class _Locked:
    """A loaded model with no per-video state, shared as it is: one call at a time (the pool's lock)."""

    def __init__(self, backend: backends.Backend, lock: threading.Lock) -> None:
        self._backend, self._lock = backend, lock
        self.name, self.device, self.burst, self.path = backend.name, backend.device, backend.burst, backend.path

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        with self._lock:
            return self._backend.enhance(frames)

    def close(self) -> None:
        pass  # the pool owns the loaded model


class PooledStream:
    """One video's backend on a pooled model (the backend protocol). ``model`` names it; ``batched``
    says whether its heavy step goes through the model's batcher. ``close`` leaves the model loaded."""

    def __init__(self, model: str, backend: backends.Backend, client: BatchClient | None) -> None:
        self.model = model
        self._backend = backend
        self._client = client
        self.name, self.device, self.burst, self.path = backend.name, backend.device, backend.burst, backend.path

    @property
    def batched(self) -> bool:
        return self._client is not None

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 RGB, oldest first, T >= ``burst`` -> (H, W, 3) uint8 RGB."""
        return self._backend.enhance(frames[frames.shape[0] - self.burst :])

    def close(self) -> None:
        self._backend.close()
        if self._client is not None:
            self._client.close()


class ModelPool:
    """Loaded models by name, each loaded once, the first time it is asked for.

    ``enhance(model, frames)`` runs the loaded model itself, one call at a time per model, with no
    per-video state (the webcam); ``stream(model, layers)`` gives one video its own backend on it.
    ``loads`` counts the models loaded. ``batch_window_s``: how long a frame may wait for the other
    cameras' frames to share its model call (:class:`~streamer.live.batcher.Batcher`); ``None``: no
    batching, each camera runs the step itself (concurrently with the others).
    """

    def __init__(self, backend: str = "auto", options: backends.BackendOptions = backends.BackendOptions(),
                 batch_window_s: float | None = 0.003) -> None:
        self._backend = backend
        self._options = options
        self._batch_window_s = batch_window_s
        # Per model: the loaded model, its lock, and the model behind the layers that hold no per-video
        # state (a working size on a CPU), for :meth:`enhance`.
        self._loaded: dict[str, tuple[backends.Backend, threading.Lock, backends.Backend]] = {}
        self._batchers: dict[str, Batcher] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def _load(self, weights: catalog.Weights) -> backends.Backend:
        """The model without per-video layers (those are each stream's)."""
        loaded = backends.load(self._backend, weights, self._options)
        self.loads += 1
        return loaded

    def get(self, model: str) -> backends.Backend:
        weights = catalog.get(model)
        with self._lock:
            if model not in self._loaded:
                loaded = self._load(weights)
                # What has per-video state is each stream's own: here the model with its stateless layers.
                stateless = dataclasses.replace(self._options, smoothing=None, gate=None, denoise=None)
                plain = backends.wrap(loaded, weights, stateless)
                self._loaded[model] = (loaded, threading.Lock(), plain)
                log.info("live: loaded %s on %s/%s", model, loaded.name, loaded.device)
            return self._loaded[model][0]

    def enhance(self, model: str, frames: np.ndarray) -> np.ndarray:
        backend = self.get(model)
        _, busy, plain = self._loaded[model]
        with busy:
            return plain.enhance(frames[frames.shape[0] - backend.burst :])

    def stream(self, model: str, layers: VideoLayers = VideoLayers()) -> PooledStream:
        """A backend for one more video on ``model`` (loaded now if it is not yet).

        A :class:`~models.backends.Shareable` model gives the video its own state on the shared sessions
        (its heavy step batched with the other videos' where the graph has a batch axis); a model with no
        per-video state is shared as it is, one call at a time; anything else (the burst model on torch,
        whose feature ring lives in the loaded network) is loaded once more for this video.
        """
        weights = catalog.get(model)
        shared = self.get(model)
        client = None
        if isinstance(shared, backends.Shareable):
            if shared.batchable and self._batch_window_s is not None:
                with self._lock:
                    batcher = self._batchers.get(model)
                    if batcher is None:
                        batcher = self._batchers[model] = Batcher(shared.run_batch, self._batch_window_s)
                client = batcher.client()
            core = shared.for_stream(client)
        elif not weights.architecture.streaming:
            core = _Locked(shared, self._loaded[model][1])
        else:
            core = self._load(weights)
            log.info("live: loaded %s once more for one video (%s keeps its state inside the model)", model, core.name)
        options = dataclasses.replace(self._options, smoothing=layers.smoothing, gate=layers.gate,
                                      frame_interval_s=layers.frame_interval_s)
        try:
            backend = backends.wrap(core, weights, options)
        except BaseException:
            core.close()
            if client is not None:
                client.close()
            raise
        return PooledStream(model, backend, client)

    def batch_stats(self, model: str) -> BatchStats | None:
        """Calls and inputs of ``model``'s batcher so far; ``None`` where it has none."""
        with self._lock:
            batcher = self._batchers.get(model)
        return None if batcher is None else batcher.stats()

    def close(self) -> None:
        with self._lock:
            for backend, busy, _ in self._loaded.values():
                with busy:  # never close a model in the middle of a frame
                    backend.close()
            self._loaded.clear()
            self._batchers.clear()


class SwitchableBackend:
    """A video's backend whose model can be changed between two frames; the models stay in the pool.

    Implements the backend protocol for :class:`~streamer.pipeline.Pipeline`. ``burst`` is
    :data:`LONGEST_BURST`, so one buffer serves all: a model with a shorter burst gets the newest
    frames of it. Each model it runs gets its own :meth:`ModelPool.stream`, made on the first frame
    for that model with ``layers(model)`` (the video's smoothing and gate for that model); switching back
    finds that stream's state as it was. ``runs`` counts model invocations (one per frame, whatever
    the viewer count).
    """

    burst = LONGEST_BURST

    def __init__(self, model: str, pool: ModelPool, layers: Callable[[str], VideoLayers] = lambda model: VideoLayers()) -> None:
        self._pool = pool
        self._layers = layers
        self._lock = threading.Lock()
        self._streams: dict[str, PooledStream] = {}
        self.runs = 0
        current = pool.get(model)
        self.model, self.name, self.device = model, current.name, current.device

    def switch(self, model: str) -> None:
        """Use ``model`` from the next frame on (loads it first, in the caller's thread)."""
        loaded = self._pool.get(model)
        with self._lock:
            self.model, self.name, self.device = model, loaded.name, loaded.device

    def _stream(self) -> PooledStream:
        with self._lock:
            model = self.model
            stream = self._streams.get(model)
        if stream is None:
            stream = self._pool.stream(model, self._layers(model))
            with self._lock:
                self._streams[model] = stream
        return stream

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        stream = self._stream()
        self.runs += 1
        return stream.enhance(frames)

    @property
    def batched(self) -> bool:
        """The current model's heavy step is batched with other videos' (once it ran a frame)."""
        stream = self._streams.get(self.model)
        return stream is not None and stream.batched

    def close(self) -> None:
        with self._lock:
            streams, self._streams = list(self._streams.values()), {}
        for stream in streams:
            stream.close()
