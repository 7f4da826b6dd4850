"""A layer that changes a backend's output with the help of the newest input frame (the deblocking
filter, the greyscale rule), kept pipelined where the backend it wraps is.

Subclasses implement ``post(out, newest)``: the wrapped backend's (H, W, 3) uint8 RGB output and the
newest input frame -> the layer's output. :func:`output_layer` builds one, with ``submit``/``fetch``/
``drain`` (:class:`models.backends.Pipelined`) where the wrapped backend has them: the newest frame of
each submitted burst waits beside it (a copy: the caller's buffer moves on).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class OutputLayer:
    """``inner`` with ``post`` applied to each output."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        return self.post(self.inner.enhance(frames), frames[-1])

    def close(self) -> None:
        self.inner.close()


class _Pipelined:
    """The pipelined half of an :class:`OutputLayer` (mixed in before it)."""

    def __init__(self, inner, *args) -> None:
        super().__init__(inner, *args)
        self._newest: deque[np.ndarray] = deque()

    def submit(self, frames: np.ndarray) -> None:
        self.inner.submit(frames)
        self._newest.append(np.array(frames[-1]))

    def fetch(self) -> np.ndarray:
        return self.post(self.inner.fetch(), self._newest.popleft())

    def drain(self) -> list[np.ndarray]:
        return [self.post(out, self._newest.popleft()) for out in self.inner.drain()]


def output_layer(cls: type[OutputLayer], inner, *args) -> OutputLayer:
    """``cls(inner, *args)``, pipelined where ``inner`` is."""
    from models.backends import Pipelined

    if not isinstance(inner, Pipelined):
        return cls(inner, *args)
    return type(f"Pipelined{cls.__name__}", (_Pipelined, cls), {})(inner, *args)
