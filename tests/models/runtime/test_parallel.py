"""Bands of a frame on every core: the same result as in one piece."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from models.runtime import parallel
from models.runtime.burst_pool import pool
from models.runtime.colour import colour_from_input
from models.runtime.deblock import DeblockConfig, deblock
from models.runtime.tone import ColourTrueCurves


@pytest.mark.parametrize(("total", "parts"), [(10, 3), (7, 7), (5, 9), (1, 4), (100_000, 2)])
def test_bands_cover_the_range_once(total: int, parts: int) -> None:
    bands = parallel.bands(total, parts)
    assert bands[0][0] == 0 and bands[-1][1] == total and len(bands) == min(parts, total)
    assert all(b < e for b, e in bands) and all(e == b2 for (_, e), (b2, _) in zip(bands, bands[1:], strict=False))


def test_a_large_frame_runs_on_several_threads_and_errors_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    seen: dict[int, tuple[int, int]] = {}

    def work(begin: int, end: int) -> None:
        seen[threading.get_ident()] = (begin, end)

    parallel.run_bands(work, 4 * parallel.MIN_BAND)
    half = 2 * parallel.MIN_BAND
    assert len(seen) == 2 and sorted(seen.values()) == [(0, half), (half, 2 * half)]
    seen.clear()
    parallel.run_bands(work, parallel.MIN_BAND)  # too small to pay: here, in one piece
    assert list(seen) == [threading.get_ident()] and seen[threading.get_ident()] == (0, parallel.MIN_BAND)

    def fail(begin: int, end: int) -> None:
        if begin == 0:
            raise ValueError("band 0 failed")

    with pytest.raises(ValueError, match="band 0"):
        parallel.run_bands(fail, 4 * parallel.MIN_BAND)


def test_the_per_pixel_loops_in_bands_equal_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    ring = rng.random((6, 16, 120, 320), np.float32)
    out = rng.integers(0, 256, (240, 320, 3)).astype(np.uint8)
    newest = rng.integers(0, 80, (240, 320, 3)).astype(np.uint8)
    monkeypatch.setattr(parallel, "workers", lambda: 3)
    alphas = rng.uniform(-1, 1, (3, 20, 27)).astype(np.float32)
    thumbnail = rng.uniform(0, 80 / 255, (3, 20, 27)).astype(np.float32)
    curves = ColourTrueCurves()

    def all_three() -> tuple[np.ndarray, ...]:
        return (pool(ring, 2, 0.5), colour_from_input(out, newest), curves.apply(newest, alphas, 0.8, thumbnail),
                deblock(out, newest // 8 * 8, DeblockConfig(alpha=12.0, beta=4.0)))

    banded = all_three()
    monkeypatch.setattr(parallel, "workers", lambda: 1)
    whole = all_three()
    assert all(np.array_equal(a, b) for a, b in zip(banded, whole, strict=True))
