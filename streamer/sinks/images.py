"""Image outputs: one image file, or a folder with one image per frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from streamer.errors import SinkError
from streamer.frame import Frame, StreamInfo


def write_image(path: Path, rgb: np.ndarray) -> None:
    """Write (H, W, 3) uint8 RGB; the format follows the suffix."""
    try:
        ok = cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except cv2.error as e:
        raise SinkError(f"cannot write {path}: {e}") from e
    if not ok:
        raise SinkError(f"cannot write {path} (check the folder exists and is writable)")


class ImageSink:
    def __init__(self, path: Path) -> None:
        from streamer.sinks import check_writable

        check_writable(path)
        self.path = path
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        write_image(self.path, rgb)
        self.frames += 1

    def close(self, complete: bool = True) -> None:
        pass


class FolderSink:
    """Frames go to ``folder/NAME`` (image inputs keep their names) or ``folder/000123.png``."""

    def __init__(self, folder: Path, info: StreamInfo) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SinkError(f"cannot create output folder {folder}: {e.strerror}") from e
        from streamer.sinks import check_writable

        check_writable(folder / "probe")
        self.path = folder
        self._names = info.names
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        name = self._names[frame.index] if frame.index < len(self._names) else f"{frame.index:06d}.png"
        write_image(self.path / name, rgb)
        self.frames += 1

    def close(self, complete: bool = True) -> None:
        pass
