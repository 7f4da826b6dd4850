"""The synthetic night clips' camera models: the infrared shot is a monochrome camera at a bitrate."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("av")

from benchmarks.night_clips import SHOTS, Shot, h264_round_trip, make_shot  # noqa: E402
from tests.models.training.test_synth import textured  # noqa: E402


def test_the_infrared_shot_is_grey_dark_and_banded_and_its_truth_is_grey() -> None:
    ir = next(s for s in SHOTS if s.name == "ir")
    image = textured(400, 640)
    dark, truth = make_shot(image, ir, frames=4)
    assert len(dark) == len(truth) == 4 and dark[0].shape == (360, 640, 3)
    assert all(np.abs(f[..., 0].astype(int) - f[..., 2]).max() <= 2 for f in dark)  # grey (up to 4:2:0 rounding)
    assert all((t[..., 0] == t[..., 1]).all() and (t[..., 1] == t[..., 2]).all() for t in truth)
    assert np.mean(dark) < 0.3 * np.mean(truth)  # dark
    # Column banding: with no banding the column means of a flat grey scene differ far less.
    flat = [np.full((360, 640, 3), 150, np.uint8)] * 4
    plain = Shot("flat", ratio=ir.ratio, photons=ir.photons, read_sigma=ir.read_sigma, mono=True, crf=10)
    banded = Shot("flat", ratio=ir.ratio, photons=ir.photons, read_sigma=ir.read_sigma, mono=True, crf=10,
                  column_sigma=ir.column_sigma)
    from benchmarks.night_clips import darken

    def column_spread(frames):
        return float(np.mean([f[..., 1].astype(float).mean(0).std() for f in frames]))
    assert column_spread(darken(flat, banded)) > 2 * column_spread(darken(flat, plain))


def test_a_bitrate_sets_how_much_of_the_noise_survives() -> None:
    rng = np.random.default_rng(0)
    # Grey (4:2:0 loses nothing of it) noisy frames: what a camera's encoder must spend bits on.
    frames = [np.repeat(rng.integers(20, 60, (96, 128, 1), dtype=np.uint8), 3, axis=2) for _ in range(6)]
    low, high = h264_round_trip(frames, 20, bitrate=50_000), h264_round_trip(frames, 20, bitrate=5_000_000)
    err = [float(np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(out, frames, strict=True)])) for out in (low, high)]
    assert err[0] > 2 * err[1], err
