"""The burst model's working size on CPUs: large frames run shrunk, the output comes back at full size."""

from __future__ import annotations

import cv2
import numpy as np

from models import backends, catalog
from models.backends.resized import ResizedBackend, working_size
from tests.conftest import dark_frames


def test_720p_and_1080p_run_at_360p_and_360p_and_smaller_as_they_are() -> None:
    assert working_size(360, 640, 640 * 360) == (360, 640)
    assert working_size(240, 320, 640 * 360) == (240, 320)
    assert working_size(720, 1280, 640 * 360) == (360, 640)
    assert working_size(1080, 1920, 640 * 360) == (360, 640)
    # Just over the limit: the largest even size that fits, not half of it.
    assert working_size(400, 600, 640 * 360) == (390, 586)


def test_a_large_burst_runs_at_the_working_size_and_comes_back_full_size() -> None:
    weights = catalog.get("burst")
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    resized = next(layer for layer in backends.layers(backend) if isinstance(layer, ResizedBackend))
    frames = np.stack([f // 3 for f in dark_frames(weights.burst, 320, 180)])
    big = np.stack([np.repeat(np.repeat(f, 4, 0), 4, 1) for f in frames])  # 1280x720: run at 640x360
    out = backend.enhance(big)
    assert out.shape == (720, 1280, 3) and out.mean() > 2 * big[-1].mean()
    small = resized.inner.enhance(np.stack([f[::2, ::2] for f in big]))  # what ran, near enough
    up = np.repeat(np.repeat(small, 2, 0), 2, 1)
    assert np.abs(out.astype(int) - up.astype(int)).mean() < 6
    backend.close()


class _Recorder:
    """An inner backend that returns the newest frame it was given and keeps every burst it saw."""

    name, device, burst, path = "recorder", "cpu", 3, None

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        self.seen.append(frames.copy())
        return frames[-1]

    def close(self) -> None:
        pass


def test_a_burst_moved_on_by_one_frame_shrinks_only_its_new_frame_and_matches_shrinking_all() -> None:
    rng = np.random.default_rng(0)
    video = rng.integers(0, 255, (7, 120, 160, 3), dtype=np.uint8)
    inner = _Recorder()
    backend = ResizedBackend(inner, 80 * 60)
    ring = [video[0]] * 3
    for k in range(1, len(video)):
        ring = ring[1:] + [video[k]]
        backend.enhance(np.stack(ring))
    # A burst that does not follow (a seek: the same frames in another order) is shrunk in full.
    backend.enhance(np.stack([video[6], video[2], video[4]]))
    for burst in inner.seen:
        assert burst.shape == (3, 60, 80, 3)
    expected = [cv2.resize(f, (80, 60), interpolation=cv2.INTER_AREA) for f in (video[6], video[2], video[4])]
    assert np.array_equal(inner.seen[-1], np.stack(expected))
    for k, burst in enumerate(inner.seen[:-1], start=1):
        frames = [video[max(0, j)] for j in range(k - 2, k + 1)]
        assert np.array_equal(burst, np.stack([cv2.resize(f, (80, 60), interpolation=cv2.INTER_AREA) for f in frames]))


def test_the_input_detail_comes_back_in_the_share_the_network_leaves_to_its_input() -> None:
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (1, 120, 160, 3), dtype=np.uint8)
    blurred = ResizedBackend(_Recorder(), 80 * 60).enhance(frame)
    assert np.abs(blurred.astype(int) - frame[0]).mean() > 20  # the scale-up loses the detail
    # A network that keeps none of its prediction (an exposed frame): the frame itself, at full size.
    assert np.array_equal(ResizedBackend(_Recorder(), 80 * 60, lambda small: 0.0).enhance(frame), frame[0])
    # All of it (a dark frame): nothing of the input comes back; half: half-way between.
    assert np.array_equal(ResizedBackend(_Recorder(), 80 * 60, lambda small: 1.0).enhance(frame), blurred)
    half = ResizedBackend(_Recorder(), 80 * 60, lambda small: 0.5).enhance(frame).astype(int)
    assert np.abs(half - (blurred.astype(int) + frame[0]) / 2).max() <= 1


def test_the_burst_model_leaves_a_large_exposed_frame_as_it_is_and_brightens_a_dark_one() -> None:
    weights = catalog.get("burst")
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", colour=None))
    rng = np.random.default_rng(2)
    lit = cv2.GaussianBlur(rng.integers(60, 200, (720, 1280, 3), dtype=np.uint8), (3, 3), 0)  # mean luma ~130
    out = backend.enhance(np.stack([lit] * weights.burst))
    assert np.abs(out.astype(int) - lit).max() <= 1  # not blurred by the working size
    dark = lit // 8
    out = backend.enhance(np.stack([dark] * weights.burst))
    assert out.mean() > 2 * dark.mean()
    backend.close()
