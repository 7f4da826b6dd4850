"""Synthetic dark, noisy video bursts from clean images, for training the burst model.

We have no real low-light video with ground truth, so a burst is made from one clean image:

1. **motion**: N crops of the image under per-frame affine transforms that accumulate like a pan
   (constant velocity plus a random-walk jitter, small rotation and zoom), plus a patch moving
   across the scene; the newest frame is the untransformed crop, so the target is aligned with it;
2. **camera model**, per frame: linearize sRGB, divide by an exposure ratio, Poisson shot noise
   (``photons`` electrons at full scale) plus Gaussian read noise and optional row noise, the
   sRGB tone curve again, 8-bit quantization, 4:2:0 chroma (the colour at half resolution, as
   H.264 and most camera streams carry it) and optional JPEG compression (a stand-in for H.264's
   blocking); some cameras are monochrome (an infrared CCTV camera at night: one value per pixel,
   sent as R = G = B), and for those the target is the clean frame's luma.

Images are (H, W, 3) uint8 RGB; bursts (N, H, W, 3) uint8 RGB, oldest first. Everything is numpy
and OpenCV, seeded by a ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.errors import ConfigError
from models.imagefiles import read_rgb
from models.runtime.greyscale import grey_like
from models.runtime.srgb import linear_to_srgb, srgb_to_linear
from models.training.data import resize_short_side


@dataclass(frozen=True)
class Exposure:
    """One camera setting for a burst.

    ``ratio``: how many times less light than the clean image (linear light); ``photons``:
    electrons collected at full scale of the *dark* exposure (shot noise variance of a linear
    value v is v / photons); ``read_sigma``: Gaussian read noise in linear full-scale units;
    ``row_sigma``: a per-row offset of that standard deviation; ``jpeg_quality``: 0 for none;
    ``channel_gain``: the sensor's sensitivity per channel (R, G, B), a colour cast; ``mono``: a
    monochrome (infrared) sensor, one value per pixel sent as R = G = B; ``chroma420``: the frame
    leaves the camera with its colour at half resolution (YCbCr 4:2:0).
    """

    ratio: float
    photons: float
    read_sigma: float
    row_sigma: float = 0.0
    jpeg_quality: int = 0
    channel_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    mono: bool = False
    chroma420: bool = False


def subsample_chroma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB through YCbCr 4:2:0 and back: luma kept, chroma averaged over 2x2 blocks
    and interpolated back up, as a decoder shows an H.264 stream."""
    h, w = rgb.shape[:2]
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    half = cv2.resize(ycc[..., 1:], ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
    ycc[..., 1:] = cv2.resize(half, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


def expose(clean: np.ndarray, exp: Exposure, rng: np.random.Generator) -> np.ndarray:
    """Capture one clean (H, W, 3) uint8 sRGB frame at ``exp``: (H, W, 3) uint8 sRGB, dark and noisy."""
    lin = srgb_to_linear(clean.astype(np.float32) / 255.0) * np.asarray(exp.channel_gain, np.float32) / exp.ratio
    if exp.mono:  # one sensor value per pixel: the channels' mean response
        lin = np.repeat(lin.mean(2, keepdims=True), 3, axis=2)
    electrons = rng.poisson(lin * exp.photons).astype(np.float32)
    noisy = electrons / exp.photons + rng.normal(0.0, exp.read_sigma, lin.shape).astype(np.float32)
    if exp.row_sigma > 0:
        noisy += rng.normal(0.0, exp.row_sigma, (lin.shape[0], 1, 1)).astype(np.float32)
    if exp.mono:  # the noise too is one value per pixel
        noisy = np.repeat(noisy[..., :1], 3, axis=2)
    out = np.floor(linear_to_srgb(noisy) * 255.0 + 0.5).astype(np.uint8)
    if exp.chroma420 and not exp.mono:
        out = subsample_chroma(out)
    if exp.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, exp.jpeg_quality])
        if ok:
            out = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return out


