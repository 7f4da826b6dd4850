"""How source specs are classified: decided once, as a :class:`SourceKind`."""

from __future__ import annotations

from pathlib import Path

from streamer.sources import SourceKind, source_kind


def test_source_kinds(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").touch()
    assert source_kind("demo") is SourceKind.DEMO
    assert source_kind("0") is SourceKind.CAMERA
    assert source_kind("rtsp://cam/1") is SourceKind.URL
    assert source_kind(str(tmp_path)) is SourceKind.IMAGES
    assert source_kind(str(tmp_path / "a.jpg")) is SourceKind.IMAGE
    assert source_kind(str(tmp_path / "clip.mkv")) is SourceKind.VIDEO


def test_what_each_kind_implies() -> None:
    assert {k for k in SourceKind if k.live} == {SourceKind.CAMERA, SourceKind.URL}
    assert {k for k in SourceKind if k.still} == {SourceKind.IMAGE, SourceKind.IMAGES}
    assert {k for k in SourceKind if k.on_disk} == {SourceKind.VIDEO, SourceKind.IMAGE, SourceKind.IMAGES}
    assert str(SourceKind.URL) == "url"
