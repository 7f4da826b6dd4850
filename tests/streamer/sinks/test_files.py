"""An output never destroys or re-reads its input: ``streamer.sinks.check_output`` and ``open_sink``.

Each refusal leaves the input's bytes as they were and creates no output, no temporary
``NAME.partial.mp4`` and no folder. Files are compared as files (device and inode), so every
spelling of the input is caught: ``./``, ``..``, a symlink, a hard link, a symlinked folder.
"""

from __future__ import annotations

import hashlib
import os
from fractions import Fraction
from pathlib import Path

import cv2
import pytest

from streamer.errors import SinkError
from streamer.frame import StreamInfo
from streamer.sinks import check_output, open_sink
from streamer.sources import SourceKind, input_files
from tests.conftest import dark_frames, write_clip


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (symlinks as their target) and its sha256: what must not change."""
    return {str(p.relative_to(root)): (f"-> {os.readlink(p)}" if p.is_symlink() else sha256(p))
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """``tmp_path/videos/cam.mp4``: a short real clip."""
    (tmp_path / "videos").mkdir()
    return write_clip(tmp_path / "videos" / "cam.mp4", dark_frames(3, 64, 48), audio=False).path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """``tmp_path/night``: a folder of three images."""
    night = tmp_path / "night"
    night.mkdir()
    for name, rgb in zip(("1.png", "2.png", "10.jpg"), dark_frames(3, 64, 48), strict=True):
        cv2.imwrite(str(night / name), rgb)
    return night


def refused(spec: Path, output: str, tmp_path: Path, match: str) -> None:
    """``output`` is refused for the input ``spec`` (by ``check_output`` and by ``open_sink``), and
    nothing under ``tmp_path`` changed: no byte of the input, no new file or folder."""
    before = tree(tmp_path)
    kind = SourceKind.IMAGES if spec.is_dir() else SourceKind.IMAGE if spec.suffix == ".png" else SourceKind.VIDEO
    inputs = input_files(str(spec), kind)
    with pytest.raises(SinkError, match=match) as e:
        check_output(output, inputs)
    assert "\n" not in str(e.value)
    info = StreamInfo(kind=kind, width=64, height=48, fps=30.0, time_base=Fraction(1, 30), live=False,
                      names=inputs.names, inputs=inputs)
    with pytest.raises(SinkError, match=match):
        open_sink(output, info)
    assert tree(tmp_path) == before


def test_a_video_output_that_is_the_input_under_any_name_is_refused(clip: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    videos = clip.parent
    (tmp_path / "link.mp4").symlink_to(clip)
    os.link(clip, tmp_path / "hard.mp4")
    (tmp_path / "dir-link").symlink_to(videos, target_is_directory=True)
    monkeypatch.chdir(videos)
    for output in (str(clip), "cam.mp4", "./cam.mp4", "../videos/cam.mp4", f"{videos}/../videos/cam.mp4",
                   str(tmp_path / "link.mp4"), str(tmp_path / "hard.mp4"), str(tmp_path / "dir-link" / "cam.mp4")):
        refused(clip, output, tmp_path, r"output .* is the input .*cam\.mp4: writing it would destroy the input")
        refused(Path("cam.mp4"), output, tmp_path, "is the input")  # the input given relative, too


def test_a_video_output_whose_temporary_file_is_the_input_is_refused(tmp_path: Path) -> None:
    partial = write_clip(tmp_path / "cam.partial.mp4", dark_frames(2, 64, 48), audio=False).path
    refused(partial, str(tmp_path / "cam.mp4"), tmp_path,
            r"output .*cam\.mp4 would write .*cam\.partial\.mp4 over the input .*cam\.partial\.mp4")


def test_an_image_output_that_is_the_input_is_refused(folder: Path, tmp_path: Path) -> None:
    image = folder / "1.png"
    (tmp_path / "alias.png").symlink_to(image)
    for output in (str(image), str(folder / ".." / "night" / "1.png"), str(tmp_path / "alias.png")):
        refused(image, output, tmp_path, "is the input")
    # One image into a folder: the enhanced image keeps its name, so its own folder would overwrite it.
    refused(image, str(folder), tmp_path, r"would write .*1\.png over the input")


def test_a_folder_output_that_is_or_is_inside_the_input_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    for output in (str(folder), f"{folder}/", str(tmp_path / "alias"), str(folder / ".." / "night")):
        refused(folder, output, tmp_path, "is the input folder .*night: it would overwrite the input images")
    for output in (str(folder / "enhanced"), str(tmp_path / "alias" / "enhanced"), str(folder / "a" / "b")):
        refused(folder, output, tmp_path, "is inside the input folder .*night: a re-run would read the outputs")


def test_a_folder_output_where_an_image_would_land_on_an_input_is_refused(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    os.link(folder / "10.jpg", other / "10.jpg")  # an earlier copy made with cp -l, say
    refused(folder, str(other), tmp_path, r"would write .*other/10\.jpg over the input .*night/10\.jpg")
    (other / "10.jpg").unlink()
    (other / "2.png").symlink_to(folder / "2.png")
    refused(folder, str(other), tmp_path, r"would write .*other/2\.png over the input .*night/2\.png")


def test_outputs_that_are_not_the_input_pass_and_say_whether_they_overwrite(clip: Path, folder: Path,
                                                                           tmp_path: Path) -> None:
    video = input_files(str(clip), SourceKind.VIDEO)
    assert check_output(str(tmp_path / "new.mp4"), video) is False
    (tmp_path / "old.mp4").write_bytes(b"an earlier result")
    assert check_output(str(tmp_path / "old.mp4"), video) is True
    (tmp_path / "dir-link").symlink_to(clip.parent, target_is_directory=True)
    assert check_output(str(tmp_path / "dir-link" / "cam_enhanced.mp4"), video) is False  # the input's folder, another name
    assert check_output(str(clip.parent / "frames"), video) is False  # a video's frames beside it

    images = input_files(str(folder), SourceKind.IMAGES)
    assert images.names == ("1.png", "2.png", "10.jpg")
    assert check_output(str(tmp_path / "night_enhanced"), images) is False
    (tmp_path / "night_enhanced").mkdir()
    assert check_output(str(tmp_path / "night_enhanced"), images) is False  # empty: nothing overwritten
    (tmp_path / "night_enhanced" / "1.png").write_bytes(b"an earlier result")
    assert check_output(str(tmp_path / "night_enhanced"), images) is True
    assert check_output(str(tmp_path), images) is True  # the folder above the input's: nothing read back (it holds files)
    # Live sources and the demo read no file: nothing to refuse.
    assert check_output(str(tmp_path / "old.mp4"), input_files("rtsp://cam:pw@host/x", SourceKind.URL)) is True
