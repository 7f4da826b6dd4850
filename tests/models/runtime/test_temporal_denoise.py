"""The temporal denoiser: still noise averaged over frames, anything that moves left as it is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.errors import ConfigError
from models.runtime.camera_motion import grid_step
from models.runtime.temporal_denoise import TemporalDenoiseConfig, TemporalDenoiser
from models.runtime.tone import exposure_strength


def _shifted(a: np.ndarray, dx: float, dy: float, fill: float) -> np.ndarray:
    """``a`` moved by (dx, dy): what was at (x - dx, y - dy) lands at (x, y), bilinear where the shift
    has a fraction (the four pixels around the source point); ``fill`` where the source point's pixels
    are not all in the frame."""
    h, w = a.shape[:2]
    bx, by = int(np.floor(-dx)), int(np.floor(-dy))
    ax, ay = -dx - bx, -dy - by
    cx, cy = int(ax > 0), int(ay > 0)
    out = np.full(a.shape, fill, np.float32)
    x0, x1 = max(0, -bx), min(w, w - bx - cx)
    y0, y1 = max(0, -by), min(h, h - by - cy)
    if x1 <= x0 or y1 <= y0:
        return out

    def tap(i: int, j: int) -> np.ndarray:
        return a[y0 + by + j : y1 + by + j, x0 + bx + i : x1 + bx + i].astype(np.float32)

    out[y0:y1, x0:x1] = ((1 - ax) * (1 - ay) * tap(0, 0) + ax * (1 - ay) * tap(cx, 0) + (1 - ax) * ay * tap(0, cy)
                         + ax * ay * tap(cx, cy))
    return out


def _reference(outs: list[np.ndarray], ins: list[np.ndarray], cfg: TemporalDenoiseConfig,
               shifts: list[tuple[float, float]]) -> list[np.ndarray]:
    """The rule in numpy, as the docstring says it (the C loop's reference), with the camera's shift
    of each frame given (``shifts``, from the denoiser: the motion estimate is tested on its own)."""
    result, last, average, frames = [], None, None, 0
    for out, inp, (fx, fy) in zip(outs, ins, shifts, strict=True):
        dx, dy = round(fx), round(fy)  # the threshold's median is taken at the whole pixel
        grey = cv2.cvtColor(inp, cv2.COLOR_RGB2GRAY)
        luma = cv2.boxFilter(grey, cv2.CV_32F, (3, 3), borderType=cv2.BORDER_REPLICATE)
        o = out.astype(np.float32)
        if last is None:
            f, average = o, o
        else:
            m = max(abs(dx), abs(dy))
            h, w = luma.shape
            k = grid_step(h, w)  # the camera motion's grid
            aligned = luma[m : h - m : k, m : w - m : k] - last[m - dy : h - m - dy : k, m - dx : w - m - dx : k]
            median = np.median(np.abs(aligned))
            threshold = np.clip(cfg.noise_scale * median, cfg.least, cfg.threshold)
            change = np.abs(luma - _shifted(last, fx, fy, np.inf))
            strength = cfg.strength * exposure_strength(inp)  # the frame's exposure fades it
            strength = min(strength, frames / (frames + 1.0)) if cfg.warm_up else strength
            w8 = strength * np.clip(1.0 - (change / threshold) ** 3, 0.0, 1.0)
            f = np.clip(o + w8[..., None] * (_shifted(average, fx, fy, 0.0) - o), 0.0, 255.0)
            average = np.floor(f * 256.0 + 0.5) / 256.0
        cut = last is not None and median >= cfg.threshold  # most of the frame changed: a new average
        last, frames = luma, 1 if cut else frames + 1
        result.append(np.floor(f + 0.5).astype(np.uint8))
    return result


def _still_scene(frames: int, seed: int = 0, level: float = 12.0, size: tuple[int, int] = (90, 160)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    scene = np.full((*size, 3), level, np.float32)
    scene[:, size[1] // 2 :] += 6.0  # an edge that must stay
    return [np.clip(scene + rng.normal(0.0, 1.5, scene.shape) + 0.5, 0, 255).astype(np.uint8) for _ in range(frames)]


def _gained(frames: list[np.ndarray], gain: float = 6.0) -> list[np.ndarray]:
    return [np.clip(f.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8) for f in frames]


def _panned(frames: int, step: tuple[int, int], seed: int = 0, size: tuple[int, int] = (90, 160),
            clean: bool = False) -> list[np.ndarray]:
    """A still, textured, dark scene seen by a camera that moves by ``step`` (dx, dy) pixels a frame,
    noisy (``clean``: the same views without the noise)."""
    rng = np.random.default_rng(seed)
    h, w = size
    pad = 4 + frames * max(abs(step[0]), abs(step[1]))
    texture = cv2.GaussianBlur(rng.uniform(0.0, 60.0, (h + 2 * pad, w + 2 * pad)).astype(np.float32), (0, 0), 1.5)
    scene = np.repeat(texture[..., None], 3, axis=2)
    out = []
    for k in range(frames):
        x0, y0 = pad - k * step[0], pad - k * step[1]  # the scene moves by +step in the picture
        view = scene[y0 : y0 + h, x0 : x0 + w]
        noise = 0.0 if clean else rng.normal(0.0, 1.5, view.shape)
        out.append(np.clip(view + noise + 0.5, 0, 255).astype(np.uint8))
    return out


@pytest.mark.parametrize("follow", [False, True])
def test_the_c_loop_is_the_rule(follow: bool) -> None:
    ins = _still_scene(8)
    ins[5] = np.roll(ins[5], 7, axis=1)  # something moves in one frame
    ins += _panned(6, (3, -2), size=ins[0].shape[:2])  # a cut, then a panning camera
    outs = _gained(ins)
    cfg = TemporalDenoiseConfig(follow_camera=follow)
    denoiser = TemporalDenoiser(cfg)
    got, shifts = [], []
    for o, i in zip(outs, ins, strict=True):
        got.append(denoiser(o, i))
        shifts.append(denoiser.shift)
    assert (shifts[-1] == (3, -2)) == follow
    for a, b in zip(got, _reference(outs, ins, cfg, shifts), strict=True):
        assert np.abs(a.astype(int) - b).max() <= 1


def test_a_panning_cameras_still_scene_is_averaged_too() -> None:
    ins, truth = _panned(24, (2, 1)), _gained(_panned(24, (2, 1), clean=True))
    outs = _gained(ins)

    def error(frames: list[np.ndarray]) -> float:  # RMS against the noiseless frames, after the start
        return float(np.sqrt(np.mean([(f.astype(np.float32) - t) ** 2 for f, t in zip(frames[8:], truth[8:], strict=True)])))

    got = {}
    for follow in (False, True):
        denoiser = TemporalDenoiser(TemporalDenoiseConfig(follow_camera=follow))
        got[follow] = error([denoiser(o, i) for o, i in zip(outs, ins, strict=True)])
    assert got[True] < 0.7 * error(outs)  # lined up, the still scene's noise is averaged away
    assert got[True] < 0.8 * got[False]  # not lined up, moving texture is mostly left as it is (or smeared)


def _bobbing(frames: int, seed: int = 0, size: tuple[int, int] = (90, 160), clean: bool = False) -> list[np.ndarray]:
    """A still, textured, dark scene seen by a dashcam: 2 px a frame to the left and a vertical bob of
    fractions of a pixel (bilinear views), noisy (``clean``: the same views without the noise)."""
    rng = np.random.default_rng(seed)
    h, w = size
    texture = cv2.GaussianBlur(rng.uniform(0.0, 60.0, (h + 16, w + 2 * frames + 16)).astype(np.float32), (0, 0), 1.2)
    out = []
    for k in range(frames):
        m = np.float32([[1, 0, -(4.0 + 2.0 * k)], [0, 1, -(8.0 + 2.0 * np.sin(k / 2.0))]])
        view = cv2.warpAffine(texture, m, (w, h), flags=cv2.INTER_LINEAR)
        noise = 0.0 if clean else rng.normal(0.0, 1.5, view.shape)
        out.append(np.repeat(np.clip(view + noise + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
    return out


def test_a_bobbing_camera_is_lined_up_to_a_fraction_of_a_pixel(monkeypatch) -> None:
    from models.runtime import camera_motion

    ins, truth = _bobbing(24), _gained(_bobbing(24, clean=True))
    outs = _gained(ins)

    def run() -> tuple[list[np.ndarray], list[tuple[float, float]]]:
        denoiser, got, shifts = TemporalDenoiser(), [], []
        for o, i in zip(outs, ins, strict=True):
            got.append(denoiser(o, i))
            shifts.append(denoiser.shift)
        return got, shifts

    def error(frames: list[np.ndarray]) -> float:  # RMS against the noiseless frames, after the start
        return float(np.sqrt(np.mean([(f.astype(np.float32) - t) ** 2 for f, t in zip(frames[8:], truth[8:], strict=True)])))

    fine, shifts = run()
    assert any(abs(dy - round(dy)) > 0.2 for _, dy in shifts)  # the bob was followed by fractions
    for a, b in zip(fine, _reference(outs, ins, TemporalDenoiseConfig(), shifts), strict=True):
        assert np.abs(a.astype(int) - b).max() <= 1  # the C loop's bilinear source is the rule's
    monkeypatch.setattr(camera_motion, "SNAP", 0.51)  # every fraction taken as none: whole pixels only
    whole, shifts = run()
    assert all(dy == round(dy) for _, dy in shifts)
    assert error(fine) < 0.9 * error(whole)


def test_still_noise_is_averaged_away_and_the_scene_kept() -> None:
    ins = _still_scene(24)
    outs = _gained(ins)
    denoiser = TemporalDenoiser()
    got = [denoiser(o, i) for o, i in zip(outs, ins, strict=True)]
    raw, clean = np.stack(outs[8:]).astype(np.float32), np.stack(got[8:]).astype(np.float32)
    assert clean.std(0).mean() < 0.5 * raw.std(0).mean()
    # The picture itself is the model's: the same mean, the edge where it was.
    assert abs(clean.mean() - raw.mean()) < 1.0
    def edge(frames: np.ndarray) -> float:
        return float(frames[..., 80:, :].mean() - frames[..., :80, :].mean())

    assert abs(edge(clean) - edge(raw)) < 1.0


def test_what_moves_is_the_newest_frame_alone() -> None:
    ins = _still_scene(6, level=8.0)
    # A bright light arrives in the last frame: where the input changed by the threshold or more, the
    # output is the model's output for this frame, nothing of the average before it.
    ins[-1] = ins[-1].copy()
    ins[-1][30:60, 40:80] = 200
    outs = _gained(ins, 3.0)
    denoiser = TemporalDenoiser()
    got = [denoiser(o, i) for o, i in zip(outs, ins, strict=True)]
    inside = (slice(32, 58), slice(42, 78))
    assert np.array_equal(got[-1][inside], outs[-1][inside])
    # The light then goes: no copy of it stays behind.
    ins.append(ins[0])
    outs.append(outs[0])
    after = denoiser(outs[-1], ins[-1])
    assert np.array_equal(after[inside], outs[-1][inside])


def test_first_frame_a_new_size_and_an_exposed_frame_pass_as_they_are() -> None:
    denoiser = TemporalDenoiser()
    ins = _still_scene(3)
    outs = _gained(ins)
    assert np.array_equal(denoiser(outs[0], ins[0]), outs[0])
    assert not np.array_equal(denoiser(outs[1], ins[1]), outs[1])
    small_in, small_out = ins[2][:40, :60].copy(), outs[2][:40, :60].copy()
    assert np.array_equal(denoiser(small_out, small_in), small_out)  # a new size starts afresh
    # Already exposed (mean luma well above the curve models' fade): left to the model alone.
    bright = _still_scene(3, level=120.0)
    denoiser = TemporalDenoiser()
    for frame in bright:
        assert np.array_equal(denoiser(frame, frame), frame)


def test_the_threshold_follows_the_inputs_noise() -> None:
    # Noiseless frames (a codec's skipped blocks repeat exactly): the least threshold, so a dark edge that
    # moves by a level or two is not averaged into a streak; noisy ones: up to the largest.
    cfg = TemporalDenoiseConfig()
    denoiser = TemporalDenoiser(cfg)
    still = np.full((60, 80), 10.0, np.float32)
    assert denoiser.threshold(still, still) == cfg.least
    rng = np.random.default_rng(0)
    noisy = [still + rng.normal(0.0, s, still.shape).astype(np.float32) for s in (0.3, 3.0)]
    low, high = (denoiser.threshold(n, still) for n in noisy)
    assert cfg.least < low < cfg.threshold and high == cfg.threshold


def test_bad_settings_and_mismatched_frames_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        TemporalDenoiseConfig(threshold=0.0)
    with pytest.raises(ConfigError, match="strength"):
        TemporalDenoiseConfig(strength=1.0)
    with pytest.raises(ConfigError, match="least"):
        TemporalDenoiseConfig(least=5.0, threshold=4.0)
    frame = _still_scene(1)[0]
    with pytest.raises(ConfigError, match="one \\(H, W, 3\\) size"):
        TemporalDenoiser()(frame, frame[:10])


def test_a_young_average_is_the_plain_mean_of_its_frames() -> None:
    # A still scene: the second frame's output is (near) the mean of the two frames, not 0.85 of the
    # first (one noisy frame), and the first frames are the cleaner for it.
    ins = _still_scene(6, level=12.0)
    outs = _gained(ins)
    clean = np.full(outs[0].shape, 72.0, np.float32)
    clean[:, clean.shape[1] // 2 :] = 108.0  # the still scene (12 and 18 levels) gained 6x, without noise

    def run(warm_up: bool) -> tuple[np.ndarray, float]:
        denoiser = TemporalDenoiser(TemporalDenoiseConfig(warm_up=warm_up))
        got = [denoiser(o, i).astype(np.float32) for o, i in zip(outs, ins, strict=True)]
        return got[1], float(np.sqrt(np.mean([(g - clean) ** 2 for g in got[1:4]])))

    (second, warm), (_, cold) = run(True), run(False)
    first, newest = outs[0].astype(np.float32), outs[1].astype(np.float32)
    mean, old_mix = (first + newest) / 2.0, 0.85 * first + 0.15 * newest
    assert np.abs(second - mean).mean() < 0.5 * np.abs(second - old_mix).mean()
    assert warm < 0.9 * cold


def test_after_a_cut_the_new_scenes_average_starts_young_again() -> None:
    # Ten frames of one scene, then a cut: the new scene's second frame is (near) the mean of its two.
    first = _still_scene(10, level=12.0)
    second = [np.roll(f, 40, axis=1)[::-1].copy() + np.uint8(30) for f in _still_scene(3, level=12.0, seed=5)]
    ins = first + second
    outs = _gained(ins, 3.0)
    denoiser = TemporalDenoiser()
    got = [denoiser(o, i).astype(np.float32) for o, i in zip(outs, ins, strict=True)]
    a, b = outs[10].astype(np.float32), outs[11].astype(np.float32)
    assert np.abs(got[11] - (a + b) / 2.0).mean() < 0.5 * np.abs(got[11] - (0.85 * a + 0.15 * b)).mean()
