"""``web.app.Page`` directly: the video upload runs the same job as ``streamer enhance``, and the
same check keeps its output from ever being the uploaded file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from streamer.serve import ServeConfig
from tests.conftest import dark_frames, decode, write_clip

gr = pytest.importorskip("gradio", reason="needs gradio (pip install -e '.[web]')")

from web import app  # noqa: E402


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_progress(*args, **kwargs) -> None:
    pass


@pytest.fixture
def page(tmp_path: Path) -> app.Page:
    """The page's upload half: the live view and the webcam are not used by an upload."""
    work = tmp_path / "work"
    work.mkdir()
    return app.Page(ServeConfig(), broadcaster=None, webcams=None, workdir=work, deliveries=None)  # type: ignore[arg-type]


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    """A clip as Gradio hands it over: a file in its upload folder."""
    (tmp_path / "uploads").mkdir()
    return write_clip(tmp_path / "uploads" / "clip.mp4", dark_frames(3, 64, 48), audio=False).path


def test_an_upload_is_enhanced_into_a_fresh_folder_and_the_upload_is_kept(page: app.Page, upload: Path) -> None:
    original = sha256(upload)
    out, download, summary = page.enhance_file(str(upload), "zero-dce++", progress=no_progress)
    assert Path(out).parent.parent == page._workdir and Path(out).name == "clip_enhanced.mp4"
    assert download == out and summary.startswith("3 frames in ")
    assert len(decode(Path(out))[0]) == 3
    assert sha256(upload) == original


def test_an_upload_whose_output_would_be_the_upload_is_refused(page: app.Page, upload: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Cannot happen with a fresh folder per upload; if it ever did, the job's check refuses it."""
    trap = tmp_path / "trap"
    trap.mkdir()
    os.link(upload, trap / "clip_enhanced.mp4")
    monkeypatch.setattr(app.tempfile, "mkdtemp", lambda **kwargs: str(trap))
    original = sha256(upload)
    with pytest.raises(gr.Error, match="is the input .*clip.mp4: writing it would destroy the input"):
        page.enhance_file(str(upload), "zero-dce++", progress=no_progress)
    assert sha256(upload) == original
    assert sorted(p.name for p in trap.iterdir()) == ["clip_enhanced.mp4"]  # no temporary file either
