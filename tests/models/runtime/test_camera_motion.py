"""The camera's motion between frames: a pan found to the pixel, a fixed camera kept fixed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.runtime.camera_motion import CameraMotion, change


def _texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.uniform(0.0, 60.0, (h, w)).astype(np.float32), (0, 0), 1.5)


def _views(scene: np.ndarray, steps: list[tuple[int, int]], size: tuple[int, int], seed: int = 1) -> list[np.ndarray]:
    """Noisy (h, w) windows of ``scene``, the scene moving by each step in turn (what was at x - dx is at x)."""
    rng = np.random.default_rng(seed)
    h, w = size
    y0 = x0 = 60
    out = []
    for dx, dy in [(0, 0), *steps]:
        x0, y0 = x0 - dx, y0 - dy
        out.append(scene[y0 : y0 + h, x0 : x0 + w] + rng.normal(0.0, 1.5, (h, w)).astype(np.float32))
    return out


def _track(motion: CameraMotion, frames: list[np.ndarray]) -> list[tuple[int, int]]:
    """The shift of each frame from the one before it (the first: from none)."""
    return [motion.shift(f, frames[k - 1] if k else None) for k, f in enumerate(frames)]


@pytest.mark.parametrize("size", [(90, 160), (360, 640)])
def test_a_pan_is_found_to_the_pixel(size: tuple[int, int]) -> None:
    steps = [(3, -2), (3, -2), (-5, 0), (0, 4), (1, 1), (12, -7)]
    motion = CameraMotion()
    frames = _views(_texture(size[0] + 120, size[1] + 120), steps, size)
    shifts = _track(motion, frames)
    assert shifts[0] == (0, 0)  # the first frame: nothing to compare with
    assert shifts[1:] == steps


def test_a_fixed_camera_stays_fixed_when_something_crosses_it() -> None:
    scene = _texture(360, 640)
    motion = CameraMotion()
    rng = np.random.default_rng(2)
    frames = []
    for k in range(8):
        frame = scene + rng.normal(0.0, 1.5, scene.shape).astype(np.float32)
        frame[100:300, 40 + 20 * k : 340 + 20 * k] = _texture(200, 300, seed=3)  # a large object moving by 20 px
        frames.append(frame)
    assert _track(motion, frames) == [(0, 0)] * 8


def test_a_new_size_and_a_shift_beyond_the_limit_start_afresh() -> None:
    scene = _texture(300, 400)
    motion = CameraMotion(most=0.1)
    frames = _views(scene, [(30, 0)], (160, 240))  # 30 px of 240: beyond a tenth
    assert _track(motion, frames) == [(0, 0), (0, 0)]
    assert motion.shift(frames[1][:100, :200].copy(), frames[1]) == (0, 0)


@pytest.mark.parametrize("level", [0.0, 17.0, 255.0])
def test_a_flat_frame_has_no_motion(level: float) -> None:
    motion = CameraMotion()
    flat = np.full((360, 640), level, np.float32)
    assert _track(motion, [flat] * 3) == [(0, 0)] * 3
    assert motion.shift(_texture(360, 640), flat) == (0, 0)  # from flat to a picture: nothing lines up


def test_change_lines_the_frames_up() -> None:
    scene = _texture(200, 300)
    last, here = scene[50:150, 50:250], scene[48:148, 45:245]  # the scene moved by (5, 2)
    assert change(here, last, 5, 2, margin=5).mean() == 0.0
    assert change(here, last, 0, 0, margin=5).mean() > 1.0


def test_headlights_on_a_dark_flat_street_are_not_followed() -> None:
    # Lining the bright lights up lowers the mean change (the street is too flat to say otherwise), but
    # fewer of the street's pixels agree than with no shift, whose fixed-pattern noise lines up.
    rng = np.random.default_rng(4)
    fixed = rng.normal(0.0, 1.0, (180, 320)).astype(np.float32)
    motion = CameraMotion()
    frames = []
    for k in range(8):
        frame = 8.0 + fixed + rng.normal(0.0, 1.5, fixed.shape).astype(np.float32)
        frame[80:100, 20 + 8 * k : 44 + 8 * k] = 250.0
        frames.append(cv2.boxFilter(frame, -1, (3, 3)))
    assert _track(motion, frames) == [(0, 0)] * 8


def test_a_pan_by_fractions_of_a_pixel_is_found_to_a_tenth() -> None:
    # A dashcam's bob: the scene moves by fractions of a pixel (bilinear views of one texture).
    scene = _texture(480, 760)
    rng = np.random.default_rng(5)
    steps = [(-4.0, -0.98), (-4.0, 0.6), (2.4, 0.3), (-3.0, 0.0)]
    x, y = 60.0, 60.0
    frames = []
    for dx, dy in [(0.0, 0.0), *steps]:
        x, y = x - dx, y - dy
        view = cv2.warpAffine(scene, np.float32([[1, 0, -x], [0, 1, -y]]), (640, 360), flags=cv2.INTER_LINEAR)
        frames.append(cv2.boxFilter(view + rng.normal(0.0, 1.5, view.shape).astype(np.float32), -1, (3, 3)))
    motion = CameraMotion()
    for k, (dx, dy) in enumerate(steps, start=1):
        whole = motion.shift(frames[k], frames[k - 1])
        assert whole == (round(dx), round(dy))
        assert abs(motion.fine[0] - dx) <= 0.1 and abs(motion.fine[1] - dy) <= 0.1, (motion.fine, (dx, dy))
    # A fixed camera stays whole: no fraction is made up from its noise.
    motion.shift(frames[0] + rng.normal(0.0, 1.0, frames[0].shape).astype(np.float32), frames[0])
    assert motion.fine == (0.0, 0.0)
