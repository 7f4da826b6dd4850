"""Local cameras by index through OpenCV (the only place BGR exists)."""

from __future__ import annotations

import time
from fractions import Fraction
from typing import TYPE_CHECKING

import cv2

from streamer.errors import SourceError
from streamer.frame import Frame, StreamInfo
from streamer.sources.kind import SourceKind

if TYPE_CHECKING:
    from streamer.sources import SourceOptions


class CameraSource:
    """A live camera; frames are timestamped with the capture clock."""

    def __init__(self, index: int) -> None:
        # OpenCV logs its own warnings for a missing device; our error below says it in one line.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"camera {index} could not be opened: is it connected and not used by another program?")
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            self._cap.release()
            raise SourceError(f"camera {index} opened but gave no picture")
        self._first = bgr
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        self.info = StreamInfo(
            kind=SourceKind.CAMERA,
            width=bgr.shape[1],
            height=bgr.shape[0],
            fps=float(fps) if fps > 0 else 30.0,
            time_base=Fraction(1, 1_000_000),
            live=True,
            description=f"camera {index}",
        )
        self._start_ns = time.monotonic_ns()
        self._index = 0

    def read(self) -> Frame | None:
        if self._first is not None:
            bgr, self._first = self._first, None
        else:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                return None
        now = time.monotonic_ns()
        us = (now - self._start_ns) // 1000
        frame = Frame(rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index=self._index, pts_s=us / 1e6, captured_ns=now, pts=us)
        self._index += 1
        return frame

    def close(self) -> None:
        self._cap.release()


def open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> CameraSource:
    return CameraSource(int(spec))
