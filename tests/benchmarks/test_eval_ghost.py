"""The ghost measure behind moving lights (benchmarks/eval_ghost.py): it sees a fusion that ghosts, and
the shipped burst model is held to it."""

from __future__ import annotations

import numpy as np

from benchmarks.eval_ghost import ghost_levels, moving_lights, naive_fusion, run_model, trail_mask

BURST = 6


def test_the_trail_is_where_the_lights_were_and_are_not_now() -> None:
    clip = moving_lights(8, 320, 180, speed=8.0)
    mask = trail_mask(clip.glow, 7, BURST)
    assert mask.any()
    assert not (mask & (clip.glow[7] > 0.02)).any()  # never where the lights are now
    assert (clip.glow[2:7].max(0)[mask] > 0.10).all()  # always where they were in the burst


def test_a_fusion_that_lets_old_frames_through_is_measured_as_a_ghost() -> None:
    clip = moving_lights(10, 320, 180, speed=8.0)
    bursts = [clip.frames[max(0, k - BURST + 1) : k + 1] for k in range(len(clip.frames))]
    levels = ghost_levels(naive_fusion(bursts), naive_fusion([b[-1:] for b in bursts]), clip, BURST)
    assert levels["trail"] > 50 and levels["trail"] > 3 * levels["elsewhere"], levels
    # The newest frame alone against itself: no ghost at all.
    same = naive_fusion([b[-1:] for b in bursts])
    assert ghost_levels(same, same, clip, BURST)["trail"] == 0.0


def test_the_burst_model_leaves_no_trail_behind_moving_lights() -> None:
    clip = moving_lights(10, 320, 180, speed=8.0)
    fused, single, burst = run_model("burst", clip)
    levels = ghost_levels(fused, single, clip, burst)
    # What fusing changes behind the lights is no more than what it changes anywhere (its denoising).
    assert levels["trail"] <= levels["elsewhere"] + 3.0, levels
    assert np.isfinite(levels["trail_worst"])
