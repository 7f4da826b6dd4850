"""Real night footage: how every model looks on real clips, which have no ground truth (but LOL's).

Clips: every ``*.mp4`` in ``DATA/night_clips`` (real footage) and ``lol_low``, built here: 24 dark
LOL images (every other one of the 50-pair validation hold-out, never trained on; real sensor
noise) shown as a slideshow, each held 6 frames (the longest burst of the catalog) at 25 fps
(144 frames, 600x400), encoded by libx264 at a camera's bitrate (``-b:v 2M -maxrate 2M -bufsize 1M
-g 50 -bf 0``, veryfast, yuv420p: constant bitrate, no B-frames, as IP cameras send; one thread,
which makes the file the same byte for byte on every run: with frame threads the rate control
differs run to run, and so did the models' p2 by 0.3 level). On
``lol_low`` every row is measured on the last frame of each still only: there the burst model's
window holds that picture alone and the temporal smoothing (which restarts at a cut) has settled.
``--frames`` keeps the first N frames of each night clip (``--duration`` of the real job; the
whole ``lol_low`` always runs); ``--clips`` picks clips by name (file stem).

Rows per clip, all side by side in one run:

- ``input``: the clip as decoded;
- every model of :data:`models.catalog.CATALOG`, run through the real job
  (:func:`streamer.jobs.run_enhance` with the real :class:`~streamer.config.EnhanceConfig`
  defaults: ONNX Runtime on CPU, temporal smoothing where the model gets it, libx264 CRF 18
  veryfast), so the bitrate is the default CRF's and fps is end to end (decode, model, encode);
- ``plain gain``: every code value of the decoded input (gamma space, as stored, not linear
  light) times one factor for the clip, chosen so the clip's mean luma equals the default
  model's; written by the same pipeline and file sink (libx264 CRF 18 veryfast) as the models;
- ``ffmpeg gamma+hqdn3d``: what a user would otherwise run, the real ffmpeg:
  ``ffmpeg -i CLIP -vf eq=gamma=2.2,hqdn3d -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p``;
- ``LOL normal-light (truth)``, ``lol_low`` only: LOL's normal-light photos of the same 24 scenes as
  the same slideshow, same encoder: where the truth's blacks and brightness are (no targets).

Outputs are decoded with PyAV to RGB (swscale, honouring each file's colour tags, as the job's
source does). Every measure (:mod:`benchmarks.video_metrics`) is computed from that RGB with the
BT.601 limited-range matrix: luma 16 (black) .. 235 (white), in 8-bit levels.

- mean Y, p2 Y: mean and 2nd percentile of luma over all pixels of all frames;
- near-black chroma: mean |Cb-128| + |Cr-128| over the pixels whose own luma is < 48;
- blockiness: mean |luma gradient| across 8x8 block boundaries / inside blocks (1 = no blocks);
- colourfulness: Hasler & Suesstrunk (2003) per frame, clip mean, as a ratio output / input;
- newly clipped: fraction of pixels with a channel at 255 whose input pixel had none at 255;
- temporal noise: per-pixel standard deviation over time of luma minus each frame's mean, mean
  over pixels that neither move nor clip. Static shots only (the measure the targets use): a
  clip is static when the median frame-to-frame camera motion (phase correlation of the input's
  luma, :func:`~benchmarks.video_metrics.global_shift`) is under 0.3 px; ``--static`` /
  ``--moving`` override. Pixels that move: where the temporal std of the input's blurred luma
  (sigma 2 px, which averages noise away but keeps objects) exceeds 3x its median (at least 0.75
  levels), dilated 7 px; clipping pixels: a channel at 255 in any frame of the row. On a moving
  real clip the same measure is taken, for information only, on groups of 4 frames aligned on the
  input's camera shift to the group's first frame (phase correlation refined by ECC; Lanczos
  resampling, which lowers the noise by about 15 %, the same for every row; frame means over the
  part all 4 frames cover). ``lol_low`` gets none: a held still has no temporal noise;
- bitrate: the video stream's bytes over the frames' duration; fps of the whole job.

"Gained input" (the numbers in brackets): the input under the plain gain that gives THAT row's
mean luma, not re-encoded: what the picture would be with brightness alone. A model that adds
colour to the blacks or shows more codec blocks than brightening alone would is caught by it.

Targets for the default model on every clip: dark clips (input mean luma <= 50) keep blacks black
(p2 <= 24); near-black chroma at most 1.5 levels above the gained input's; blockiness no higher
than the gained input's; at most 0.1 % newly clipped pixels; static clips: temporal noise at most
half the plain-gain row's (encoded at the same CRF, so codec smoothing counts on both sides);
exposed clips (input mean luma > 50) change their mean luma by at most 25 %; bitrate no higher
than the plain-gain row's. Each model row lists the targets it misses.

One strip per clip, ``results/real_strip_<clip>.png``: the middle frame of each row, labelled,
and a 2x zoom (nearest neighbour) of a dark flat region: the window that is flattest (blurred) among
the darkish ones (mean luma 20..110) of the default model's frame, outlined on the frames.

    python benchmarks/eval_real.py [--data ../shared/data] [--frames 48] [--clips NAME ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import video_metrics as vm  # noqa: E402
from benchmarks.common import RESULTS, label, markdown_table, write_results  # noqa: E402
from models.catalog import CATALOG  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.training.data import holdout_pairs  # noqa: E402
from streamer.config import EnhanceConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
_DEFAULTS = {f.name: f.default for f in fields(EnhanceConfig)}
DEFAULT_MODEL: str = _DEFAULTS["model"]
CRF: int = _DEFAULTS["crf"]
PRESET: str = _DEFAULTS["preset"]
FFMPEG_VF = "eq=gamma=2.2,hqdn3d"
X264 = ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"]

LOL_CLIP = "lol_low"
# Each still is held as many frames as the longest burst, so a burst model sees it alone once.
LOL_IMAGES, LOL_HOLD, LOL_FPS = 24, max(w.burst for w in CATALOG.values()), 25
LOL_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "1M",
            "-g", "50", "-bf", "0", "-pix_fmt", "yuv420p", "-threads", "1"]

# The row of lol_low's ground truth: LOL's normal-light photos, the same slideshow, same encoder.
TRUTH_ROW = "LOL normal-light (truth)"

STATIC_MAX_SHIFT_PX = 0.3  # median camera motion per frame below which a clip is static
PAN_GROUP = 4  # frames per aligned group on moving clips
EXPOSED_LUMA = 50.0
MIN_ZOOM_LUMA, MAX_ZOOM_LUMA = 20.0, 110.0
STRIP_MAX_BYTES = 1_500_000


# -- targets --------------------------------------------------------------------------------------
TARGETS = {
    "p2": "dark clip: p2 luma <= 24",
    "chroma": "near-black chroma <= gained input + 1.5",
    "blocks": "blockiness <= gained input",
    "clipping": "newly clipped <= 0.1 %",
    "noise": "static clip: temporal noise <= 0.5 x plain gain",
    "exposure": "exposed clip: mean luma within 25 %",
    "bitrate": "bitrate <= plain gain",
}


def check_targets(row: dict, clip: dict, plain: dict) -> dict[str, bool | None]:
    """Each target of :data:`TARGETS` for a model row: True (met), False (missed), None (n/a)."""
    g = row["gained"]
    dark = clip["input_mean_luma"] <= EXPOSED_LUMA
    chroma = None if math.isnan(row["near_black_chroma"]) or math.isnan(g["near_black_chroma"]) else (
        row["near_black_chroma"] <= g["near_black_chroma"] + 1.5)
    noise = None
    if clip["noise_mode"] == "static":
        noise = row["temporal_noise"] <= 0.5 * plain["temporal_noise"]
    checks = {
        "p2": row["p2_luma"] <= 24.0 if dark else None,
        "chroma": chroma,
        "blocks": row["blockiness"] <= g["blockiness"],
        "clipping": row["newly_clipped"] <= 0.001,
        "noise": noise,
        "exposure": None if dark else abs(row["mean_luma"] / clip["input_mean_luma"] - 1.0) <= 0.25,
        "bitrate": row["kbit_s"] <= plain["kbit_s"],
    }
    return {k: None if v is None else bool(v) for k, v in checks.items()}  # numpy bools are not False


# -- clips and decoding ----------------------------------------------------------------------------
def build_lol_clip(data: Path, path: Path, truth: bool = False) -> Path:
    """The ``lol_low`` slideshow (see the module docstring), written by the ffmpeg command line;
    ``truth``: the same of LOL's normal-light photos of the same scenes (the :data:`TRUTH_ROW`)."""
    split = holdout_pairs(data / "lol_our485" / "low", data / "lol_our485" / "high", 50)
    images = [read_rgb(p) for p in (split.high if truth else split.low)[::2][:LOL_IMAGES]]
    h, w = images[0].shape[:2]
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(LOL_FPS), "-i", "-", *LOL_X264, str(path)]
    raw = b"".join(img.tobytes() * LOL_HOLD for img in images)
    subprocess.run(cmd, input=raw, check=True)
    return path


