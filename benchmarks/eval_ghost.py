"""Ghosts behind moving lights: does a burst model leave a copy of a headlight where it was?

A burst model fuses the last frames; where a bright light has just moved on, a model that lets the
older frames through paints a trail (a faint copy, a smear, a checkerboard from its pixel shuffle).
The clip: a dark, noisy, textured street (luma about 15 of 255, shot + read noise) and a pair of
headlights (saturated, 12 px glow) crossing it at ``speed`` px a frame, 640x360 by default.

Per frame, once the burst is full: the **trail** is where the lights were in the burst's older
frames and are not now (glow above 10 % then, below 2 % now, 3 px margin). The ghost level is the
mean absolute difference, in 8-bit levels averaged over the channels, between the model given the
whole burst and the same model given the newest frame alone (T = 1), over the trail. A model that
does not ghost scores what its fusion changes anywhere (its denoising), which is reported beside
it as the same difference over the rest of the frame. A naive fusion (the mean of the burst's
frames, each gained like the newest one) is measured the same way, as the row that does ghost.

    python benchmarks/eval_ghost.py [--model burst] [--speeds 4 8 16] [--frames 16]

A single-frame model (``--model zero-dce++``) fuses frames through the temporal denoiser
(:mod:`models.runtime.temporal_denoise`): its row compares the model with the denoiser against
without it, the trail taken over the last 4 frames; its files are ``eval_ghost_zero_dcepp.*`` and
``ghost_strip_zero_dcepp.png``.

Writes ``benchmarks/results/eval_ghost.{json,md}`` and ``ghost_strip.png`` (input x4, the burst,
T = 1, the naive fusion, cropped around the lights).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, label, markdown_table, write_results  # noqa: E402

GLOW_RADIUS = 12
# A single-frame model's trail: where the lights were in the last frames of its recursive average.
RECURSIVE_WINDOW = 4


@dataclass(frozen=True)
class LightClip:
    """``frames``: (N, H, W, 3) uint8 RGB; ``glow``: (N, H, W) float32 in [0, 1], where the lights are."""

    frames: np.ndarray
    glow: np.ndarray


def _glow_sprite(radius: int) -> np.ndarray:
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float32)
    return np.exp(-(x * x + y * y) / (2.0 * (radius / 3.0) ** 2))


def moving_lights(n: int = 16, width: int = 640, height: int = 360, speed: float = 8.0, seed: int = 0) -> LightClip:
    """A dark noisy street with a pair of headlights crossing it left to right at ``speed`` px/frame."""
    rng = np.random.default_rng(seed)
    # A textured background in linear light (smooth blobs and some edges), at night exposure.
    base = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 6)
    base = (base - base.min()) / (base.max() - base.min())
    base[height // 2 :: 24] *= 0.3  # kerb lines: some structure the fusion must keep
    base = 0.004 + 0.012 * base
    sprite = _glow_sprite(GLOW_RADIUS)
    r = GLOW_RADIUS
    frames, glows = [], []
    for i in range(n):
        glow = np.zeros((height, width), np.float32)
        x0 = int(round(width * 0.2 + i * speed))
        for dx in (0, 3 * r):  # two headlights
            cx, cy = x0 + dx, int(height * 0.6)
            y0, x1 = cy - r, cx - r
            ys, xs = slice(max(y0, 0), min(y0 + 2 * r + 1, height)), slice(max(x1, 0), min(x1 + 2 * r + 1, width))
            sy, sx = slice(ys.start - y0, ys.stop - y0), slice(xs.start - x1, xs.stop - x1)
            glow[ys, xs] = np.maximum(glow[ys, xs], sprite[sy, sx])
        lin = base + glow[..., None] * np.array([1.6, 1.5, 1.2], np.float32)
        electrons = rng.poisson(np.clip(lin, 0, 1) * 900.0) / 900.0
        lin = electrons + rng.normal(0.0, 0.0025, lin.shape)
        srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.power(np.clip(lin, 0.0031308, None), 1 / 2.4) - 0.055)
        frames.append(np.clip(np.round(srgb * 255.0), 0, 255).astype(np.uint8))
        glows.append(glow)
    return LightClip(np.stack(frames), np.stack(glows))


def trail_mask(glow: np.ndarray, k: int, burst: int) -> np.ndarray:
    """(H, W) bool: where the lights were in frames ``k - burst + 1 .. k - 1`` and are not in frame ``k``."""
    before = glow[max(0, k - burst + 1) : k].max(0) > 0.10
    now = cv2.dilate((glow[k] > 0.02).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    return before & ~now


def ghost_levels(fused: list[np.ndarray], single: list[np.ndarray], clip: LightClip, burst: int) -> dict[str, float]:
    """Mean |fused - single| (8-bit levels, channel mean) over the trail and over the rest of the frame,
    for the frames whose burst is full; ``fused[i]`` and ``single[i]`` are the outputs for frame ``i``."""
    trail, rest = [], []
    for k in range(burst - 1, len(fused)):
        diff = np.abs(fused[k].astype(np.float32) - single[k].astype(np.float32)).mean(2)
        mask = trail_mask(clip.glow, k, burst)
        away = ~mask & (clip.glow[max(0, k - burst + 1) : k + 1].max(0) < 0.02)
        if mask.any():
            trail.append(float(diff[mask].mean()))
        rest.append(float(diff[away].mean()))
    return {"trail": float(np.mean(trail)), "trail_worst": float(np.max(trail)), "elsewhere": float(np.mean(rest))}


def naive_fusion(bursts: list[np.ndarray]) -> list[np.ndarray]:
    """The mean of each burst's frames, gained to a mean level of 0.4 like the newest (the row that ghosts)."""
    out = []
    for b in bursts:
        mean = b.astype(np.float32).mean(0)
        gain = 0.4 * 255.0 / max(float(b[-1].mean()), 1.0)
        out.append(np.clip(mean * gain, 0, 255).astype(np.uint8))
    return out


