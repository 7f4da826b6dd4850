"""What travels between capture, buffer, model and sink."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from streamer.sources.audio_feed import AudioFeed
    from streamer.sources.kind import SourceKind


@dataclass(frozen=True)
class Frame:
    """One captured frame.

    Attributes:
        rgb: (H, W, 3) uint8 RGB, C-contiguous.
        index: 0-based position in the stream as read (dropped frames still consume an index).
        pts_s: presentation time in seconds: the stream's own PTS for files, seconds since the
            capture started (capture clock) for live sources.
        captured_ns: ``time.monotonic_ns()`` when the frame was read; latency is measured from it.
        pts: the exact timestamp in ``StreamInfo.time_base`` units when the source has one.
    """

    rgb: np.ndarray
    index: int
    pts_s: float
    captured_ns: int
    pts: int | None = None


@dataclass(frozen=True)
class InputFiles:
    """The files a job reads, which no output may overwrite and no re-run may read back.

    ``files``: every file the source reads (the video, the image, every image of a folder; none for
    a camera, a stream or the demo). ``folder``: the folder read, for a folder of images.
    ``names``: the file names the frames carry (images), which a folder output reuses.
    Decided once per job by :func:`streamer.sources.input_files`.
    """

    files: tuple[Path, ...] = ()
    folder: Path | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamInfo:
    """What a source knows about its stream before the first frame.

    ``live`` sources (cameras, network streams) run in live mode by default: bounded latency,
    oldest frames dropped when behind. ``names`` are per-frame file names for image sources;
    ``media_path`` is the file other streams (audio) can be copied from; ``audio`` a live camera's
    audio, demuxed with its video as it comes (:mod:`streamer.sources.audio_feed`); the sinks decide
    what they copy from either in one place (:func:`streamer.sinks.stream_copy.open_copy`). ``kind`` is the decided
    kind of the source (:func:`streamer.sources.source_kind`); ``inputs`` the files it reads, which
    every output opened for this stream is checked against (:func:`streamer.sinks.open_sink`).
    """

    kind: SourceKind
    width: int
    height: int
    fps: float
    time_base: Fraction
    live: bool
    frame_count: int | None = None
    duration_s: float | None = None
    names: tuple[str, ...] = ()
    media_path: Path | None = None
    audio: AudioFeed | None = None
    description: str = ""
    inputs: InputFiles = InputFiles()
