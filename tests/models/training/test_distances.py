"""FID's Frechet distance and KID against closed forms on Gaussian features; the no-download proxy."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ConfigError
from models.training.distances import (
    fid_from_features,
    frechet_distance,
    kid,
    polynomial_mmd2,
    proxy_features,
)


def test_frechet_distance_of_given_gaussians_matches_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    s2 = a @ a.T + 0.1 * np.eye(5)  # any SPD matrix
    mu1, mu2 = np.zeros(5), np.arange(5.0)
    w = np.linalg.eigvalsh(s2)
    # With S1 = I: |dmu|^2 + Tr(I) + Tr(S2) - 2 Tr(S2^1/2).
    want = mu2 @ mu2 + 5 + w.sum() - 2 * np.sqrt(w).sum()
    assert frechet_distance(mu1, np.eye(5), mu2, s2) == pytest.approx(want, rel=1e-9)
    # Diagonal covariances: the sum of (sqrt(s1) - sqrt(s2))^2 plus the mean term.
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    want = 1.0 + ((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum()
    assert frechet_distance(np.zeros(3), np.diag(d1), np.array([1.0, 0, 0]), np.diag(d2)) == pytest.approx(want)
    assert frechet_distance(mu2, s2, mu2, s2) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_of_sampled_gaussian_features_converges() -> None:
    rng = np.random.default_rng(1)
    real = rng.normal(0.0, 1.0, size=(200_000, 3))
    fake = rng.normal(0.5, 2.0, size=(200_000, 3))
    # 3 * 0.5^2 + 3 * (1 - 2)^2
    assert fid_from_features(real, fake) == pytest.approx(3.75, rel=0.01)


def _poly_expectation(a: float, s: float, b: float, t: float) -> float:
    """E[(1 + x y)^3] for independent x ~ N(a, s^2), y ~ N(b, t^2) (1-D features, so the kernel's 1/D is 1)."""
    m1 = (a, b)
    m2 = (a * a + s * s, b * b + t * t)
    m3 = (a**3 + 3 * a * s * s, b**3 + 3 * b * t * t)
    return 1 + 3 * m1[0] * m1[1] + 3 * m2[0] * m2[1] + m3[0] * m3[1]


def test_kid_matches_the_closed_form_mmd_of_two_gaussians() -> None:
    rng = np.random.default_rng(2)
    a, s, b, t = 0.0, 0.5, 1.0, 0.5
    want = _poly_expectation(a, s, a, s) + _poly_expectation(b, t, b, t) - 2 * _poly_expectation(a, s, b, t)
    assert want == pytest.approx(9.0625)
    # Unbiased: the average of independent estimates closes in on the closed form (spread ~1 % here).
    draws = [kid(rng.normal(a, s, size=(1000, 1)), rng.normal(b, t, size=(1000, 1)), subsets=1)[0] for _ in range(20)]
    assert np.mean(draws) == pytest.approx(want, rel=0.04)
    # Subsets smaller than the sets: a spread over subsets, around the same value.
    mean, std = kid(rng.normal(a, s, size=(1000, 1)), rng.normal(b, t, size=(1000, 1)), subsets=10, subset_size=200)
    assert mean == pytest.approx(want, rel=0.2) and 0 < std < 0.3 * want


def test_kid_is_exact_on_point_masses_and_unbiased_on_equal_distributions() -> None:
    x, y = np.full((10, 4), 0.5), np.full((12, 4), -0.5)
    k = lambda u, v: (u @ v / 4 + 1) ** 3  # noqa: E731
    assert polynomial_mmd2(x, y) == pytest.approx(k(x[0], x[0]) + k(y[0], y[0]) - 2 * k(x[0], y[0]))
    rng = np.random.default_rng(3)
    same = [kid(rng.normal(size=(200, 8)), rng.normal(size=(200, 8)), subsets=5)[0] for _ in range(20)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-3


def test_kid_needs_two_images_a_side() -> None:
    with pytest.raises(ConfigError, match="at least 2"):
        kid(np.zeros((1, 3)), np.zeros((5, 3)))


def test_proxy_features_tell_night_from_day() -> None:
    rng = np.random.default_rng(4)
    night = [rng.integers(0, 40, (60, 80, 3), dtype=np.uint8) for _ in range(8)]
    day = [rng.integers(100, 230, (60, 80, 3), dtype=np.uint8) for _ in range(8)]
    day2 = [rng.integers(100, 230, (70, 90, 3), dtype=np.uint8) for _ in range(8)]
    f = lambda imgs: np.stack([proxy_features(i) for i in imgs])  # noqa: E731
    assert f(night).shape == (8, 88)
    assert np.allclose(f(night)[:, :64].sum(1), 1.0)
    assert kid(f(day), f(night))[0] > 10 * abs(kid(f(day), f(day2))[0])
