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
    from models.export.onnx import frame_model
    from tests.conftest import dark_frames

    w = catalog.get(name)
    ckpt = load_checkpoint(w.checkpoint_path())
    assert ckpt["arch"] == w.arch and "optimizer" not in ckpt
    frames = np.stack(dark_frames(1, 320, 200))
    with torch.no_grad():
        want = frame_model(network_from_checkpoint(ckpt))(torch.from_numpy(frames)).numpy().astype(int)
    import onnxruntime as ort

    got = ort.InferenceSession(str(w.onnx_path()), providers=["CPUExecutionProvider"]).run(None, {"frames": frames})[0]
    assert np.abs(got.astype(int) - want).max() <= 1


# Where our weights do not yet beat the official release, the comparison is a strict xfail that names
# the gap: it fails loudly (XPASS) as soon as new weights do, so this table must be kept current.
NOT_YET_BETTER: dict[str, str] = {}  # none today: both curve models beat their official release


OFFICIAL_NAMES = ("zero-dce", "zero-dce++")  # models with an official release to beat (not the burst model)


@pytest.fixture(scope="module")
def lol_results(shared_data: Path) -> dict[str, dict[str, float]]:
    pytest.importorskip("skimage")
    from benchmarks.eval_lol import evaluate

    return {name: evaluate(name, shared_data) for name in catalog.validated_on("lol")}


def _card_numbers(name: str) -> tuple[float, float]:
    card = catalog.get(name).card_path().read_text()
    m = re.search(r"^\| these \| ([0-9.]+) \| ([0-9.]+) \|$", card, re.MULTILINE)
    assert m, "the card has no validation row for these weights"
    return float(m.group(1)), float(m.group(2))


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("name", catalog.validated_on("lol"))
def test_the_cards_validation_numbers_are_reproduced(name: str, lol_results) -> None:
    psnr, ssim = _card_numbers(name)
    assert lol_results[name]["pairs"] == 50
    assert lol_results[name]["psnr"] == pytest.approx(psnr, abs=0.01)
    assert lol_results[name]["ssim"] == pytest.approx(ssim, abs=0.001)


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NOT_YET_BETTER[n])) if n in NOT_YET_BETTER else n
     for n in catalog.CATALOG if n in OFFICIAL_NAMES],
)
def test_shipped_weights_beat_the_official_release_on_lol_validation(name: str, lol_results) -> None:
    from models.export.card import OFFICIAL

    official_psnr, official_ssim = OFFICIAL[name]
    assert lol_results[name]["psnr"] > official_psnr
    assert lol_results[name]["ssim"] > official_ssim
