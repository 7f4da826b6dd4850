"""What a source spec names, decided once per job (:func:`source_kind`) and passed down as a :class:`SourceKind`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from models.imagefiles import IMAGE_SUFFIXES
from streamer.urls import is_url


class SourceKind(str, Enum):
    """The kinds of source ``open_source`` knows; the value is the name shown to users."""

    DEMO = "demo"
    CAMERA = "camera"
    URL = "url"
    IMAGES = "images"
    IMAGE = "image"
    VIDEO = "video"

    @property
    def live(self) -> bool:
        """Live by nature (cameras, network streams): live mode unless the user forces file mode."""
        return self in (SourceKind.CAMERA, SourceKind.URL)

    @property
    def still(self) -> bool:
        """Still pictures (an image or a folder of them): no time axis, so no temporal smoothing and no video out."""
        return self in (SourceKind.IMAGE, SourceKind.IMAGES)

    @property
    def on_disk(self) -> bool:
        """Read from the file system: the path must exist, and the stream has an end (it can be looped)."""
        return self in (SourceKind.VIDEO, SourceKind.IMAGE, SourceKind.IMAGES)

    def __str__(self) -> str:
        return self.value


def source_kind(spec: str) -> SourceKind:
    """Classify a source spec: ``demo``, a camera index, a URL, a folder, an image file, else a video file."""
    if spec == "demo":
        return SourceKind.DEMO
    if spec.isdigit():
        return SourceKind.CAMERA
    if is_url(spec):
        return SourceKind.URL
    path = Path(spec)
    if path.is_dir():
        return SourceKind.IMAGES
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return SourceKind.IMAGE
    return SourceKind.VIDEO
