"""What travels between capture, buffer, model and sink."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
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
class StreamInfo:
    """What a source knows about its stream before the first frame.

    ``live`` sources (cameras, network streams) run in live mode by default: bounded latency,
    oldest frames dropped when behind. ``names`` are per-frame file names for image sources;
    ``media_path`` is the file other streams (audio) can be copied from. ``kind`` is the decided
    kind of the source (:func:`streamer.sources.source_kind`).
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
    description: str = ""
