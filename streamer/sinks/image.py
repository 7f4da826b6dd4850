"""One image file as the output of a one-image input, and how every image output is written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from streamer.errors import ConfigError, SinkError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sinks.files import check_not_input, check_writable, overwrites
from streamer.sources.kind import SourceKind
from streamer.urls import mask_credentials

if TYPE_CHECKING:
    from streamer.sinks import SinkOptions


def write_image(path: Path, rgb: np.ndarray) -> None:
    """Write (H, W, 3) uint8 RGB; the format follows the suffix."""
    try:
        ok = cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except cv2.error as e:
        raise SinkError(f"cannot write {mask_credentials(str(path))}: {e}") from e
    if not ok:
        raise SinkError(f"cannot write {mask_credentials(str(path))} (check the folder exists and is writable)")


class ImageSink:
    """The one enhanced picture, in the format its suffix names."""

    def __init__(self, path: Path) -> None:
        check_writable(path)
        self.path = path
        self.address = str(path.resolve())
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        write_image(self.path, rgb)
        self.frames += 1

    def close(self, complete: bool = True) -> None:
        pass


def check_address(address: str, inputs: InputFiles) -> bool:
    """Refuse an image that is one of the input's files; whether it exists already (it is overwritten)."""
    path = Path(address)
    check_not_input(path, (), inputs)
    return overwrites(path)


def open_address(address: str, info: StreamInfo, options: SinkOptions) -> ImageSink:
    if info.kind is not SourceKind.IMAGE:
        raise ConfigError(f"{mask_credentials(address)} is a single image but the input has many frames: "
                          "give a folder or a video file")
    return ImageSink(Path(address))
