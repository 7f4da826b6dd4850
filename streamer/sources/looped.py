"""A file, an image or a folder of images played as a live source (the web view's ``--source clip.mp4``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from streamer.frame import Frame, StreamInfo
from streamer.sources import Source
from streamer.sources.pacer import Pacer

# A still image (or a folder of them) shown live is repeated at this rate.
IMAGE_FPS = 10.0
# The rate of a video that does not say its own.
FALLBACK_FPS = 25.0


class Looped:
    """The source ``open_fn()`` opens, paced at its frame rate (still images at ``IMAGE_FPS``),
    opened again at its end; frame indices continue across loops and frames are stamped with the
    capture clock when they are handed out."""

    def __init__(self, open_fn: Callable[[], Source]) -> None:
        self._open = open_fn
        self._source = open_fn()
        fps = IMAGE_FPS if self._source.info.kind.still else self._source.info.fps
        fps = fps if fps and fps > 0 else FALLBACK_FPS
        self._pacer = Pacer(fps)
        self.info: StreamInfo = replace(self._source.info, live=True, fps=fps)
        self._n = 0

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is None:
            self._source.close()
            self._source = self._open()
            frame = self._source.read()
            if frame is None:
                return None
        self._pacer.wait()
        frame = replace(frame, index=self._n, captured_ns=time.monotonic_ns())
        self._n += 1
        return frame

    def close(self) -> None:
        self._source.close()
