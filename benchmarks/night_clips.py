"""Synthetic night test clips with known ground truth, made differently from the training bursts.

Clean frames come from the LOL validation ``high`` images (never trained on); the camera model
differs from :mod:`models.training.synth`'s training ranges: fixed ratios per shot, a green-heavy sensor
(per-channel sensitivity), fixed-pattern noise, and real H.264 (libx264 through PyAV, 4:2:0) instead of
JPEG. Three shots, 640x360:

- ``static``: a security camera: fixed view, a textured "walker" crossing the scene;
- ``pan``: a dashcam: the view pans 4 px/frame with a small vertical bob;
- ``ir``: an infrared CCTV camera at night: the static view from a monochrome sensor (R = G = B; its
  truth is the clean clip's luma), vertical banding (per-column fixed pattern, which the training
  camera never has: its banding is per row) and H.264 at a fixed bitrate of 400 kbit/s, as a camera
  streams it, instead of a quality setting.

Frames are (H, W, 3) uint8 RGB lists; ``truth`` is the clean clip.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import cv2
import numpy as np

from models.runtime.greyscale import grey_like
from models.runtime.srgb import linear_to_srgb, srgb_to_linear

SIZE = (640, 360)


@dataclass(frozen=True)
class Shot:
    name: str
    ratio: float
    photons: float
    read_sigma: float
    crf: int = 20
    mono: bool = False  # a monochrome (infrared) sensor
    column_sigma: float = 0.0  # per-column fixed-pattern offsets (banding), linear full-scale units
    bitrate: int = 0  # H.264 at this many bit/s instead of the CRF
    view: str = ""  # the clean clip's motion: "static" or "pan" (default: the shot's name)

    @property
    def static(self) -> bool:
        """A fixed camera (the clean clip does not move but for what crosses it)."""
        return (self.view or self.name) == "static"


SHOTS = (
    Shot("static", ratio=24.0, photons=1500.0, read_sigma=0.0012),
    Shot("pan", ratio=14.0, photons=1100.0, read_sigma=0.0018),
    Shot("ir", ratio=18.0, photons=900.0, read_sigma=0.0015, mono=True, column_sigma=0.0008, bitrate=400_000,
         view="static"),
)
CHANNEL_GAIN = np.array([0.85, 1.0, 0.75], np.float32)  # sensor sensitivity per channel (R, G, B)


def clean_static(image: np.ndarray, frames: int) -> list[np.ndarray]:
    w, h = SIZE
    base = cv2.resize(image, (w, round(image.shape[0] * w / image.shape[1])), interpolation=cv2.INTER_CUBIC)
    top = (base.shape[0] - h) // 2
    base = base[top : top + h]
    rng = np.random.default_rng(1)
    walker = cv2.GaussianBlur(rng.integers(60, 200, (90, 36, 3)).astype(np.uint8), (0, 0), 1.5)
    walker[:, :, 0] = np.clip(walker[:, :, 0].astype(int) + 40, 0, 255)
    yy, xx = np.mgrid[0:90, 0:36]
    mask = (((yy - 45) / 45.0) ** 2 + ((xx - 18) / 18.0) ** 2) <= 1.0
    out = []
    for k in range(frames):
        f = base.copy()
        x0, y0 = 40 + 6 * k, h - 130
        region = f[y0 : y0 + 90, x0 : x0 + 36]
        region[mask] = walker[mask]
        out.append(f)
    return out


def clean_pan(image: np.ndarray, frames: int, speed: float = 4.0) -> list[np.ndarray]:
    w, h = SIZE
    need = w + speed * frames + 8
    s = max(need / image.shape[1], (h + 16) / image.shape[0])
    big = cv2.resize(image, (round(image.shape[1] * s), round(image.shape[0] * s)), interpolation=cv2.INTER_CUBIC)
    cy = (big.shape[0] - h) / 2
    out = []
    for k in range(frames):
        m = np.array([[1.0, 0.0, 4.0 + speed * k], [0.0, 1.0, cy + 3.0 * np.sin(k / 3.0)]])
        out.append(cv2.warpAffine(big, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT_101))
    return out


def darken(clean: list[np.ndarray], shot: Shot, seed: int = 0) -> list[np.ndarray]:
    """The camera: linear light / ratio, channel sensitivity (a monochrome sensor: one value per pixel),
    shot + read + fixed-pattern noise (and per-column banding), sRGB curve, 8 bits, then an H.264 round
    trip (libx264, yuv420p, CRF ``shot.crf`` or ``shot.bitrate``)."""
    rng = np.random.default_rng(seed)
    h, w = clean[0].shape[:2]
    depth = 1 if shot.mono else 3
    fixed = rng.normal(0.0, 0.5 * shot.read_sigma, (h, w, 1)).astype(np.float32)
    fixed += rng.normal(0.0, shot.column_sigma, (1, w, 1)).astype(np.float32) if shot.column_sigma else 0.0
    frames = []
    for f in clean:
        lin = srgb_to_linear(f / 255.0) * CHANNEL_GAIN / shot.ratio
        if shot.mono:
            lin = lin.mean(2, keepdims=True)
        noisy = rng.poisson(lin * shot.photons).astype(np.float32) / shot.photons
        noisy += rng.normal(0.0, shot.read_sigma, (h, w, depth)).astype(np.float32) + fixed
        out = np.floor(linear_to_srgb(noisy) * 255.0 + 0.5).astype(np.uint8)
        frames.append(np.repeat(out, 3, axis=2) if shot.mono else out)
    return h264_round_trip(frames, shot.crf, shot.bitrate)


def h264_round_trip(frames: list[np.ndarray], crf: int, bitrate: int = 0) -> list[np.ndarray]:
    """The frames through libx264 (yuv420p, preset medium, at ``crf``, or at ``bitrate`` bit/s when
    given) and back, decoded to RGB."""
    buf = io.BytesIO()
    h, w = frames[0].shape[:2]
    with av.open(buf, "w", format="mp4") as out:
        v = out.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        if bitrate:
            v.bit_rate = bitrate
            v.options = {"preset": "medium"}
        else:
            v.options = {"crf": str(crf), "preset": "medium"}
        for rgb in frames:
            for packet in v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in v.encode(None):
            out.mux(packet)
    buf.seek(0)
    with av.open(buf) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def make_shot(image: np.ndarray, shot: Shot, frames: int = 30) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(dark, truth)`` for one shot of ``frames`` frames from one clean image (a monochrome
    camera's truth: the clean clip's BT.601 luma, R = G = B)."""
    truth = clean_static(image, frames) if shot.static else clean_pan(image, frames)
    dark = darken(truth, shot, seed=frames)
    return dark, [grey_like(t) for t in truth] if shot.mono else truth
