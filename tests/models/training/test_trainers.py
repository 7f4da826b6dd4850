"""Training: a few real steps on images made in the test; resume; fine-tune the last layer."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import pytest

torch = pytest.importorskip("torch")

from models.checkpoint import build_network, load_checkpoint  # noqa: E402
from models.errors import ConfigError  # noqa: E402
from models.training.curves import TrainConfig, train  # noqa: E402
from tests.conftest import dark_frames  # noqa: E402


@pytest.fixture
def image_dirs(tmp_path: Path) -> tuple[Path, Path]:
    low, high = tmp_path / "low", tmp_path / "high"
    low.mkdir()
    high.mkdir()
    for i, rgb in enumerate(dark_frames(6, 96, 72)):
        cv2.imwrite(str(low / f"{i}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(high / f"{i}.png"), cv2.cvtColor(cv2.convertScaleAbs(rgb, alpha=5.0), cv2.COLOR_RGB2BGR))
    return low, high


def config(arch: str, low: Path, out: Path, **kw) -> TrainConfig:
    base = dict(arch=arch, data=(low,), out=out, steps=4, batch_size=2, crop=64, short_side=72, scale=4,
                save_every=2, log_every=1, threads=1)
    return TrainConfig(**(base | kw))


@pytest.mark.parametrize("arch", ["zero-dce", "zero-dce++"])
def test_a_few_steps_change_the_weights_and_write_a_checkpoint(arch: str, image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    out = tmp_path / "ckpt.pt"
    ckpt = train(config(arch, low, out))
    saved = load_checkpoint(out)
    assert saved["step"] == 4 and saved["arch"] == arch
    assert all(torch.equal(saved["state_dict"][k], v) for k, v in ckpt["state_dict"].items())
    torch.manual_seed(0)  # training seeds with cfg.seed before building: the same initial weights
    initial = build_network(arch, scale=4).state_dict()
    assert any(not torch.equal(initial[k], v) for k, v in ckpt["state_dict"].items())


def test_resume_continues_from_the_saved_step(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    out = tmp_path / "ckpt.pt"
    train(config("zero-dce++", low, out, steps=2))
    ckpt = train(config("zero-dce++", low, out, steps=5, resume=True))
    assert ckpt["step"] == 5


def test_freeze_all_but_last_only_trains_the_last_layer(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    base = tmp_path / "base.pt"
    before = train(config("zero-dce", low, base, steps=1))["state_dict"]
    before = {k: v.clone() for k, v in before.items()}
    after = train(config("zero-dce", low, tmp_path / "ft.pt", init=base, freeze="all-but-last", lr=1e-2))["state_dict"]
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"e_conv7"}


def test_pairs_add_an_l1_term_and_validation_reports_psnr(image_dirs, tmp_path: Path) -> None:
    pytest.importorskip("skimage")
    low, high = image_dirs
    ckpt = train(config("zero-dce++", low, tmp_path / "p.pt", pairs=(low, high), paired_weight=10.0,
                        val_low=low, val_high=high, val_count=2, val_every=2, keep_validated=True))
    assert ckpt["metrics"]["pairs"] == 2
    kept = sorted(p.name for p in tmp_path.glob("p.step*.pt"))  # --keep-validated: every validated step
    assert kept == ["p.step2.pt", "p.step4.pt"] and load_checkpoint(tmp_path / "p.step2.pt")["step"] == 2
    best = load_checkpoint(tmp_path / "p.best.pt")  # kept at the best validation step
    assert best["step"] in (2, 4) and best["metrics"]["psnr"] >= ckpt["metrics"]["psnr"] - 1e-9
    assert ckpt["metrics"]["psnr"] > 0
    assert ckpt["config"]["train_images"] == 4  # the 2 validation pairs are held out


def test_invalid_settings_are_config_errors(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    with pytest.raises(ConfigError, match="--freeze needs --init"):
        config("zero-dce", low, tmp_path / "x.pt", freeze="all-but-last")
    with pytest.raises(ConfigError, match="unknown model"):
        config("retinex", low, tmp_path / "x.pt")
    with pytest.raises(ConfigError, match="not found"):
        train(config("zero-dce", tmp_path / "missing", tmp_path / "x.pt"))
    with pytest.raises(ConfigError, match="go together"):
        config("zero-dce", low, tmp_path / "x.pt", pairs=(low, low))


def test_an_l2_pair_term_and_no_spatial_term_are_trained_and_logged(image_dirs, tmp_path: Path, caplog) -> None:
    low, high = image_dirs
    with caplog.at_level(logging.INFO, logger="models.training.curves"):
        train(config("zero-dce++", low, tmp_path / "l2.pt", pairs=(low, high), paired_weight=100.0, paired_loss="l2",
                     spatial_weight=0.0))
    parts = [r.args[3] for r in caplog.records if r.msg.startswith("step %d/%d loss")]
    assert parts and all("l2" in p and "l1" not in p and p["spa"] == 0.0 for p in parts)
    with pytest.raises(ConfigError, match="--paired-loss"):
        config("zero-dce++", low, tmp_path / "x.pt", pairs=(low, high), paired_weight=1.0, paired_loss="huber")


def test_a_paired_ssim_term_alone_is_trained_and_logged(image_dirs, tmp_path: Path, caplog) -> None:
    low, high = image_dirs
    with caplog.at_level(logging.INFO, logger="models.training.curves"):
        train(config("zero-dce++", low, tmp_path / "s.pt", pairs=(low, high), paired_ssim_weight=5.0))
    parts = [r.args[3] for r in caplog.records if r.msg.startswith("step %d/%d loss")]
    assert parts and all("ssim" in p and "l1" not in p and 0.0 <= p["ssim"] <= 10.0 for p in parts)


def test_train_command_runs(image_dirs, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    low, _ = image_dirs
    out = tmp_path / "cli.pt"
    r = run_cli("train", "zero-dce++", "--data", str(low), "--out", str(out), "--steps", "2", "--batch-size", "2",
                "--crop", "64", "--short-side", "72", "--scale", "4", "--threads", "1",
                "--curve-prior", "0.3", "0.1", "--curve-prior-weight", "100")
    assert r.returncode == 0, r.stderr
    saved = load_checkpoint(out)
    assert saved["step"] == 2 and saved["config"]["curve_prior"] == [0.3, 0.1]
    r = run_cli("export", "zero-dce++", "--weights", str(out), "-o", str(tmp_path / "cli.onnx"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "cli.onnx").stat().st_size > 10_000


def test_zero_dce_pp_can_train_at_full_resolution_and_ships_its_inference_scale(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    ckpt = train(config("zero-dce++", low, tmp_path / "s1.pt", train_scale=1, scale=4, steps=2))
    assert ckpt["scale"] == 4 and ckpt["config"]["train_scale"] == 1


def test_cosine_schedule_is_accepted_and_unknown_ones_are_not(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    assert train(config("zero-dce++", low, tmp_path / "c.pt", lr_schedule="cosine", steps=2))["step"] == 2
    with pytest.raises(ConfigError, match="lr-schedule"):
        config("zero-dce++", low, tmp_path / "c.pt", lr_schedule="step")


@pytest.mark.parametrize("mode", ["gain", "gamma"])
def test_match_brightness_brings_a_pair_to_the_outputs_mean(mode: str) -> None:
    from models.training.curves import match_brightness

    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 3, 16, 16, generator=g) ** 2
    output = torch.rand(2, 3, 16, 16, generator=g) * torch.tensor([0.4, 0.9]).view(2, 1, 1, 1)
    matched = match_brightness(target, output, mode)
    assert torch.allclose(matched.mean((1, 2, 3)), output.mean((1, 2, 3)), atol=1e-4)
    # Both are monotonic changes of the pair: no new structure.
    order = target.flatten(1).argsort()
    assert (matched.flatten(1).gather(1, order).diff() >= 0).all()
    if mode == "gamma":  # a power keeps white where it is
        white = torch.ones(1, 3, 2, 2)
        white[..., 0, 0] = 0.2
        assert match_brightness(white, torch.full((1, 3, 2, 2), 0.3), mode).amax() == pytest.approx(1.0)


def test_a_curve_prior_term_alone_pulls_the_map_towards_the_brightness_rule(image_dirs, tmp_path: Path) -> None:
    from models.imagefiles import read_rgb
    from models.training.curve_prior import prior_loss

    low, _ = image_dirs
    frames = torch.stack([torch.from_numpy(read_rgb(p)) for p in sorted(low.glob("*.png"))]).permute(0, 3, 1, 2) / 255.0
    torch.manual_seed(0)  # the initial weights train() starts from
    before = build_network("zero-dce++", scale=4)

    def distance(net: torch.nn.Module) -> float:
        with torch.no_grad():
            return float(prior_loss(net(frames)[1], frames, 0.5, 0.2, scale=4))

    kw = dict(exposure_weight=0.0, spatial_weight=0.0, color_weight=0.0, tv_weight=0.0, lr=1e-2, steps=30)
    ckpt = train(config("zero-dce++", low, tmp_path / "r.pt", curve_prior=(0.5, 0.2), curve_prior_weight=1.0, **kw))
    after = build_network("zero-dce++", scale=4)
    after.load_state_dict(ckpt["state_dict"])
    assert distance(after) < 0.2 * distance(before)
    assert ckpt["config"]["curve_prior"] == [0.5, 0.2]


def test_curve_prior_settings_go_together_and_are_for_zero_dce_pp(image_dirs, tmp_path: Path) -> None:
    low, _ = image_dirs
    with pytest.raises(ConfigError, match="--curve-prior A0 B and a positive --curve-prior-weight"):
        config("zero-dce++", low, tmp_path / "x.pt", curve_prior=(0.3, 0.1))
    with pytest.raises(ConfigError, match="go together"):
        config("zero-dce++", low, tmp_path / "x.pt", curve_prior_weight=1.0)
    with pytest.raises(ConfigError, match="for zero-dce\\+\\+"):
        config("zero-dce", low, tmp_path / "x.pt", curve_prior=(0.3, 0.1), curve_prior_weight=1.0)


def test_a_run_from_init_records_where_its_weights_came_from(image_dirs, tmp_path: Path) -> None:
    from models.checkpoint import shippable

    low, _ = image_dirs
    first = train(config("zero-dce++", low, tmp_path / "a.pt", steps=2, lr=1e-3))
    second = train(config("zero-dce++", low, tmp_path / "b.pt", steps=1, init=tmp_path / "a.pt"))
    third = train(config("zero-dce++", low, tmp_path / "c.pt", steps=1, init=tmp_path / "b.pt"))
    assert first["lineage"] == []
    assert [r["step"] for r in third["lineage"]] == [2, 1]
    assert third["lineage"][0]["config"]["lr"] == 1e-3 and third["lineage"][1]["config"]["init"] == str(tmp_path / "a.pt")
    assert shippable(load_checkpoint(tmp_path / "c.pt"))["lineage"] == third["lineage"]
    assert second["lineage"][0]["config"] == first["config"]