@dataclass(frozen=True)
class SynthConfig:
    """Ranges the generator draws from (uniform, or log-uniform for ratios and noise)."""

    frames: int = 5
    crop: int = 128
    ratio: tuple[float, float] = (5.0, 50.0)
    photons: tuple[float, float] = (300.0, 3000.0)
    read_sigma: tuple[float, float] = (0.0005, 0.004)
    row_noise_prob: float = 0.3
    jpeg_prob: float = 0.4
    jpeg_quality: tuple[int, int] = (60, 95)
    static_prob: float = 0.35
    pan_speed: float = 6.0  # px/frame, each axis
    jitter: float = 0.7  # px of random walk per frame
    rotate_deg: float = 0.6  # per-frame rotation jitter
    zoom: float = 0.006  # per-frame scale jitter
    patch_prob: float = 0.5
    cast_prob: float = 0.5
    cast: float = 0.3  # a cast scales each channel by 1 - U(0, cast)
    mono_prob: float = 0.0  # monochrome (infrared) cameras; 0 keeps the draws of the shipped weights' training
    chroma420_prob: float = 0.0  # 4:2:0 chroma; 0 likewise

    def __post_init__(self) -> None:
        if self.frames < 1 or self.crop < 16:
            raise ConfigError("a burst needs at least 1 frame and a crop of at least 16 pixels")
        if not 1.0 <= self.ratio[0] <= self.ratio[1]:
            raise ConfigError(f"exposure ratios must be >= 1 and ordered, not {self.ratio}")


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def draw_exposure(cfg: SynthConfig, rng: np.random.Generator) -> Exposure:
    """A random camera setting within ``cfg``'s ranges."""
    read = _log_uniform(rng, *cfg.read_sigma)
    return Exposure(
        ratio=_log_uniform(rng, *cfg.ratio),
        photons=_log_uniform(rng, *cfg.photons),
        read_sigma=read,
        row_sigma=float(rng.uniform(0.0, 0.5)) * read if rng.random() < cfg.row_noise_prob else 0.0,
        jpeg_quality=int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)) if rng.random() < cfg.jpeg_prob else 0,
        channel_gain=tuple(1.0 - rng.uniform(0.0, cfg.cast, 3)) if rng.random() < cfg.cast_prob else (1.0, 1.0, 1.0),
        # Drawn only when asked for, so a config without them draws exactly as before.
        mono=bool(cfg.mono_prob) and rng.random() < cfg.mono_prob,
        chroma420=bool(cfg.chroma420_prob) and rng.random() < cfg.chroma420_prob,
    )


def camera_path(cfg: SynthConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """Per-frame 2x3 affine maps, oldest first, each taking output pixel coordinates (relative to
    the crop centre) to source coordinates relative to the newest frame's crop centre; the newest
    frame's map is the identity."""
    n = cfg.frames
    static = rng.random() < cfg.static_prob
    v = np.zeros(2) if static else rng.uniform(-cfg.pan_speed, cfg.pan_speed, 2)
    scale = 0.25 if static else 1.0  # a fixed camera still shakes a little (mount, wind)
    maps = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])]
    shift, angle, zoom = np.zeros(2), 0.0, 1.0
    for _ in range(n - 1):  # walk back in time from the newest frame
        shift = shift - v + rng.normal(0.0, cfg.jitter * scale, 2)
        angle += np.deg2rad(rng.normal(0.0, cfg.rotate_deg * scale))
        zoom *= 1.0 + rng.normal(0.0, cfg.zoom * scale)
        c, s = np.cos(angle) * zoom, np.sin(angle) * zoom
        maps.append(np.array([[c, -s, shift[0]], [s, c, shift[1]]]))
    return maps[::-1]