def decode_rgb(path: Path, limit: int) -> Iterator[np.ndarray]:
    """The first ``limit`` frames of ``path`` as (H, W, 3) uint8 RGB (PyAV / swscale, colour tags honoured)."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(c.decode(stream)):
            if i >= limit:
                return
            yield frame.to_ndarray(format="rgb24")


def video_info(path: Path) -> tuple[int, int, float, int]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.codec_context.width, s.codec_context.height, float(s.average_rate or 30), s.frames or 0


def job_duration(path: Path, frames: int) -> float | None:
    """The ``--duration`` that makes the job stop after exactly ``frames`` frames (``None``: the whole
    clip): half-way between the last frame's timestamp and the next one's (the job stops at the first
    frame at or past it). Phone clips have irregular frame times, so N / fps is not enough."""
    times = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in c.decode(stream):
            times.append(float(frame.pts * frame.time_base))
            if len(times) > frames:
                return 0.5 * (times[frames - 1] + times[frames]) - times[0]
    return None


def stream_kbit_s(path: Path, frames: int, fps: float) -> float:
    """Video bitrate of the first ``frames`` packets (decode order): their bytes over their duration."""
    total = 0
    with av.open(str(path)) as c:
        for i, packet in enumerate(c.demux(video=0)):
            if i >= frames:
                break
            total += packet.size
    return total * 8 / 1000 / (frames / fps)


def small_luma(rgb: np.ndarray, scale: int) -> np.ndarray:
    y = vm.luma601(rgb)
    return cv2.resize(y, (y.shape[1] // scale, y.shape[0] // scale), interpolation=cv2.INTER_AREA) if scale > 1 else y


# -- camera motion and the noise plan -------------------------------------------------------------
def probe_input(path: Path, frames: int, force: bool | None, stills: bool) -> tuple[dict, vm.NoisePlan | None, list]:
    """Two passes over the input. First: camera motion (static or not) and each frame's shift
    to its group's first frame, and a subsample of the frames (every 4th pixel) for fitting plain
    gains. Second: which pixels move, from the temporal std of the blurred, aligned luma. Returns
    the clip's facts, the temporal-noise plan (``None`` for a slideshow of ``stills``) and the
    subsample."""
    w, h, _, _ = video_info(path)
    scale = max(1, round(max(w, h) / 960))  # motion found on about 960 px: noise averaged, still sub-pixel
    subsample: list[np.ndarray] = []
    motion: list[float] = []
    prev = group_ref = None
    pan_shifts: list[tuple[float, float]] = []
    for t, rgb in enumerate(decode_rgb(path, frames)):
        subsample.append(rgb[::4, ::4].copy())
        small = small_luma(rgb, scale)
        if prev is not None:
            motion.append(float(np.hypot(*vm.global_shift(prev, small, refine=False))) * scale)
        prev = small
        if stills:
            continue
        if t % PAN_GROUP == 0:
            group_ref, shift = small, (0.0, 0.0)
        else:
            dx, dy = vm.global_shift(group_ref, small)
            shift = (dx * scale, dy * scale)
        pan_shifts.append(shift)
    n = len(subsample)
    median_motion = float(np.median(motion)) if motion else 0.0
    measured_static = median_motion < STATIC_MAX_SHIFT_PX
    static = not stills and (measured_static if force is None else force)
    info = {"frames": n, "width": w, "height": h, "motion_px_per_frame_median": median_motion,
            "motion_px_per_frame_p90": float(np.percentile(motion, 90)) if motion else 0.0,
            "measured_static": measured_static, "static": static, "static_forced": force is not None}
    if stills:
        return info | {"noise_mode": "none"}, None, subsample
    if static:
        groups, shifts = [(0, n)], [(0.0, 0.0)] * n
    else:
        groups, shifts = [(a, a + PAN_GROUP) for a in range(0, n - PAN_GROUP + 1, PAN_GROUP)], pan_shifts
    everything = [np.ones((h, w), bool)] * len(groups)
    blurred = vm.GroupNoise(vm.NoisePlan(groups, shifts, everything), keep_maps=True)
    for t, rgb in enumerate(decode_rgb(path, n)):
        blurred.add(t, cv2.GaussianBlur(vm.luma601(rgb), (0, 0), 2.0))
    still = [vm.still_mask(std, ~outside if not static else None) for std, outside in blurred.maps]
    plan = vm.NoisePlan(groups, shifts, still)
    info |= {"noise_mode": "static" if static else "pan-aligned",
             "still_fraction": float(np.mean([m.mean() for m in still]))}
    return info, plan, subsample


# -- one row ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sampling:
    """The frames of a clip: the first ``frames`` are decoded, those in ``measured`` (all when
    ``None``) measured, frame ``keep`` shown in the strip; temporal noise under ``plan``."""

    frames: int
    keep: int
    measured: frozenset[int] | None = None
    plan: vm.NoisePlan | None = None

    def counts(self, t: int) -> bool:
        return self.measured is None or t in self.measured


class RowMeter:
    """Every measure of one row (a sequence of frames), fed frame by frame with its input frame."""

    def __init__(self, sampling: Sampling, keep: bool = True) -> None:
        self.sampling = sampling
        plan = sampling.plan
        self.luma = vm.LumaStats()
        self.nbc_sum, self.nbc_n = 0.0, 0
        self.block = np.zeros(4)
        self.colour: list[float] = []
        self.new_clip, self.pixels = 0, 0
        self.noise = vm.GroupNoise(plan) if plan is not None else None
        self.keep = sampling.keep if keep else -1
        self.kept: np.ndarray | None = None
        self.frames = 0

    def add(self, t: int, out: np.ndarray, inp: np.ndarray) -> None:
        if t == self.keep:
            self.kept = out.copy()
        if not self.sampling.counts(t):
            return
        ycc = vm.ycbcr601(out)
        y = np.ascontiguousarray(ycc[..., 0])
        self.luma.add(y)
        c, n = vm.near_black_chroma(ycc)
        if n:
            self.nbc_sum += c * n
            self.nbc_n += n
        self.block += vm.block_gradients(y)
        self.colour.append(vm.colourfulness(out))
        clip_out = vm.clipped(out)
        self.new_clip += int((clip_out & ~vm.clipped(inp)).sum())
        self.pixels += clip_out.size
        if self.noise is not None:
            self.noise.add(t, y, clip_out)
        self.frames += 1

    def result(self) -> dict:
        bs, bn, is_, in_ = self.block
        return {
            "frames": self.frames,
            "mean_luma": self.luma.mean,
            "p2_luma": self.luma.percentile(2),
            "near_black_chroma": self.nbc_sum / self.nbc_n if self.nbc_n else float("nan"),
            "near_black_fraction": self.nbc_n / self.pixels,
            "blockiness": (bs / bn) / (is_ / in_) if is_ > 0 else float("nan"),
            "colourfulness": float(np.mean(self.colour)),
            "newly_clipped": self.new_clip / self.pixels,
            "temporal_noise": self.noise.mean if self.noise is not None else float("nan"),
            "noise_pixels_fraction": self.noise.fraction if self.noise is not None else 0.0,
        }


def measure_file(path: Path, clip_path: Path, sampling: Sampling) -> RowMeter:
    meter = RowMeter(sampling)
    n = sampling.frames
    for t, (out, inp) in enumerate(zip(decode_rgb(path, n), decode_rgb(clip_path, n), strict=True)):
        meter.add(t, out, inp)
    return meter


def measure_gained(clip_path: Path, sampling: Sampling, k: float) -> dict:
    meter = RowMeter(sampling, keep=False)
    for t, inp in enumerate(decode_rgb(clip_path, sampling.frames)):
        meter.add(t, vm.gain(inp, k), inp)
    return meter.result() | {"gain": k}


# -- producing the rows ----------------------------------------------------------------------------
def run_model(model: str, clip_path: Path, out: Path, duration_s: float | None) -> float:
    """The real ``streamer enhance CLIP -o OUT --model MODEL --duration ...``; returns its fps."""
    from streamer.jobs import run_enhance

    cfg = EnhanceConfig(input=str(clip_path), output=str(out), model=model, duration_s=duration_s)
    return run_enhance(cfg, show_progress=False).fps


def run_plain_gain(clip_path: Path, out: Path, duration_s: float | None, k: float) -> float:
    """The plain gain through the job's own pipeline and file sink (same encoder settings); its fps."""
    from streamer.pipeline import Pipeline, PipelineConfig
    from streamer.sinks import SinkOptions, open_sink
    from streamer.sources.video_file import VideoFileSource

    class Gain:
        name, device, burst, path = "gain", "cpu", 1, "gain"

        def enhance(self, burst: np.ndarray) -> np.ndarray:
            return vm.gain(burst[-1], k)

    source = VideoFileSource(clip_path)
    try:
        sink = open_sink(str(out), source.info, SinkOptions(crf=CRF, preset=PRESET))
        stats = Pipeline(source, Gain(), sink, PipelineConfig(live=False, duration_s=duration_s)).run()
    finally:
        source.close()
    return stats.fps


