"""``streamer enhance --model burst`` end to end: file mode keeps every frame, live mode runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import catalog
from tests.conftest import dark_frames, decode, luma, run_cli, write_clip

pytestmark = pytest.mark.skipif(not catalog.get("burst").onnx_path().is_file(), reason="burst weights not shipped")


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_burst_model_keeps_every_frame_and_timestamp_and_brightens(backend: str, tmp_path: Path) -> None:
    if backend == "torch":
        pytest.importorskip("torch")
    # Half the demo street's level (luma about 23 of 255): a night frame the model brightens in full.
    clip = write_clip(tmp_path / "dark.mp4", [f // 2 for f in dark_frames(15, 160, 96)])
    out = tmp_path / "out.mp4"
    r = run_cli("enhance", str(clip.path), "-o", str(out), "--model", "burst", "--backend", backend)
    assert r.returncode == 0, r.stderr
    frames, times = decode(out)
    assert len(frames) == clip.frames
    assert max(abs(a - b) for a, b in zip(times, clip.pts_s, strict=True)) <= 0.002
    src, _ = decode(clip.path)
    assert np.mean([luma(f) for f in frames]) >= 1.5 * np.mean([luma(f) for f in src])


def test_burst_model_in_live_mode(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "dark.mp4", dark_frames(20, 160, 96), audio=False)
    out = tmp_path / "live.mp4"
    r = run_cli("enhance", str(clip.path), "-o", str(out), "--model", "burst", "--mode", "live")
    assert r.returncode == 0, r.stderr
    assert "live mode" in r.stderr and "dropped" in r.stderr
    frames, _ = decode(out)
    assert 1 <= len(frames) <= 20
