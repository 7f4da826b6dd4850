"""The deblocking filter: codec block steps of dark flat areas smoothed in the enhanced frame, edges
and texture left alone, the C kernel equal to its numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.night_clips import h264_round_trip
from benchmarks.video_metrics import blockiness
from models.errors import ConfigError
from models.runtime.deblock import BLOCK, DeblockConfig, deblock, deblock_reference
from tests.conftest import dark_frames


def blocky(height: int, width: int, levels: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A frame of flat 8x8 blocks, each at its own grey level drawn from ``levels`` (inclusive)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(levels[0], levels[1] + 1, (-(-height // BLOCK), -(-width // BLOCK)), dtype=np.uint8)
    grid = np.repeat(np.repeat(cells, BLOCK, 0), BLOCK, 1)[:height, :width]
    return np.repeat(grid[..., None], 3, 2)


def boundary_steps(frame: np.ndarray) -> float:
    """Mean |step| across the vertical 8x8 boundaries, first channel."""
    f = frame[..., 0].astype(np.int32)
    cols = np.arange(BLOCK, f.shape[1], BLOCK)
    return float(np.abs(f[:, cols] - f[:, cols - 1]).mean())


def test_codec_steps_between_flat_blocks_become_ramps_and_the_brightness_stays() -> None:
    inp = blocky(64, 96, (20, 23))  # steps of at most 3 levels: a codec's dark sky
    out = (inp.astype(np.float32) * 5).astype(np.uint8)  # brightened 5x: steps of up to 15 levels
    got = deblock(out, inp)
    assert boundary_steps(got) < boundary_steps(out) / 3
    assert abs(float(got.mean()) - float(out.mean())) < 0.5
    assert np.array_equal(got[..., 0], got[..., 1]) and np.array_equal(got[..., 1], got[..., 2])  # grey stays grey


def test_real_edges_and_texture_are_left_alone() -> None:
    inp = np.full((48, 48, 3), 20, np.uint8)
    inp[:, 24:] = 70  # an edge of 50 levels on a block boundary: the scene, not the codec
    out = (inp.astype(np.float32) * 3).clip(0, 255).astype(np.uint8)
    assert np.array_equal(deblock(out, inp), out)
    rng = np.random.default_rng(1)
    texture = (30 + rng.normal(0, 8, (48, 48, 3))).clip(0, 255).astype(np.uint8)
    out = (texture.astype(np.float32) * 3).clip(0, 255).astype(np.uint8)
    assert (deblock(out, texture) != out).mean() < 0.02


@pytest.mark.parametrize("size", [(5, 7), (9, 9), (11, 17), (64, 96), (90, 160)])
def test_the_c_kernel_equals_the_numpy_reference(size: tuple[int, int]) -> None:
    h, w = size
    inp = blocky(h, w, (10, 14), seed=h) + np.random.default_rng(w).integers(0, 2, (h, w, 3), dtype=np.uint8)
    out = np.random.default_rng(h + w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out[::3] = 255
    for cfg in (DeblockConfig(), DeblockConfig(alpha=12, beta=4), DeblockConfig(alpha=1, beta=0)):
        assert np.array_equal(deblock(out, inp, cfg), deblock_reference(out, inp, cfg))


def test_black_white_and_single_colour_frames_come_back_unchanged_and_the_input_is_not_touched() -> None:
    for value in ((0, 0, 0), (255, 255, 255), (200, 30, 90)):
        frame = np.empty((40, 56, 3), np.uint8)
        frame[:] = value
        before = frame.copy()
        assert np.array_equal(deblock(frame, frame), before)
        assert np.array_equal(frame, before)


def test_mismatched_sizes_and_bad_thresholds_get_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="one .* size"):
        deblock(np.zeros((16, 16, 3), np.uint8), np.zeros((16, 8, 3), np.uint8))
    with pytest.raises(ConfigError, match="thresholds"):
        DeblockConfig(alpha=0)


def test_real_h264_blocks_of_a_brightened_dark_frame_are_reduced() -> None:
    # A dark street through libx264 at a low bitrate (blocky, as a camera's dark areas), decoded,
    # then a plain 6x gain: the blocks a brightening reveals.
    frames = [f // 3 for f in dark_frames(3, 320, 176)]
    decoded = h264_round_trip(frames, crf=38)
    inp = decoded[-1]
    out = (inp.astype(np.float32) * 6).clip(0, 255).astype(np.uint8)
    got = deblock(out, inp)

    def luma_blockiness(rgb: np.ndarray) -> float:
        return blockiness(rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))

    assert luma_blockiness(out) > 1.2  # the codec's grid shows
    assert luma_blockiness(got) < luma_blockiness(out) - 0.2
    assert abs(float(got.mean()) - float(out.mean())) < 1.0
