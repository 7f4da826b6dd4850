"""The burst model's working size on CPUs: large frames run shrunk, the output comes back at full size."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.resized import ResizedBackend, factor_for
from tests.conftest import dark_frames


def test_factors_bring_720p_and_1080p_to_360p_and_leave_360p_alone() -> None:
    assert factor_for(360, 640, 640 * 360) == 1
    assert factor_for(720, 1280, 640 * 360) == 2
    assert factor_for(1080, 1920, 640 * 360) == 3


def test_a_large_burst_runs_at_the_working_size_and_comes_back_full_size() -> None:
    weights = catalog.get("burst")
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    assert isinstance(backend, ResizedBackend)
    frames = np.stack([f // 3 for f in dark_frames(weights.burst, 320, 180)])
    big = np.stack([np.repeat(np.repeat(f, 3, 0), 3, 1) for f in frames])  # 960x540: factor 2
    out = backend.enhance(big)
    assert out.shape == (540, 960, 3) and out.mean() > 2 * big[-1].mean()
    small = backend.inner.enhance(np.stack([f[::2, ::2] for f in big]))  # what ran, near enough
    up = np.repeat(np.repeat(small, 2, 0), 2, 1)
    assert np.abs(out.astype(int) - up.astype(int)).mean() < 6
    backend.close()