def run_ffmpeg(clip_path: Path, out: Path, frames: int) -> float:
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(clip_path), "-frames:v", str(frames),
           "-vf", FFMPEG_VF, "-an", *X264, str(out)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return frames / (time.perf_counter() - t0)


# -- the strip -------------------------------------------------------------------------------------
def zoom_window(ref: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left (x, y) of the flattest ``size`` x ``size`` window (least luma std after a 3-px
    blur, which keeps structure and drops noise) among the darkish ones (mean luma 20..110) of ``ref``,
    the default model's frame: where the eye looks for blocks and colour noise. The flattest of
    all windows if none is dark."""
    y_ref = cv2.GaussianBlur(vm.luma601(ref), (0, 0), 3.0)
    box = (size, size)
    mean = cv2.boxFilter(y_ref, -1, box, normalize=True, borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(y_ref * y_ref, -1, box, normalize=True, borderType=cv2.BORDER_REFLECT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    h, w = y_ref.shape
    step = max(4, size // 4)
    best, best_any = None, None
    for cy in range(size // 2, h - size // 2 + 1, step):
        for cx in range(size // 2, w - size // 2 + 1, step):
            cand = (float(std[cy, cx]), cx - size // 2, cy - size // 2)
            best_any = cand if best_any is None or cand < best_any else best_any
            if MIN_ZOOM_LUMA <= mean[cy, cx] <= MAX_ZOOM_LUMA and (best is None or cand < best):
                best = cand
    chosen = best or best_any
    return chosen[1], chosen[2]


def strip(clip: str, panels: list[tuple[str, np.ndarray]], window: tuple[int, int, int], panel: int) -> np.ndarray:
    """One row per method (one column for portrait clips): the frame scaled to ``panel`` px high
    (wide) with the window outlined, and the window at ``panel`` x ``panel`` (nearest neighbour)."""
    x, y, size = window
    portrait = panels[0][1].shape[0] > panels[0][1].shape[1]
    tiles = []
    for i, (name, rgb) in enumerate(panels):
        h, w = rgb.shape[:2]
        s = panel / (w if portrait else h)
        frame = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        cv2.rectangle(frame, (round(x * s), round(y * s)), (round((x + size) * s), round((y + size) * s)),
                      (255, 255, 255), 1)
        zoom = cv2.resize(rgb[y:y + size, x:x + size], (panel, panel), interpolation=cv2.INTER_NEAREST)
        text = f"{clip}: {name}" if i == 0 and not portrait else name
        pair = [label(frame, text, (6, 20), 0.55, 1), label(zoom, f"{panel / size:.3g}x zoom", (6, 20), 0.55, 1)]
        tiles.append(np.concatenate(pair, axis=0 if portrait else 1))
    if portrait:
        title = label(np.zeros((28, panel * len(tiles), 3), np.uint8), clip, (6, 20), 0.55, 1)
        return np.concatenate([title, np.concatenate(tiles, axis=1)], axis=0)
    return np.concatenate(tiles, axis=0)


def write_strip(path: Path, clip: str, panels: list[tuple[str, np.ndarray]], ref: np.ndarray) -> dict:
    """The strip PNG, shrunk until it is under :data:`STRIP_MAX_BYTES`."""
    panel = 320
    while True:
        size = min(panel // 2, *ref.shape[:2])
        x, y = zoom_window(ref, size)
        img = strip(clip, panels, (x, y, size), panel)
        _, png = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if png.size <= STRIP_MAX_BYTES or panel <= 160:
            path.write_bytes(png.tobytes())
            return {"path": path.name, "panel_px": panel, "zoom_window_xywh": [x, y, size, size], "bytes": int(png.size)}
        panel = int(panel * 0.85) // 2 * 2


# -- one clip --------------------------------------------------------------------------------------
def evaluate_clip(name: str, path: Path, frames: int, force_static: bool | None, work: Path,
                  models: list[str], truth: Path | None = None) -> dict:
    w, h, fps, total = video_info(path)
    n = total if name == LOL_CLIP else min(frames, total) if total else frames
    t_clip = time.perf_counter()
    info, plan, subsample = probe_input(path, n, force_static, stills=name == LOL_CLIP)
    n = info["frames"]
    print(f"[{name}] {w}x{h} {fps:.2f} fps, {n} frames; camera motion median {info['motion_px_per_frame_median']:.2f} px/frame "
          f"(p90 {info['motion_px_per_frame_p90']:.2f}): "
          + ("a slideshow of stills" if name == LOL_CLIP else "static" if info["static"] else "moving")
          + f"{' (forced)' if info['static_forced'] else ''}; temporal noise: {info['noise_mode']}", flush=True)
    if name == LOL_CLIP:  # the last frame of each still: the burst model's window holds only that picture
        measured = frozenset(range(LOL_HOLD - 1, n, LOL_HOLD))
        sampling = Sampling(n, (n // LOL_HOLD // 2) * LOL_HOLD + LOL_HOLD - 1, measured, plan)
        subsample = [f for t, f in enumerate(subsample) if t in measured]
    else:
        sampling = Sampling(n, n // 2, None, plan)
    info["frames_measured"] = n if sampling.measured is None else len(sampling.measured)
    duration = job_duration(path, n)
    rows: dict[str, dict] = {}
    meters: dict[str, RowMeter] = {}
    files: dict[str, Path] = {}
    fps_of: dict[str, float | None] = {"input": None}

    inp_meter = measure_file(path, path, sampling)
    rows["input"] = inp_meter.result() | {"kbit_s": stream_kbit_s(path, n, fps), "fps": None}
    meters["input"] = inp_meter
    info["input_mean_luma"] = rows["input"]["mean_luma"]

    for m in models:
        files[m] = work / f"{name}.{m}.mp4"
        t0 = time.perf_counter()
        fps_of[m] = run_model(m, path, files[m], duration)
        print(f"[{name}] {m}: {fps_of[m]:.2f} fps ({time.perf_counter() - t0:.0f} s)", flush=True)
    files["ffmpeg gamma+hqdn3d"] = work / f"{name}.ffmpeg.mp4"
    fps_of["ffmpeg gamma+hqdn3d"] = run_ffmpeg(path, files["ffmpeg gamma+hqdn3d"], n)

    gained_cache: dict[float, dict] = {}

    def measure(row: str) -> None:
        meter = measure_file(files[row], path, sampling)
        res = meter.result()
        k = vm.gain_for_mean(subsample, res["mean_luma"])
        key = round(k, 3)
        if key not in gained_cache:
            gained_cache[key] = measure_gained(path, sampling, k)
        res["gained"] = gained_cache[key]
        res["colourfulness_ratio"] = res["colourfulness"] / rows["input"]["colourfulness"]
        res["gained"]["colourfulness_ratio"] = res["gained"]["colourfulness"] / rows["input"]["colourfulness"]
        rows[row] = res | {"kbit_s": stream_kbit_s(files[row], n, fps), "fps": fps_of[row]}
        meters[row] = meter
        print(f"[{name}] {row}: " + ", ".join(f"{k} {v:.4g}" for k, v in rows[row].items() if isinstance(v, float)), flush=True)

    measure(DEFAULT_MODEL)
    k0 = vm.gain_for_mean(subsample, rows[DEFAULT_MODEL]["mean_luma"])
    files["plain gain"] = work / f"{name}.gain.mp4"
    fps_of["plain gain"] = run_plain_gain(path, files["plain gain"], duration, k0)
    for row in [m for m in models if m != DEFAULT_MODEL] + ["plain gain", "ffmpeg gamma+hqdn3d"]:
        measure(row)
    rows["plain gain"]["gain"] = k0
    if truth is not None:
        files[TRUTH_ROW], fps_of[TRUTH_ROW] = truth, None
        measure(TRUTH_ROW)

    for m in models:
        rows[m]["targets"] = check_targets(rows[m], info, rows["plain gain"])
    order = ["input", *models, "plain gain", "ffmpeg gamma+hqdn3d", *([TRUTH_ROW] if truth is not None else [])]
    panels = [(r, meters[r].kept) for r in order]
    info["strip"] = write_strip(RESULTS / f"real_strip_{name}.png", name, panels, meters[DEFAULT_MODEL].kept)
    info["strip"]["frame"] = sampling.keep
    info["fps"], info["seconds"] = fps, time.perf_counter() - t_clip
    return {"clip": info, "rows": {r: rows[r] for r in order}}


# -- table -----------------------------------------------------------------------------------------
def _f(v: float | None, fmt: str) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def table_rows(name: str, res: dict) -> list[list[str]]:
    """One table row per method of one clip's results (NaN already ``None``, as in the JSON)."""
    rows = res["rows"]
    plain = rows["plain gain"]
    out = []
    for r in rows:
        row = rows[r]
        g = row.get("gained")

        def both(key: str, fmt: str, row: dict = row, g: dict | None = g) -> str:
            return _f(row[key], fmt) + (f" ({_f(g[key], fmt)})" if g else "")

        noise = "n/a" if res["clip"]["noise_mode"] == "none" else both("temporal_noise", ".2f")
        colour = "1.00" if r == "input" else f"{row['colourfulness_ratio']:.2f} ({g['colourfulness_ratio']:.2f})"
        rate = f"{row['kbit_s']:.0f}" + ("" if r == "input" else f" ({row['kbit_s'] / plain['kbit_s']:.2f}x)")
        if "targets" in row:
            missed = [t for t, ok in row["targets"].items() if ok is False]
            checked = sum(ok is not None for ok in row["targets"].values())
            verdict = (f"misses {', '.join(missed)}" if missed else "all met") + f" ({checked - len(missed)}/{checked})"
            if r == DEFAULT_MODEL:
                verdict = f"**{verdict}**"
        else:
            verdict = ""
        chroma = both("near_black_chroma", ".2f") + f", {100 * row['near_black_fraction']:.3g} %"
        out.append([name, r if r != DEFAULT_MODEL else f"**{r}** (default)", f"{row['mean_luma']:.1f}", f"{row['p2_luma']:.1f}",
                    chroma, both("blockiness", ".3f"), colour,
                    f"{100 * row['newly_clipped']:.3f}", noise, rate, _f(row["fps"], ".1f"), verdict])
    return out


def render(results: dict, settings: dict) -> str:
    """The Markdown page of a run: how it was made, one line per clip, the table."""
    rows = [r for name, res in results.items() for r in table_rows(name, res)]
    header = ["clip", "method", "mean Y", "p2 Y", "near-black chroma (gained), share of pixels", "blockiness (gained)",
              "colourfulness x input (gained)", "newly clipped %", "temporal noise (gained)", "kbit/s (x plain gain)",
              "fps", "targets"]
    clip_lines = [
        f"- `{n}`: {r['clip']['width']}x{r['clip']['height']}, {r['clip']['fps']:.2f} fps, {r['clip']['frames']} frames "
        f"({r['clip']['frames_measured']} measured), "
        f"input mean luma {r['clip']['input_mean_luma']:.1f} "
        f"({'exposed' if r['clip']['input_mean_luma'] > EXPOSED_LUMA else 'dark'}), "
        f"camera motion {r['clip']['motion_px_per_frame_median']:.2f} px/frame (median) -> "
        + {"static": "static: temporal noise measured (target applies)",
           "pan-aligned": f"moving: temporal noise on groups of {PAN_GROUP} frames aligned on the camera motion, "
                          "for information (no target)",
           "none": "a slideshow of stills: no temporal noise"}[r["clip"]["noise_mode"]]
        + f"; strip `{r['clip']['strip']['path']}`"
        for n, r in results.items()]
    frames = settings["frames"]
    return "\n".join([
        "# Real night footage: every model, a plain gain and ffmpeg (ground truth only for LOL's stills)",
        "",
        f"`python benchmarks/eval_real.py --frames {frames}`; first {frames} frames of each night clip, "
        f"`{LOL_CLIP}` measured on the last of the {LOL_HOLD} frames of each still; its last row is LOL's "
        "normal-light photos of the same scenes as the same slideshow (the truth, for reference). "
        f"Models through the real job (`streamer enhance`, defaults: ONNX Runtime on CPU, temporal smoothing, "
        f"libx264 CRF {CRF} {PRESET}); plain gain = code values x one factor per clip, matched to {DEFAULT_MODEL}'s "
        f"mean luma, same encoder; ffmpeg = `-vf {FFMPEG_VF}`, libx264 CRF {CRF} {PRESET}. "
        "BT.601 limited-range luma/chroma (8-bit levels, black 16) from the decoded RGB. In brackets: the input "
        "gained (plain gain, not re-encoded) to that row's own mean luma. Colourfulness: Hasler-Suesstrunk, ratio to "
        "the input. Temporal noise: per-pixel std of luma over time after removing each frame's mean. "
        f"fps: end to end on a shared 2-core machine (load average {settings['load_avg_start'][0]:.1f} at the start, "
        f"{settings['load_avg_end'][0]:.1f} at the end). Run took {settings['wall_s'] / 60:.1f} min.",
        "",
        *clip_lines,
        "",
        "Targets for the default model: " + "; ".join(TARGETS.values()) + ".",
        "",
        markdown_table(header, rows),
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--frames", type=int, default=48,
                    help="first N frames of each night clip (default 48: 15-20 min on 2 busy cores)")
    ap.add_argument("--clips", nargs="*", help="clip names (file stems, and lol_low); default: all")
    ap.add_argument("--models", nargs="*", default=list(CATALOG), help="default: every model in the catalog")
    ap.add_argument("--static", nargs="*", default=[], metavar="NAME", help="treat these clips as static (fixed camera)")
    ap.add_argument("--moving", nargs="*", default=[], metavar="NAME", help="treat these clips as moving")
    ap.add_argument("--work", type=Path, help="keep the encoded outputs here (default: a temporary folder)")
    ap.add_argument("--retable", action="store_true",
                    help="only rewrite results/eval_real.md from results/eval_real.json (no run)")
    args = ap.parse_args()
    if args.retable:
        saved = json.loads((RESULTS / "eval_real.json").read_text())
        table = render(saved["results"], saved["settings"])
        (RESULTS / "eval_real.md").write_text(table + "\n")
        print(table)
        return
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if DEFAULT_MODEL not in args.models:
        ap.error(f"--models must include the default model {DEFAULT_MODEL}: the plain gain is matched to it")

    t_run = time.perf_counter()
    load_start = os.getloadavg()
    clips = {p.stem: p for p in sorted((args.data / "night_clips").glob("*.mp4"))}
    clips[LOL_CLIP] = None
    names = args.clips or list(clips)
    unknown = [c for c in names if c not in clips]
    if unknown:
        ap.error(f"unknown clips {unknown}; choose from {list(clips)}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="eval_real_") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = clips[name] or build_lol_clip(args.data, work / f"{LOL_CLIP}.mp4")
            force = True if name in args.static else False if name in args.moving else None
            truth = build_lol_clip(args.data, work / "lol_high.mp4", truth=True) if name == LOL_CLIP else None
            results[name] = _plain(evaluate_clip(name, path, args.frames, force, work, args.models, truth))
    wall = time.perf_counter() - t_run
    settings = {"frames": args.frames, "clips": names, "models": args.models, "default_model": DEFAULT_MODEL,
                "crf": CRF, "preset": PRESET, "ffmpeg_vf": FFMPEG_VF,
                "lol_clip": {"images": LOL_IMAGES, "hold_frames": LOL_HOLD, "fps": LOL_FPS, "x264": LOL_X264},
                "static_max_shift_px": STATIC_MAX_SHIFT_PX, "pan_group": PAN_GROUP, "targets": TARGETS,
                "static": args.static, "moving": args.moving, "wall_s": wall,
                "load_avg_start": list(load_start), "load_avg_end": list(os.getloadavg())}
    table = render(results, settings)
    path = write_results("eval_real", settings, results, table)
    print(table)
    print(f"wrote {path} and the strips in {RESULTS} ({wall / 60:.1f} min)")


def _plain(o: object) -> object:
    """``o`` with numpy scalars as Python ones and NaN as ``None`` (JSON has no NaN)."""
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, (np.generic,)):
        o = o.item()
    if isinstance(o, float) and math.isnan(o):
        return None
    return o


if __name__ == "__main__":
    main()
