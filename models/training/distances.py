"""Distances between two sets of images through features of each image: the Frechet distance of
Gaussians fitted to the features (FID when the features are Inception-v3 pool3's) and the kernel
inception distance (KID: an unbiased MMD^2 with the cubic polynomial kernel, averaged over subsets).

Features are (N, D) float arrays, one row per image; numpy only, float64 inside. FID and KID as
defined by Heusel et al. 2017 and Binkowski et al. 2018, computed as pytorch-fid and torch-fidelity
do (the matrix square root here by symmetric eigendecomposition instead of ``scipy.linalg.sqrtm``).

:func:`proxy_features` is a cheap stand-in that needs no downloaded weights: colour and texture
statistics of each image. Distances on it are a *proxy*, never to be quoted as FID or KID.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.errors import ConfigError


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) features, N >= 2."""
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ConfigError(f"need at least 2 feature rows, got shape {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)``: the squared 2-Wasserstein distance
    of two Gaussians (FID on Inception features). Covariances must be symmetric positive semi-definite."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ConfigError(f"mismatched statistics: {mu1.shape}, {s1.shape} against {mu2.shape}, {s2.shape}")
    root1 = _psd_sqrt(s1)
    cross = np.clip(np.linalg.eigvalsh(root1 @ s2 @ root1), 0.0, None)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.sqrt(cross).sum())


def fid_from_features(real: np.ndarray, fake: np.ndarray) -> float:
    """The Frechet distance of Gaussians fitted to two (N, D) feature sets."""
    return frechet_distance(*gaussian_stats(real), *gaussian_stats(fake))


def polynomial_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 of two (m, D) samples with ``k(a, b) = (a.b / D + 1)^3``."""
    d = x.shape[1]
    kxx = (x @ x.T / d + 1.0) ** 3
    kyy = (y @ y.T / d + 1.0) ** 3
    kxy = (x @ y.T / d + 1.0) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def kid(real: np.ndarray, fake: np.ndarray, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """KID of two (N, D) feature sets: mean and standard deviation of :func:`polynomial_mmd2` over
    ``subsets`` random subsets of ``min(subset_size, N_real, N_fake)`` rows of each, drawn without
    replacement (torch-fidelity's defaults: 100 subsets of 1000)."""
    x, y = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ConfigError(f"KID needs at least 2 images on each side, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    values = [polynomial_mmd2(x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))


PROXY_NAME = "colour/texture-statistics proxy (not Inception features; not comparable to FID/KID)"


def proxy_features(rgb: np.ndarray) -> np.ndarray:
    """88 colour and texture statistics of one (H, W, 3) uint8 RGB image, each a fraction of its
    pixels: a 4x4x4 joint RGB histogram (64), a 16-bin luma histogram and an 8-bin histogram of the
    luma gradient magnitude (Sobel, 0 to 0.5 of full scale). Size-independent; needs no weights."""
    img = np.ascontiguousarray(rgb)
    n = img.shape[0] * img.shape[1]
    q = (img // 64).astype(np.int32)
    joint = np.bincount((q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).ravel(), minlength=64) / n
    luma = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    hist = np.histogram(luma, bins=16, range=(0.0, 1.0))[0] / n
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = np.histogram(np.sqrt(gx * gx + gy * gy), bins=8, range=(0.0, 0.5))[0] / n
    return np.concatenate([joint, hist, grad]).astype(np.float64)