def render_burst(image: np.ndarray, cfg: SynthConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Clean moving frames from one image: ``(frames, target)``, (N, c, c, 3) uint8 oldest first and
    the newest frame (c, c, 3) uint8 (``frames[-1]`` is ``target``)."""
    c, n = cfg.crop, cfg.frames
    h, w = image.shape[:2]
    if min(h, w) < c:
        raise ConfigError(f"image of {w}x{h} is smaller than the crop {c}")
    # Integer centres make the newest frame an exact crop of the image (no resampling blur).
    cy = float(rng.integers(c // 2, h - c // 2 + 1))
    cx = float(rng.integers(c // 2, w - c // 2 + 1))
    maps = camera_path(cfg, rng)
    patch = None
    if rng.random() < cfg.patch_prob:
        ps = int(rng.integers(c // 6, c // 3 + 1))
        py, px = rng.integers(0, h - ps + 1), rng.integers(0, w - ps + 1)
        patch = image[py : py + ps, px : px + ps]
        p_end = rng.uniform(0, c - ps, 2)  # top-left (x, y) in the newest frame
        p_vel = rng.uniform(-8.0, 8.0, 2)
    half = (c - 1) / 2.0
    frames = np.empty((n, c, c, 3), np.uint8)
    for k, m in enumerate(maps):
        # Output pixel (u, v) -> source: m @ (u - half, v - half, 1) + (cx, cy) - (0.5 grid offset).
        full = m.copy()
        full[:, 2] = m[:, 2] + np.array([cx - 0.5, cy - 0.5]) - m[:, :2] @ np.array([half, half])
        frames[k] = cv2.warpAffine(image, full, (c, c), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_REFLECT_101)
        if patch is not None:
            x0, y0 = np.round(p_end - p_vel * (n - 1 - k)).astype(int)
            ps = patch.shape[0]
            ys, xs = slice(max(y0, 0), min(y0 + ps, c)), slice(max(x0, 0), min(x0 + ps, c))
            if ys.start < ys.stop and xs.start < xs.stop:
                frames[k, ys, xs] = patch[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    return frames, frames[-1].copy()


def make_burst(image: np.ndarray, cfg: SynthConfig, rng: np.random.Generator,
               exposure: Exposure | None = None) -> tuple[np.ndarray, np.ndarray, Exposure]:
    """One training example: ``(burst, target, exposure)``: (N, c, c, 3) uint8 dark noisy frames,
    oldest first; (c, c, 3) uint8 clean newest frame; the camera setting drawn (or given)."""
    frames, target = render_burst(image, cfg, rng)
    exp = exposure or draw_exposure(cfg, rng)
    burst = np.stack([expose(f, exp, rng) for f in frames])
    return burst, grey_like(target) if exp.mono else target, exp


def well_exposed(image: np.ndarray, low: float = 0.3, high: float = 0.65, clipped: float = 0.05) -> bool:
    """A usable clean target: mean level in [low, high] and few clipped pixels (SICE holds
    under- and over-exposed shots of every scene; only the good ones make targets)."""
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    mean = float(small.mean())
    return low <= mean <= high and float((small.max(2) > 0.98).mean()) < clipped and float((small.max(2) < 0.02).mean()) < clipped


class BurstSampler:
    """Batches of synthetic bursts from clean images held in memory (shrunk to ``short_side``)."""

    def __init__(self, files: Sequence[Path], cfg: SynthConfig, short_side: int = 256, seed: int = 0,
                 filter_exposure: bool = True) -> None:
        if short_side < cfg.crop:
            raise ConfigError(f"short side {short_side} is smaller than the crop {cfg.crop}")
        images = [resize_short_side(read_rgb(p), short_side) for p in files]
        self.images = [im for im in images if min(im.shape[:2]) >= cfg.crop and (not filter_exposure or well_exposed(im))]
        if not self.images:
            raise ConfigError("no well-exposed training image large enough for the crop")
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int, frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(bursts, targets)``: (B, N, c, c, 3) uint8 and (B, c, c, 3) uint8."""
        cfg = self.cfg if frames is None else SynthConfig(**{**self.cfg.__dict__, "frames": frames})
        c, n = cfg.crop, cfg.frames
        x = np.empty((size, n, c, c, 3), np.uint8)
        y = np.empty((size, c, c, 3), np.uint8)
        for i in range(size):
            img = self.images[int(self.rng.integers(len(self.images)))]
            if self.rng.random() < 0.5:
                img = img[:, ::-1]
            x[i], y[i], _ = make_burst(np.ascontiguousarray(img), cfg, self.rng)
        return x, y
