"""The C pool of the burst's feature ring equals the network's own rule (models.nets.burst.consistent_max)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from models.errors import ConfigError  # noqa: E402
from models.nets.burst import CONSISTENCY, consistent_max  # noqa: E402
from models.runtime.burst_pool import pool  # noqa: E402


def ring_of(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """ReLU-like features; frame 1 nearly equals the last (noise), the others differ."""
    rng = np.random.default_rng(seed)
    ring = np.maximum(rng.normal(0.3, 0.5, shape), 0).astype(np.float32)
    if len(ring) > 2:
        ring[1] = np.maximum(ring[-1] + rng.normal(0, 0.02, shape[1:]), 0)
    return ring


@pytest.mark.parametrize("shape", [(6, 16, 45, 80), (3, 4, 3, 3), (2, 64, 1, 700), (1, 8, 5, 7)])
def test_pool_equals_consistent_max_for_any_newest_slot(shape: tuple[int, ...]) -> None:
    ring = ring_of(shape)
    for slot in range(shape[0]):
        want = consistent_max(torch.from_numpy(ring), torch.from_numpy(ring[slot : slot + 1]), 0).numpy()
        got = pool(ring, slot, CONSISTENCY)
        assert got.shape == (1, *shape[1:]) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_a_frame_that_disagrees_with_the_newest_does_not_count() -> None:
    newest = np.full((1, 4, 3, 3), 0.5, np.float32)
    moved = np.zeros((1, 4, 3, 3), np.float32)
    moved[0, :, 1, 1] = 50.0  # a light that was here and has moved on
    got = pool(np.concatenate([moved, newest]), 1, CONSISTENCY)
    # Its old place keeps the newest frame's features but for a trace (the relative difference is at
    # most 1, so the weight at least exp(-1 / CONSISTENCY^2)); a plain max would hold 50 there.
    assert 0.5 < got[0, 0, 1, 1] < 0.5 + 2 * np.exp(-1 / CONSISTENCY**2) * 50  # about 1.56
    np.testing.assert_allclose(np.delete(got.reshape(4, 9), 4, axis=1), 0.5, atol=1e-6)  # darker elsewhere: no effect
    agreeing = newest * 1.05  # noise: it counts, the max keeps the larger value
    np.testing.assert_allclose(pool(np.concatenate([agreeing, newest]), 1, CONSISTENCY)[0, 0, 0, 0], 0.525, rtol=1e-3)


def test_a_ring_that_is_not_four_dimensional_or_a_slot_outside_it_is_refused() -> None:
    with pytest.raises(ConfigError, match="ring"):
        pool(np.zeros((4, 3, 3), np.float32), 0, CONSISTENCY)
    with pytest.raises(ConfigError, match="slot 4"):
        pool(np.zeros((4, 2, 3, 3), np.float32), 4, CONSISTENCY)
