"""Training and validation images: loading, numeric ordering, hold-out splits, random crops.

Images are RGB uint8 (H, W, 3) numpy arrays; batches are NCHW float32 tensors in [0, 1].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.errors import ConfigError
from models.imagefiles import list_images, read_rgb


def resize_short_side(img: np.ndarray, short: int) -> np.ndarray:
    """Resize (area filter) so that the short side is ``short`` pixels; never upscales."""
    h, w = img.shape[:2]
    s = short / min(h, w)
    if s >= 1.0:
        return img
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class PairSplit:
    """Paired low/normal-light validation images (the LOL hold-out)."""

    low: tuple[Path, ...]
    high: tuple[Path, ...]


def holdout_pairs(low_dir: Path, high_dir: Path, count: int) -> PairSplit:
    """The ``count`` highest-numbered pairs of two folders with matching file names."""
    low = list_images(low_dir)[-count:]
    high = [high_dir / p.name for p in low]
    missing = [p for p in high if not p.exists()]
    if missing:
        raise ConfigError(f"{len(missing)} validation pairs have no normal-light image, e.g. {missing[0]}")
    return PairSplit(tuple(low), tuple(high))


def training_files(folders: Sequence[Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """All images of ``folders`` except the ``exclude``d ones (compared by resolved path)."""
    skip = {p.resolve() for p in exclude}
    files = [p for d in folders for p in list_images(d) if p.resolve() not in skip]
    if not files:
        raise ConfigError("no training images left after excluding the validation split")
    return files


class CropSampler:
    """Random aligned crops with flips from images held in memory.

    Images are loaded once, shrunk so their short side is ``short_side``, and kept as uint8.
    ``targets`` optionally names, for each input image, its normal-light counterpart (or
    ``None``); crops of a pair are cut at the same place.
    """

    def __init__(self, files: Sequence[Path], crop: int, short_side: int, seed: int = 0,
                 targets: Sequence[Path | None] | None = None) -> None:
        if short_side < crop:
            raise ConfigError(f"short side {short_side} is smaller than the crop {crop}")
        self.crop = crop
        self.images = [resize_short_side(read_rgb(p), short_side) for p in files]
        small = [p for p, im in zip(files, self.images, strict=True) if min(im.shape[:2]) < crop]
        if small:
            raise ConfigError(f"{len(small)} images are smaller than the crop {crop}, e.g. {small[0]}")
        self.targets: list[np.ndarray | None] = [None] * len(files)
        for i, t in enumerate(targets or ()):
            if t is not None:
                target = resize_short_side(read_rgb(t), short_side)
                if target.shape != self.images[i].shape:
                    raise ConfigError(f"{t} is not the same size as {files[i]}")
                self.targets[i] = target
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(inputs, targets, has_target)``: (size, crop, crop, 3) uint8 RGB twice and a
        (size,) bool mask; targets are zeros where an input has no counterpart."""
        c = self.crop
        x = np.empty((size, c, c, 3), np.uint8)
        y = np.zeros((size, c, c, 3), np.uint8)
        has = np.zeros(size, bool)
        for i, k in enumerate(self.rng.integers(len(self.images), size=size)):
            im, tg = self.images[k], self.targets[k]
            top = self.rng.integers(im.shape[0] - c + 1)
            left = self.rng.integers(im.shape[1] - c + 1)
            flip = self.rng.random() < 0.5
            for src, dst in ((im, x), (tg, y)):
                if src is None:
                    continue
                patch = src[top : top + c, left : left + c]
                dst[i] = patch[:, ::-1] if flip else patch
            has[i] = tg is not None
        return x, y, has


def paired_targets(files: Sequence[Path], low_dir: Path, high_dir: Path) -> list[Path | None]:
    """For each input file inside ``low_dir``, ``high_dir/<same name>`` when it exists."""
    if not high_dir.is_dir():
        raise ConfigError(f"paired folder not found: {high_dir}")
    low = low_dir.resolve()
    return [
        (high_dir / p.name) if p.parent.resolve() == low and (high_dir / p.name).is_file() else None
        for p in files
    ]
