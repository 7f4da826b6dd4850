"""The loaded models of one server, and a backend whose model can be switched while a stream runs."""

from __future__ import annotations

import logging
import threading

import numpy as np

from models import backends, catalog

log = logging.getLogger(__name__)

# One burst buffer serves every shipped model: as long as the longest burst any of them needs.
LONGEST_BURST = max(w.burst for w in catalog.CATALOG.values())


class ModelPool:
    """Loaded models by name, shared by every channel and webcam viewer of a server: each model is
    loaded once, the first time it is asked for.

    ``enhance(model, frames)`` takes (T, H, W, 3) uint8 RGB, oldest first, T >= the model's
    burst, and returns (H, W, 3) uint8 RGB; one call at a time per model (backends keep state,
    such as the temporal smoothing's average or the burst model's features).
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
                loaded = backends.open_backend(self._backend, weights, self._options)
                self._loaded[model] = (loaded, threading.Lock())
                log.info("live: loaded %s on %s/%s", model, loaded.name, loaded.device)
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


class SwitchableBackend:
    """A backend whose model can be changed between two frames; the models stay in the pool.

    Implements the backend protocol for :class:`~streamer.pipeline.Pipeline`. ``burst`` is
    :data:`LONGEST_BURST`, so one buffer serves all: a model with a shorter burst gets the newest
    frames of it. ``runs`` counts model invocations (one per frame, whatever the viewer count).
    """

    burst = LONGEST_BURST

    def __init__(self, model: str, pool: ModelPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
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
