"""``demo``: a built-in synthetic night street, so everything runs with no camera and no file.

A static scene (sky, buildings with a few lit windows, a street lamp, asphalt) is rendered once
in linear light at night exposure; each frame adds a car with headlights driving by and a
walker, then a sensor model: Poisson-like shot noise plus Gaussian read noise, sRGB tone curve,
8-bit quantization. Deterministic for a given seed (which drives only the noise).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import TYPE_CHECKING

import cv2
import numpy as np

from models.runtime.srgb import linear_to_srgb
from streamer.frame import Frame, StreamInfo
from streamer.sources.kind import SourceKind
from streamer.sources.pacer import Pacer

if TYPE_CHECKING:
    from streamer.sources import SourceOptions

WIDTH, HEIGHT, FPS = 640, 360, 30

# Night exposure: linear scene values are scaled so the frame mean is about 0.05 in sRGB.
EXPOSURE = 0.035
FULL_WELL = 900.0  # photo-electrons at linear 1.0: sets the shot-noise level
READ_NOISE = 0.0025  # linear units


def _srgb_lut(levels: int = 16384) -> np.ndarray:
    srgb = linear_to_srgb(np.linspace(0.0, 1.0, levels, dtype=np.float64))
    return np.clip(np.round(srgb * 255.0), 0, 255).astype(np.uint8)


def _glow(radius: int) -> np.ndarray:
    """(2r+1, 2r+1) float32 radial falloff in [0, 1]."""
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float32)
    return np.exp(-(x * x + y * y) / (2.0 * (radius / 3.5) ** 2))


def _add_sprite(img: np.ndarray, sprite: np.ndarray, cx: int, cy: int, colour: tuple[float, float, float]) -> None:
    r = sprite.shape[0] // 2
    h, w = img.shape[:2]
    y0, y1, x0, x1 = cy - r, cy + r + 1, cx - r, cx + r + 1
    sy0, sx0 = max(0, -y0), max(0, -x0)
    y0c, y1c, x0c, x1c = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
    if y0c >= y1c or x0c >= x1c:
        return
    s = sprite[sy0 : sy0 + (y1c - y0c), sx0 : sx0 + (x1c - x0c), None]
    img[y0c:y1c, x0c:x1c] += s * np.asarray(colour, np.float32)


def render_static_scene(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) float32 linear RGB of the street at daylight-like exposure (values ~0..1)."""
    img = np.zeros((height, width, 3), np.float32)
    horizon = int(height * 0.62)
    t = np.linspace(0.0, 1.0, horizon, dtype=np.float32)[:, None, None]
    img[:horizon] = (0.02 + 0.10 * t) * np.array([0.55, 0.65, 1.0], np.float32)
    # Asphalt with a fixed texture and lane markings.
    tex = rng.normal(0.0, 0.03, (height - horizon, width)).astype(np.float32)
    tex = cv2.GaussianBlur(tex, (0, 0), 1.2)
    img[horizon:] = (0.16 + tex)[..., None] * np.array([0.9, 0.9, 0.95], np.float32)
    for x in range(0, width, 80):
        cv2.rectangle(img, (x, int(height * 0.82)), (x + 40, int(height * 0.83)), (0.8, 0.8, 0.7), -1)
    # Buildings with brick-like colours and a window grid.
    x = 0
    palette = [(0.45, 0.25, 0.18), (0.35, 0.35, 0.38), (0.55, 0.45, 0.30), (0.25, 0.30, 0.40)]
    while x < width:
        bw = int(rng.integers(width // 10, width // 5))
        top = int(rng.integers(int(height * 0.12), int(height * 0.4)))
        colour = palette[int(rng.integers(len(palette)))]
        cv2.rectangle(img, (x, top), (x + bw, horizon), colour, -1)
        for wy in range(top + 10, horizon - 14, 22):
            for wx in range(x + 8, x + bw - 14, 20):
                lit = rng.random() < 0.3
                cv2.rectangle(img, (wx, wy), (wx + 9, wy + 12), (3.0, 2.2, 1.1) if lit else (0.08, 0.09, 0.12), -1)
        x += bw + int(rng.integers(2, 10))
    return img


class DemoSource:
    """The synthetic night street as a finite stream of ``duration_s`` at 30 fps, 640x360.

    ``realtime=True`` paces frames at 30 fps and makes it a live source (for the web view);
    otherwise frames come as fast as they are rendered and nothing is dropped.
    """

    def __init__(self, duration_s: float = 10.0, realtime: bool = False, seed: int = 7,
                 width: int = WIDTH, height: int = HEIGHT) -> None:
        # The street's layout is fixed; ``seed`` only drives the sensor noise.
        self._scene = render_static_scene(width, height, np.random.default_rng(0)) * EXPOSURE
        self._rng = np.random.default_rng(seed)
        lamp = _glow(60)
        _add_sprite(self._scene, lamp, int(width * 0.7), int(height * 0.35), (0.5, 0.4, 0.2))
        self._headlight = _glow(14)
        self._lut = _srgb_lut()
        self._frames = max(1, round(duration_s * FPS))
        self._pacer = Pacer(FPS) if realtime else None
        self._index = 0
        self.info = StreamInfo(
            kind=SourceKind.DEMO,
            width=width,
            height=height,
            fps=float(FPS),
            time_base=Fraction(1, FPS),
            live=realtime,
            frame_count=self._frames,
            duration_s=self._frames / FPS,
            description="demo (synthetic night street)",
        )

    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` as (H, W, 3) uint8 RGB."""
        h, w = self.info.height, self.info.width
        img = self._scene.copy()
        t = index / FPS
        # A car crossing every 6 s, headlights first.
        cx = int(((t / 6.0) % 1.0) * (w + 300)) - 150
        cy = int(h * 0.78)
        cv2.rectangle(img, (cx - 70, cy - 28), (cx + 70, cy + 6), (0.30 * EXPOSURE * 4, 0.04, 0.04), -1)
        cv2.rectangle(img, (cx - 40, cy - 48), (cx + 30, cy - 28), (0.05, 0.05, 0.07), -1)
        for dx in (58, 70):
            _add_sprite(img, self._headlight, cx + dx, cy - 12, (1.2, 1.15, 0.9))
        # A walker bobbing along the pavement.
        px = int(w * 0.15 + (t * 25.0) % (w * 0.7))
        py = int(h * 0.66 + 3.0 * math.sin(t * 6.0))
        cv2.rectangle(img, (px - 5, py - 30), (px + 5, py), (0.2 * EXPOSURE * 3, 0.25 * EXPOSURE * 3, 0.5 * EXPOSURE * 3), -1)
        cv2.circle(img, (px, py - 36), 6, (0.6 * EXPOSURE * 3, 0.45 * EXPOSURE * 3, 0.35 * EXPOSURE * 3), -1)
        # Sensor: shot noise (variance proportional to signal) + read noise, in linear light.
        np.clip(img, 0.0, 1.0, out=img)
        noise = self._rng.standard_normal(img.shape, dtype=np.float32)
        img += noise * np.sqrt(img * (1.0 / FULL_WELL) + READ_NOISE**2)
        np.clip(img, 0.0, 1.0, out=img)
        idx = (img * (len(self._lut) - 1)).astype(np.uint16)
        return self._lut[idx]

    def read(self) -> Frame | None:
        if self._index >= self._frames:
            return None
        if self._pacer is not None:
            self._pacer.wait()
        frame = Frame(
            rgb=self.render(self._index),
            index=self._index,
            pts_s=self._index / FPS,
            captured_ns=time.monotonic_ns(),
            pts=self._index,
        )
        self._index += 1
        return frame

    def close(self) -> None:
        pass


def open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> DemoSource:
    return DemoSource(duration_s=options.demo_duration_s, realtime=options.demo_realtime)