def run_model(model: str, clip: LightClip, backend: str = "onnxruntime") -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """The model's outputs per frame given the burst so far (as the pipeline's buffer gives it) and
    given the newest frame alone."""
    from models import backends, catalog
    from models.runtime.temporal_denoise import TemporalDenoiseConfig

    weights = catalog.get(model)
    options = backends.BackendOptions(device="cpu", exact=True)
    # A single-frame model fuses frames through the temporal denoiser (on by default in `streamer
    # enhance`): with it against without it, the trail taken over the last RECURSIVE_WINDOW frames.
    recursive = weights.burst == 1
    fused_options = replace(options, denoise=TemporalDenoiseConfig()) if recursive else options
    fused_runner = backends.open_backend(backend, weights, fused_options)
    single_runner = backends.open_backend(backend, weights, options)
    fused, single = [], []
    try:
        for k in range(len(clip.frames)):
            start = max(0, k - weights.burst + 1)
            burst = clip.frames[start : k + 1]
            fused.append(fused_runner.enhance(burst))
            single.append(single_runner.enhance(clip.frames[k : k + 1]))
    finally:
        fused_runner.close()
        single_runner.close()
    return fused, single, RECURSIVE_WINDOW if recursive else weights.burst


def _crop(img: np.ndarray, clip: LightClip, k: int) -> np.ndarray:
    ys, xs = np.nonzero(clip.glow[max(0, k - 6) : k + 1].max(0) > 0.02)
    y0, y1 = max(0, ys.min() - 30), min(img.shape[0], ys.max() + 30)
    x0, x1 = max(0, xs.min() - 30), min(img.shape[1], xs.max() + 30)
    return img[y0:y1, x0:x1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="burst")
    ap.add_argument("--speeds", type=float, nargs="+", default=[4.0, 8.0, 16.0])
    ap.add_argument("--frames", type=int, default=16)
    args = ap.parse_args()
    from models import catalog

    recursive = catalog.get(args.model).burst == 1
    rows, results, strips = [], {}, []
    for speed in args.speeds:
        clip = moving_lights(args.frames, speed=speed)
        fused, single, burst = run_model(args.model, clip)
        bursts = [clip.frames[max(0, k - burst + 1) : k + 1] for k in range(len(clip.frames))]
        naive = naive_fusion(bursts)
        naive_single = naive_fusion([b[-1:] for b in bursts])
        ours, theirs = ghost_levels(fused, single, clip, burst), ghost_levels(naive, naive_single, clip, burst)
        results[f"{speed:g}"] = {args.model: ours, "naive mean of the burst": theirs}
        for name, r in ((args.model, ours), ("naive mean of the burst", theirs)):
            rows.append([f"{speed:g}", name, f"{r['trail']:.2f}", f"{r['trail_worst']:.2f}", f"{r['elsewhere']:.2f}"])
        k = len(clip.frames) - 1
        tiles = [label(np.ascontiguousarray(_crop(np.clip(clip.frames[k].astype(int) * 4, 0, 255).astype(np.uint8),
                                                  clip, k)), f"input x4, {speed:g} px/frame", scale=0.5, thickness=1)]
        alone = "denoiser off" if recursive else "T = 1"
        for name, img in ((args.model, fused[k]), (alone, single[k]), ("naive mean", naive[k])):
            tiles.append(label(np.ascontiguousarray(_crop(img, clip, k)), name, scale=0.5, thickness=1))
        strips.append(np.concatenate(tiles, 1))
    width = max(s.shape[1] for s in strips)
    picture = np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0))) for s in strips], 0)
    # The burst model's files keep their names; another model's carry its name.
    suffix = "" if args.model == "burst" else "_" + args.model.replace("+", "p").replace("-", "_")
    cv2.imwrite(str(RESULTS / f"ghost_strip{suffix}.png"), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    compared = "temporal denoiser on vs off" if recursive else "burst vs T = 1"
    table = markdown_table(["speed px/frame", "fusion", f"trail: {compared}, levels", "worst frame", "elsewhere"], rows)
    print(table)
    write_results(f"eval_ghost{suffix}", {"model": args.model, "frames": args.frames, "size": "640x360",
                                          "glow_radius": GLOW_RADIUS, "compared": compared}, results, table)


if __name__ == "__main__":
    main()
