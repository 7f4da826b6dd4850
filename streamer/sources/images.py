"""A single image file or a folder of images (numerically sorted), one frame each."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from models.imagefiles import IMAGE_SUFFIXES, numeric_key
from streamer.errors import SourceError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sources.kind import SourceKind

if TYPE_CHECKING:
    from streamer.sources import SourceOptions


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; ``SourceError`` when the file is not a readable image."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SourceError(f"{path} is not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def input_files(spec: str, kind: SourceKind) -> InputFiles:
    """The image ``spec`` names, or every image of the folder ``spec`` (:attr:`SourceKind.IMAGES`)
    in numeric order: the frames, in the order they are read."""
    path = Path(spec)
    if kind is not SourceKind.IMAGES:
        return InputFiles(files=(path,), names=(path.name,))
    try:
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=numeric_key)
    except OSError as e:
        raise SourceError(f"cannot read folder {path}: {e.strerror}") from e
    return InputFiles(files=tuple(files), folder=path, names=tuple(p.name for p in files))


class ImageSource:
    """Images as a non-live stream at a nominal 1 fps; ``info.names`` keeps the file names.

    ``kind`` says whether ``path`` is one image (:attr:`SourceKind.IMAGE`) or a folder of them
    (:attr:`SourceKind.IMAGES`, read in numeric order).
    """

    def __init__(self, path: Path, kind: SourceKind) -> None:
        inputs = input_files(str(path), kind)
        files = inputs.files
        if not files:
            raise SourceError(f"no images in folder {path} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        self._files = files
        first = read_image(files[0])
        self._first: np.ndarray | None = first
        self._index = 0
        self.info = StreamInfo(
            kind=kind,
            width=first.shape[1],
            height=first.shape[0],
            fps=1.0,
            time_base=Fraction(1),
            live=False,
            frame_count=len(files),
            names=inputs.names,
            description=str(path),
            inputs=inputs,
        )

    def read(self) -> Frame | None:
        if self._index >= len(self._files):
            return None
        if self._first is not None:
            rgb, self._first = self._first, None
        else:
            rgb = read_image(self._files[self._index])
        frame = Frame(rgb=rgb, index=self._index, pts_s=float(self._index), captured_ns=time.monotonic_ns(), pts=self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._first = None


def open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> ImageSource:
    return ImageSource(Path(spec), kind)
