"""The two-stage denoiser (issue 14): the degrader (CycleGAN) and the restorer trained on its pairs.

A few real steps on tiny images made in the test: checkpoints, resume, lineage, validation, the
VGG-19 option, bad training folders (one line each) and an interrupted run keeping its checkpoint.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.checkpoint import load_checkpoint, shippable  # noqa: E402
from models.errors import ConfigError, ModelError  # noqa: E402
from models.nets.restorer import VGG19Features  # noqa: E402
from models.training import degradation, restorer  # noqa: E402
from models.training.degradation import DegradationConfig  # noqa: E402
from models.training.restorer import RestorerConfig  # noqa: E402
from streamer.cli import main  # noqa: E402


def _write(folder: Path, images: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(images):
        cv2.imwrite(str(folder / f"{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    """Clean (well-exposed, textured), dark noisy twins of them (LOL-like low/high names), 48x64."""
    root = tmp_path_factory.mktemp("sets")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:48, 0:64]
    clean = []
    for i in range(4):
        base = 0.45 + 0.2 * np.sin(xx / (3 + i)) [..., None] * np.cos(yy / 5)[..., None] * np.array([1.0, 0.8, 0.6])
        clean.append((np.clip(base, 0, 1) * 255).astype(np.uint8))
    dark = [np.clip(c * 0.08 + rng.normal(0, 4, c.shape), 0, 255).astype(np.uint8) for c in clean]
    return {"high": _write(root / "high", clean), "low": _write(root / "low", dark)}


def stage1(sets, out: Path, **kw) -> DegradationConfig:
    base = dict(data=(sets["high"],), degraded=(sets["low"],), out=out, steps=3, batch_size=2, crop=32, channels=8,
                blocks=1, disc_channels=8, val_low=sets["low"], val_high=sets["high"], val_count=1, val_every=2,
                save_every=2, log_every=1, threads=1)
    return DegradationConfig(**(base | kw))


@pytest.fixture(scope="module")
def degrader_ckpt(sets, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deg") / "degrader.pt"
    degradation.train(stage1(sets, out))
    return out


def stage2(sets, degrader: Path, out: Path, **kw) -> RestorerConfig:
    base = dict(data=(sets["high"],), degrader=degrader, out=out, steps=2, batch_size=2, crop=32, channels=8,
                disc_channels=8, val_low=sets["low"], val_high=sets["high"], val_count=1, val_every=2, save_every=1,
                log_every=1, threads=1)
    return RestorerConfig(**(base | kw))


def test_stage1_writes_a_resumable_checkpoint_with_validation(sets, degrader_ckpt: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(degrader_ckpt)
    assert ckpt["arch"] == "degrader" and ckpt["step"] == 3
    assert {"f_psnr", "f_ssim", "f_brightness_ratio", "g_psnr"} <= set(ckpt["metrics"])
    assert ckpt["config"]["clean_images"] == 3  # the held-out pair's image is never trained on
    out = tmp_path / "d.pt"
    out.write_bytes(degrader_ckpt.read_bytes())
    assert degradation.train(stage1(sets, out, steps=4, resume=True))["step"] == 4


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_stage2_trains_the_shipped_weights_as_an_average(generator: str, sets, degrader_ckpt: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pt"
    ckpt = restorer.train(stage2(sets, degrader_ckpt, out, generator=generator))
    assert ckpt["step"] == 2 and ckpt["generator"] == generator
    assert {"psnr", "ssim", "curve_psnr", "once_input_psnr", "twice_restored_psnr"} <= set(ckpt["metrics"])
    assert restorer.best_path(out).is_file()
    # What ships is the moving average, not the raw weights, with what it is built from.
    raw, avg = ckpt["raw_state_dict"], ckpt["state_dict"]
    assert any(not torch.equal(raw[k], avg[k]) for k in avg)
    shipped = shippable(ckpt)
    assert {"generator", "channels", "blocks"} <= set(shipped) and "optimizer" not in shipped
    assert ckpt["config"]["feature_loss"] == "discriminator"
    assert ckpt["config"]["degrader_record"]["step"] == 3
    # Resumed, and then fine-tuned from it: the lineage says where the weights came from.
    assert restorer.train(stage2(sets, degrader_ckpt, out, generator=generator, steps=3, resume=True))["step"] == 3
    child = restorer.train(stage2(sets, degrader_ckpt, tmp_path / "c.pt", generator=generator, steps=1, init=out,
                                  val_low=None, val_high=None, twice=1.0, match_exposure="local"))
    assert child["lineage"][-1]["step"] == 3


def test_vgg19_weights_from_a_file_feed_the_feature_loss(sets, degrader_ckpt: Path, tmp_path: Path) -> None:
    vgg = tmp_path / "vgg19.pth"
    torch.save({f"features.{k}": v for k, v in VGG19Features().features.state_dict().items()}
               | {"classifier.0.weight": torch.zeros(2, 2)}, vgg)
    ckpt = restorer.train(stage2(sets, degrader_ckpt, tmp_path / "v.pt", vgg=vgg, steps=1, val_low=None, val_high=None))
    assert ckpt["config"]["feature_loss"] == "vgg19"
    bad = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(1)}, bad)
    with pytest.raises(ModelError, match="not VGG-19"):
        VGG19Features.load(bad)


def test_an_ssim_term_joins_the_restorer_loss(sets, degrader_ckpt: Path, tmp_path: Path) -> None:
    runs = [restorer.train(stage2(sets, degrader_ckpt, tmp_path / f"s{w}.pt", ssim_weight=w, steps=1, val_low=None,
                                  val_high=None)) for w in (0.0, 5.0)]
    assert runs[1]["config"]["ssim_weight"] == 5.0
    # Same seed, same batch: only the SSIM term can make the first step's weights differ.
    assert any(not torch.equal(runs[0]["raw_state_dict"][k], runs[1]["raw_state_dict"][k]) for k in runs[0]["raw_state_dict"])
    with pytest.raises(ConfigError, match="ssim-weight"):
        stage2(sets, degrader_ckpt, tmp_path / "n.pt", ssim_weight=-1.0)


def _cli_error(capsys, *argv: str) -> str:
    # The CLI sets up the root logger for its process; in-process here, so put pytest's back afterwards
    # (a handler left on the captured stderr would break the logging of the tests that follow).
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert main(["train", *argv, "--threads", "1"]) != 0
    finally:
        root.handlers[:], root.level = handlers, level
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_training_folders_are_one_line(sets, tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    one = _write(tmp_path / "one", [cv2.imread(str(sets["high"] / "0.png"))[..., ::-1]])
    broken = _write(tmp_path / "broken", [])
    (broken / "0.jpg").write_bytes(b"not a jpeg")
    common = ("--degraded", str(sets["low"]), "--out", str(tmp_path / "x.pt"), "--crop", "32", "--steps", "1")
    assert "no images in" in _cli_error(capsys, "degrader", "--data", str(empty), *common)
    assert "1 usable image(s)" in _cli_error(capsys, "degrader", "--data", str(one), *common)
    assert "cannot read image" in _cli_error(capsys, "degrader", "--data", str(broken), *common)
    assert "--degraded PATH" in _cli_error(capsys, "degrader", "--data", str(sets["high"]), "--out", str(tmp_path / "y.pt"))
    assert "--degrader CKPT" in _cli_error(capsys, "restorer", "--data", str(sets["high"]), "--out", str(tmp_path / "z.pt"))


def test_an_interrupted_run_keeps_its_last_checkpoint(sets, degrader_ckpt: Path, tmp_path: Path, monkeypatch) -> None:
    calls = {"n": 0}
    real = degradation.PatchSampler.batch

    def batch(self, size):
        calls["n"] += 1
        if calls["n"] > 2:  # the second batch of the restorer's second step: Ctrl-C
            raise KeyboardInterrupt
        return real(self, size)

    monkeypatch.setattr(degradation.PatchSampler, "batch", batch)
    out = tmp_path / "r.pt"
    with pytest.raises(KeyboardInterrupt):
        restorer.train(stage2(sets, degrader_ckpt, out, steps=5, save_every=100, val_low=None, val_high=None))
    assert load_checkpoint(out)["step"] == 2


def test_stage1_reads_video_files_as_degraded_frames(tmp_path: Path) -> None:
    path = tmp_path / "night.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(12):
        writer.write(np.full((48, 64, 3), 10 + i, np.uint8))
    writer.release()
    frames = degradation.load_images((tmp_path,), "degraded", 32, frames_per_video=4)
    assert len(frames) == 4 and frames[0].shape == (48, 64, 3)
    with pytest.raises(ConfigError, match="need at least 2"):
        degradation.load_images((path,), "degraded", 64, frames_per_video=4)


def test_local_exposure_matching_keeps_the_inputs_tone_and_the_targets_detail() -> None:
    y = torch.rand(1, 3, 64, 64) * 0.2 + 0.5
    x = torch.full((1, 3, 64, 64), 0.2)
    t = restorer.exposure_matched(y, x, "local")
    assert abs(float(t.mean()) - 0.2) < 0.01
    assert torch.allclose(t[..., 20:40, 20:40] - t[..., 20:40, 20:40].mean(), y[..., 20:40, 20:40] - y[..., 20:40, 20:40].mean(),
                          atol=0.05)
