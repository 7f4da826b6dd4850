"""Capture: ``open_source(spec)`` for files, image folders, URLs, camera indices and ``demo``.

Every source yields :class:`streamer.frame.Frame` objects (RGB uint8) from ``read()`` and
returns ``None`` at the end of the stream; failures raise :class:`streamer.errors.SourceError`
with one line that says what and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from models.imagefiles import IMAGE_SUFFIXES
from streamer.errors import SourceError
from streamer.frame import Frame, StreamInfo
from streamer.sources.reconnect import ReconnectPolicy
from streamer.urls import is_url, mask_credentials

__all__ = ["IMAGE_SUFFIXES", "ReconnectPolicy", "Source", "SourceOptions", "open_source", "source_kind"]


class Source(Protocol):
    info: StreamInfo

    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the stream."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceOptions:
    """Capture settings: network timeouts in seconds, demo length and pacing.

    Network streams reconnect after an outage as ``reconnect`` says; ``live_duration_s`` (capture
    clock) ends a stream that is still down when the recording's time is up.
    """

    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    demo_duration_s: float = 10.0
    demo_realtime: bool = False
    reconnect: ReconnectPolicy = ReconnectPolicy()
    live_duration_s: float | None = None


def source_kind(spec: str) -> str:
    """Classify a source spec: ``demo``, ``camera``, ``url``, ``images``, ``image`` or ``video``."""
    if spec == "demo":
        return "demo"
    if spec.isdigit():
        return "camera"
    if is_url(spec):
        return "url"
    path = Path(spec)
    if path.is_dir():
        return "images"
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "image"
    return "video"


def open_source(spec: str, options: SourceOptions = SourceOptions()) -> Source:
    """Open the source ``spec`` names (see :func:`source_kind`)."""
    kind = source_kind(spec)
    if kind == "demo":
        from streamer.sources.demo import DemoSource

        return DemoSource(duration_s=options.demo_duration_s, realtime=options.demo_realtime)
    if kind == "camera":
        from streamer.sources.camera import CameraSource

        return CameraSource(int(spec))
    if kind == "url":
        from streamer.sources.network import NetworkSource
        from streamer.sources.reconnect import ReconnectingSource

        return ReconnectingSource(
            lambda: NetworkSource(spec, options.open_timeout_s, options.read_timeout_s),
            description=mask_credentials(spec), policy=options.reconnect, stop_after_s=options.live_duration_s,
        )
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"input not found: {mask_credentials(spec)} (check the path, or use 'demo' for the built-in scene)")
    if kind in ("images", "image"):
        from streamer.sources.images import ImageSource

        return ImageSource(path)
    from streamer.sources.video_file import VideoFileSource

    return VideoFileSource(path)
