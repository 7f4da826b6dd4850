"""The burst model's working size on CPUs: large frames run shrunk, the output comes back at full size."""

from __future__ import annotations

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
    assert isinstance(backend, ResizedBackend)
    frames = np.stack([f // 3 for f in dark_frames(weights.burst, 320, 180)])
    big = np.stack([np.repeat(np.repeat(f, 4, 0), 4, 1) for f in frames])  # 1280x720: run at 640x360
    out = backend.enhance(big)
    assert out.shape == (720, 1280, 3) and out.mean() > 2 * big[-1].mean()
    small = backend.inner.enhance(np.stack([f[::2, ::2] for f in big]))  # what ran, near enough
    up = np.repeat(np.repeat(small, 2, 0), 2, 1)
    assert np.abs(out.astype(int) - up.astype(int)).mean() < 6
    backend.close()
