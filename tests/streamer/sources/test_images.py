"""Images as a source: one file, or a folder read in numeric order."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from streamer.errors import SourceError
from streamer.sources import SourceKind, open_source
from tests.conftest import dark_frames


def test_image_folder_is_numerically_ordered(tmp_path: Path) -> None:
    for name, rgb in zip(["10.png", "9.png", "100.png"], dark_frames(3, 32, 24), strict=True):
        cv2.imwrite(str(tmp_path / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    src = open_source(str(tmp_path))
    assert src.info.names == ("9.png", "10.png", "100.png")
    assert src.info.kind is SourceKind.IMAGES
    assert sum(1 for _ in iter(src.read, None)) == 3


def test_one_image_is_one_frame(tmp_path: Path) -> None:
    path = tmp_path / "night.png"
    rgb = dark_frames(1, 32, 24)[0]
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    src = open_source(str(path))
    assert src.info.kind is SourceKind.IMAGE and src.info.names == ("night.png",)
    frame = src.read()
    assert frame is not None and (frame.rgb == rgb).all()
    assert src.read() is None


def test_unreadable_image_and_empty_folder(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(SourceError, match="not a readable image"):
        open_source(str(bad))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no images"):
        open_source(str(empty))
