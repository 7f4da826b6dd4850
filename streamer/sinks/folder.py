"""A folder of images as the output: one image per frame, named after the input's files when it has them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from streamer.errors import SinkError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sinks.files import check_not_input, check_writable, overwrites
from streamer.sinks.image import write_image
from streamer.urls import mask_credentials

if TYPE_CHECKING:
    from streamer.sinks import SinkOptions


class FolderSink:
    """Frames go to ``folder/NAME`` (image inputs keep their names) or ``folder/000123.png``."""

    def __init__(self, folder: Path, info: StreamInfo) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SinkError(f"cannot create output folder {mask_credentials(str(folder))}: {e.strerror}") from e
        check_writable(folder / "probe")
        self.folder = folder
        self.address = str(folder.resolve())
        self._names = info.names
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        name = self._names[frame.index] if frame.index < len(self._names) else f"{frame.index:06d}.png"
        write_image(self.folder / name, rgb)
        self.frames += 1

    def close(self, complete: bool = True) -> None:
        pass


def check_address(address: str, inputs: InputFiles) -> bool:
    """Refuse the input folder, a folder inside it, and a folder where an image would land on an
    input file (frames keep their input's names); whether the folder already holds files."""
    folder = Path(address)
    check_not_input(folder, tuple(folder / name for name in inputs.names), inputs)
    return overwrites(folder)


def open_address(address: str, info: StreamInfo, options: SinkOptions) -> FolderSink:
    return FolderSink(Path(address), info)
