"""Unpaired night/day folders split by webcam view, so no held-out view is ever trained on.

The night2day data are frames of fixed AMOS webcams, many of each webcam, on both sides. Each webcam
delivers its own frame size, so a frame's size (``"WxH"`` after the data's 256 px short-side resize)
names its view; several webcams may share a size, and holding out a size holds out all of them.
Holding out single files instead would put near-duplicates of every test frame into training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2

from models.errors import ConfigError
from models.imagefiles import list_images

SIDES = ("night", "day")


def view_of(path: Path) -> str:
    """The view key of an image file: its size ``"WxH"``; ``ConfigError`` for an unreadable file."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ConfigError(f"cannot read image {path}")
    h, w = img.shape[:2]
    return f"{w}x{h}"


@dataclass(frozen=True)
class ViewSplit:
    """Training and held-out files of one side (``night`` or ``day``)."""

    train: tuple[Path, ...]
    held_out: tuple[Path, ...]


def split_side(folder: Path, held_out_views: Sequence[str]) -> ViewSplit:
    """The images of ``folder`` split by view; ``ConfigError`` (one line) for a folder with no images,
    an unreadable file, or fewer than two training images left."""
    files = list_images(folder)
    views = {p: view_of(p) for p in files}
    held = tuple(p for p in files if views[p] in held_out_views)
    train = tuple(p for p in files if views[p] not in held_out_views)
    if len(train) < 2:
        raise ConfigError(f"{folder}: {len(train)} training image(s) left after holding out views "
                          f"{', '.join(held_out_views) or '(none)'}; an unpaired GAN needs at least 2 per side")
    return ViewSplit(train, held)


def split_night_day(root: Path, held_out_views: Sequence[str]) -> dict[str, ViewSplit]:
    """``{"night": ViewSplit, "day": ViewSplit}`` of ``root/night`` and ``root/day``."""
    missing = [side for side in SIDES if not (root / side).is_dir()]
    if missing:
        raise ConfigError(f"{root} must hold the folders night/ and day/ ({' and '.join(missing)}/ missing)")
    return {side: split_side(root / side, held_out_views) for side in SIDES}
