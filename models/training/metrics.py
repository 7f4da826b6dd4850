"""Image quality metrics on RGB uint8 images, as the project's validation numbers are quoted.

PSNR and SSIM come from scikit-image (``data_range=255``, SSIM over the colour axis), the
same functions the reference numbers in ``shared/data/README.md`` were measured with.
"""

from __future__ import annotations

import numpy as np

from models.errors import ConfigError


def psnr(truth: np.ndarray, test: np.ndarray) -> float:
    """PSNR in dB of two (H, W, 3) uint8 images."""
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(truth, test, data_range=255))


def ssim(truth: np.ndarray, test: np.ndarray) -> float:
    """SSIM of two (H, W, 3) uint8 images (7x7 uniform window, channels averaged)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(truth, test, data_range=255, channel_axis=2))


def require_skimage() -> None:
    """Raise a clear error when the metrics extra is missing."""
    try:
        import skimage  # noqa: F401
    except ImportError as e:
        raise ConfigError("metrics need scikit-image: pip install 'streamer[train]'") from e
