"""Outputs: an H.264 video file, an image, or a folder of images.

``open_sink(path, info, options)`` picks the sink from the output path: a video suffix gives
:class:`~streamer.sinks.video_file.VideoFileSink`, an image suffix an image, anything else a
folder. Every sink takes ``write(frame, rgb)`` (the source frame for its timestamp and index,
and the enhanced (H, W, 3) uint8 RGB picture) and ``close(complete)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from models.data import IMAGE_SUFFIXES
from streamer.errors import ConfigError, SinkError
from streamer.frame import Frame, StreamInfo
from streamer.sources import SourceKind

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".m4v"})
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


class Sink(Protocol):
    path: Path

    def write(self, frame: Frame, rgb: np.ndarray) -> None: ...

    def close(self, complete: bool = True) -> None: ...


@dataclass(frozen=True)
class SinkOptions:
    """Encoder settings for video outputs (libx264, yuv420p) and whether to copy audio."""

    crf: int = 18
    preset: str = "veryfast"
    copy_audio: bool = True
    # libx264, or a GPU encoder picked by streamer.codecs.pick_encoder (h264_nvenc) when the model runs on CUDA.
    encoder: str = "libx264"
    # Live recordings encode each frame as it comes (x264 sliced threads: no frames held back);
    # files use frame threads, as the ffmpeg command line does (faster, better compression).
    low_latency: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"--crf must be between 0 and 51, not {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(f"--preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")


def check_writable(path: Path) -> None:
    """``SinkError`` unless ``path`` can be created or overwritten."""
    parent = path.parent if path.parent != Path("") else Path(".")
    if not parent.is_dir():
        raise SinkError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SinkError(f"cannot write {path}: permission denied (choose another output path)")


def sink_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix:
        known = ", ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        raise ConfigError(f"unknown output type {suffix!r}; use one of {known}, or a folder")
    return "folder"


def open_sink(path: Path, info: StreamInfo, options: SinkOptions = SinkOptions()) -> Sink:
    kind = sink_kind(path)
    if kind == "video":
        if info.kind.still:
            raise ConfigError("images in, video out is not supported: give an image file or a folder as output")
        from streamer.sinks.video_file import VideoFileSink

        return VideoFileSink(path, info, options)
    from streamer.sinks.images import FolderSink, ImageSink

    if kind == "image":
        if info.kind is not SourceKind.IMAGE:
            raise ConfigError(f"{path} is a single image but the input has many frames: give a folder or a video file")
        return ImageSink(path)
    return FolderSink(path, info)
