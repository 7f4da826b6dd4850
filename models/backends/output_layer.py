"""A layer that changes a backend's output with the help of its input (the deblocking filter, the
greyscale rule, temporal smoothing), kept pipelined where the backend it wraps is.

Subclasses implement ``post(out, kept)``: the wrapped backend's (H, W, 3) uint8 RGB output and what
``keep(frames)`` took of the input burst (by default the newest frame) -> the layer's output.
:func:`output_layer` builds one, with ``submit``/``fetch``/``drain`` (:class:`models.backends.Pipelined`)
where the wrapped backend has them: what was kept of each submitted burst waits beside it (copied
when it is a view of the caller's buffer, which moves on).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class OutputLayer:
    """``inner`` with ``post`` applied to each output."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path

    def keep(self, frames: np.ndarray) -> np.ndarray:
        """What ``post`` needs of the input burst (it may be a view of ``frames``): the newest frame."""
        return frames[-1]

    def post(self, out: np.ndarray, kept: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        return self.post(self.inner.enhance(frames), self.keep(frames))

    def close(self) -> None:
        self.inner.close()


class _Pipelined:
    """The pipelined half of an :class:`OutputLayer` (mixed in before it)."""

    def __init__(self, inner, *args) -> None:
        super().__init__(inner, *args)
        self._kept: deque[np.ndarray] = deque()

    def submit(self, frames: np.ndarray) -> None:
        self.inner.submit(frames)
        kept = self.keep(frames)
        self._kept.append(np.array(kept) if np.may_share_memory(kept, frames) else kept)

    def fetch(self) -> np.ndarray:
        return self.post(self.inner.fetch(), self._kept.popleft())

    def drain(self) -> list[np.ndarray]:
        return [self.post(out, self._kept.popleft()) for out in self.inner.drain()]


def output_layer(cls: type[OutputLayer], inner, *args) -> OutputLayer:
    """``cls(inner, *args)``, pipelined where ``inner`` is."""
    from models.backends import Pipelined

    if not isinstance(inner, Pipelined):
        return cls(inner, *args)
    return type(f"Pipelined{cls.__name__}", (_Pipelined, cls), {})(inner, *args)
