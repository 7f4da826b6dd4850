"""night2day (CycleGAN) training: views held out, a few real steps, resume, --init lineage, an interrupted
run keeps its checkpoint, bad folders are one clear line."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.checkpoint import load_checkpoint, network_from_checkpoint, shippable  # noqa: E402
from models.errors import ConfigError  # noqa: E402
from models.training import night2day  # noqa: E402
from models.training.night2day import Night2DayConfig, learning_rate, train  # noqa: E402
from models.training.views import split_night_day  # noqa: E402

# Two "webcams" per side, told apart by their frame size (as the AMOS views are).
VIEWS = {"48x40": 3, "52x40": 2}


def _write(folder: Path, bright: bool, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    k = 0
    for view, count in VIEWS.items():
        w, h = map(int, view.split("x"))
        for _ in range(count):
            lo, hi = (120, 240) if bright else (0, 50)
            img = rng.integers(lo, hi, (h, w, 3), dtype=np.uint8)
            cv2.imwrite(str(folder / f"{k:03d}.png"), img)
            k += 1


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "n2d"
    _write(root / "night", bright=False, seed=0)
    _write(root / "day", bright=True, seed=1)
    return root


def config(root: Path, out: Path, **kw) -> Night2DayConfig:
    base = dict(data=(root,), out=out, ngf=4, ndf=4, n_blocks=1, crop=32, short_side=40, steps=4, pool_size=3,
                held_out_views=("52x40",), val_every=2, save_every=2, log_every=1, threads=1)
    return Night2DayConfig(**(base | kw))


def test_views_are_held_out_whole_on_both_sides(data: Path) -> None:
    split = split_night_day(data, ("52x40",))
    for side in ("night", "day"):
        assert len(split[side].train) == 3 and len(split[side].held_out) == 2
        assert all(cv2.imread(str(p)).shape[1] == 52 for p in split[side].held_out)


def test_a_few_steps_write_a_resumable_checkpoint_with_validation(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.pt"
    ckpt = train(config(data, out))
    saved = load_checkpoint(out)
    assert saved["step"] == ckpt["step"] == 4 and saved["arch"] == "night2day"
    assert set(saved["metrics"]) >= {"g_gan", "cycle", "identity", "d", "proxy_kid"}
    assert [h["step"] for h in saved["validation"]] == [2, 4]
    assert saved["config"]["held_out"]["night"] == ["003.png", "004.png"]
    before = {k: v.clone() for k, v in saved["training"]["d_day"].items()}
    resumed = train(config(data, out, steps=6, resume=True))
    assert resumed["step"] == 6 and [h["step"] for h in resumed["validation"]] == [2, 4, 6]
    assert any(not torch.equal(before[k], v) for k, v in resumed["training"]["d_day"].items())
    # What ships: the night->day generator alone, in float16, loadable as a network.
    shipped = shippable(resumed)
    assert "training" not in shipped and shipped["state_dict"]["stem.1.weight"].dtype == torch.float16
    net = network_from_checkpoint(shipped)
    assert net.ngf == 4 and net(torch.rand(1, 3, 20, 30)).shape == (1, 3, 20, 30)


def test_init_records_lineage_and_resume_needs_the_same_widths(data: Path, tmp_path: Path) -> None:
    parent = tmp_path / "parent.pt"
    train(config(data, parent, steps=2, val_every=0))
    child = train(config(data, tmp_path / "child.pt", steps=2, val_every=0, init=parent, lr=1e-4))
    assert child["lineage"][0]["step"] == 2 and child["lineage"][0]["config"]["lr"] == 2e-4
    with pytest.raises(ConfigError, match="ngf 4"):
        train(config(data, parent, ngf=8, steps=4, resume=True))


def test_an_interrupted_run_keeps_its_last_step(data: Path, tmp_path: Path, monkeypatch) -> None:
    real_step, calls = night2day._step, []

    def step_then_interrupt(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_step(*args)

    monkeypatch.setattr(night2day, "_step", step_then_interrupt)
    out = tmp_path / "g.pt"
    with pytest.raises(KeyboardInterrupt):
        train(config(data, out, steps=10, save_every=100, val_every=0))
    assert load_checkpoint(out)["step"] == 3


def test_learning_rate_is_flat_then_falls_linearly_to_zero(data: Path, tmp_path: Path) -> None:
    cfg = config(data, tmp_path / "g.pt", steps=100)
    assert learning_rate(cfg, 0) == learning_rate(cfg, 49) == 2e-4
    assert learning_rate(cfg, 75) == pytest.approx(1e-4)
    assert learning_rate(cfg, 100) == 0.0


def test_presets_fill_what_is_not_given(data: Path, tmp_path: Path) -> None:
    cpu = Night2DayConfig(data=(data,), out=tmp_path / "g.pt")
    full = Night2DayConfig(data=(data,), out=tmp_path / "g.pt", size="full")
    assert (cpu.ngf, cpu.ndf, cpu.crop, cpu.short_side, cpu.n_blocks) == (16, 16, 128, 180, 9)
    assert (full.ngf, full.ndf, full.crop, full.n_blocks, full.lr, full.batch_size) == (64, 64, 256, 9, 2e-4, 1)
    assert Night2DayConfig(data=(data,), out=tmp_path / "g.pt", ngf=32).ngf == 32
    with pytest.raises(ConfigError, match="--size"):
        Night2DayConfig(data=(data,), out=tmp_path / "g.pt", size="huge")


def test_bad_folders_are_one_clear_line(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    (root / "night").mkdir(parents=True)
    (root / "day").mkdir()
    with pytest.raises(ConfigError, match="no images in"):
        split_night_day(root, ())
    cv2.imwrite(str(root / "night" / "a.png"), np.zeros((40, 48, 3), np.uint8))
    cv2.imwrite(str(root / "day" / "a.png"), np.zeros((40, 48, 3), np.uint8))
    cv2.imwrite(str(root / "day" / "b.png"), np.zeros((40, 48, 3), np.uint8))
    with pytest.raises(ConfigError, match=r"night: 1 training image\(s\) left.*at least 2"):
        split_night_day(root, ())
    (root / "night" / "b.jpg").write_bytes(b"not a picture")
    with pytest.raises(ConfigError, match="cannot read image .*b.jpg"):
        split_night_day(root, ())
    with pytest.raises(ConfigError, match="must hold the folders night/ and day/"):
        split_night_day(tmp_path, ())


def test_train_command_says_one_line_for_an_empty_folder(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "night").mkdir()
    (tmp_path / "day").mkdir()
    r = run_cli("train", "night2day", "--data", str(tmp_path), "--out", str(tmp_path / "g.pt"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no images in" in r.stderr
