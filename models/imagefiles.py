"""Image files: which suffixes count as images, natural sort order, reading one as RGB."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from models.errors import ConfigError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


def numeric_key(path: Path) -> tuple[int, str]:
    """Sort ``2.jpg`` before ``10.jpg``: by the first number in the stem, then by name."""
    m = re.search(r"\d+", path.stem)
    return (int(m.group()) if m else -1, path.name)


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder``, numerically sorted."""
    if not folder.is_dir():
        raise ConfigError(f"data folder not found: {folder}")
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise ConfigError(f"no images in {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return sorted(files, key=numeric_key)


def read_rgb(path: Path) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ConfigError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
