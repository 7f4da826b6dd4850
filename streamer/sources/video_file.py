"""Video files through PyAV: every frame in order, with the stream's own timestamps."""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av

from streamer.counts import count
from streamer.errors import SourceError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sources.kind import SourceKind

if TYPE_CHECKING:
    from streamer.sources import SourceOptions

log = logging.getLogger(__name__)


class VideoFileSource:
    """Decode the first video stream of a file.

    Damaged packets in the middle of a file are skipped and counted (``damaged_packets``)
    instead of aborting the job; a file that yields no frame at all is an error.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise SourceError(f"{path} is not a readable video file ({_reason(e)}); check that it is complete") from e
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{path} has no video stream")
        stream = self._container.streams.video[0]
        if stream.codec_context is None:  # e.g. a damaged index that names no known codec
            self._container.close()
            raise SourceError(f"{path} has a video stream in an unknown format; the file is damaged or not supported")
        stream.thread_type = "AUTO"
        self._stream = stream
        ctx = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        duration = float(stream.duration * stream.time_base) if stream.duration else None
        self.info = StreamInfo(
            kind=SourceKind.VIDEO,
            width=ctx.width,
            height=ctx.height,
            fps=float(rate),
            time_base=stream.time_base or Fraction(1, 90000),
            live=False,
            frame_count=stream.frames or None,
            duration_s=duration,
            media_path=path,
            description=str(path),
            inputs=input_files(str(path), SourceKind.VIDEO),
        )
        if ctx.width <= 0 or ctx.height <= 0:
            raise SourceError(f"{path} has a video stream without a valid frame size; the file is damaged")
        self._packets = self._container.demux(stream)
        self._pending: list[av.VideoFrame] = []
        self._index = 0
        self._first_pts: int | None = None
        self.damaged_packets = 0
        self._ended = False

    def _next_frame(self) -> av.VideoFrame | None:
        while not self._pending:
            if self._ended:
                return None
            try:
                packet = next(self._packets)
            except StopIteration:
                self._ended = True
                return None
            except av.FFmpegError as e:
                # The container itself is broken from here on (e.g. a truncated file).
                log.warning("%s: stopped reading at a damaged spot after %s (%s)", self.path, count(self._index, "frame"),
                            _reason(e))
                self._ended = True
                self._pending.extend(self._flush())
                continue
            try:
                self._pending.extend(packet.decode())
            except av.FFmpegError:
                self.damaged_packets += 1
        return self._pending.pop(0)

    def _flush(self) -> list[av.VideoFrame]:
        try:
            return list(self._stream.codec_context.decode(None))
        except av.FFmpegError:
            return []

    def read(self) -> Frame | None:
        frame = self._next_frame()
        if frame is None:
            if self._index == 0:
                raise SourceError(f"{self.path} holds no decodable video frames; the file is damaged or empty")
            return None
        tb = frame.time_base or self.info.time_base
        pts = frame.pts
        if pts is None:
            pts = round(self._index / self.info.fps / tb)
        rgb = frame.to_ndarray(format="rgb24")
        out = Frame(rgb=rgb, index=self._index, pts_s=float(pts * tb), captured_ns=time.monotonic_ns(), pts=pts)
        self._index += 1
        return out

    def close(self) -> None:
        if self.damaged_packets:
            log.warning("%s: skipped %s", self.path, count(self.damaged_packets, "damaged packet"))
        self._container.close()


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def input_files(spec: str, kind: SourceKind) -> InputFiles:
    """The one file a video source reads."""
    return InputFiles(files=(Path(spec),))


def open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> VideoFileSource:
    return VideoFileSource(Path(spec))
