"""Shipped weights: present, small, documented, and better than the official release on LOL val."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models import catalog


@pytest.mark.parametrize("name", list(catalog.CATALOG))
def test_weights_are_shipped_small_with_a_card_that_matches(name: str) -> None:
    w = catalog.get(name)
    for path in (w.checkpoint_path(), w.onnx_path(), w.card_path()):
        assert path.is_file(), path
    assert w.checkpoint_path().stat().st_size < 2_000_000
    assert w.onnx_path().stat().st_size < 2_000_000
    card = w.card_path().read_text()
    for section in ("## Training", "## Validation", "## Licence of the data", "non-commercial"):
        assert section in card
    hashes = dict(re.findall(r"`([\w.]+)`[^|]*\| `([0-9a-f]{64})`", card))
    assert hashes[w.checkpoint] == catalog.sha256(w.checkpoint_path())
    assert hashes[w.onnx] == catalog.sha256(w.onnx_path())


@pytest.mark.parametrize("name", list(catalog.CATALOG))
def test_shipped_checkpoint_and_onnx_are_the_same_network(name: str) -> None:
    """The ONNX file is the export of the checkpoint (no stale export)."""
    torch = pytest.importorskip("torch")
    import numpy as np

    from models.checkpoint import load_checkpoint, network_from_checkpoint
    from models.export import FrameModel
    from tests.conftest import dark_frames

    w = catalog.get(name)
    ckpt = load_checkpoint(w.checkpoint_path())
    assert ckpt["arch"] == w.arch and "optimizer" not in ckpt
    frames = np.stack(dark_frames(1, 320, 200))
    with torch.no_grad():
        want = FrameModel(network_from_checkpoint(ckpt))(torch.from_numpy(frames)).numpy().astype(int)
    import onnxruntime as ort

    got = ort.InferenceSession(str(w.onnx_path()), providers=["CPUExecutionProvider"]).run(None, {"frames": frames})[0]
    assert np.abs(got.astype(int) - want).max() <= 1


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("name", list(catalog.CATALOG))
def test_shipped_weights_beat_the_official_release_on_lol_validation(name: str, shared_data: Path) -> None:
    pytest.importorskip("skimage")
    from benchmarks.eval_lol import OFFICIAL, evaluate

    result = evaluate(name, shared_data)
    official_psnr, official_ssim = OFFICIAL[name]
    assert result["pairs"] == 50
    assert result["psnr"] > official_psnr
    assert result["ssim"] > official_ssim
