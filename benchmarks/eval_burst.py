"""Night video quality: the burst model against classical anchors and Zero-DCE++, per shot.

Clips: :mod:`benchmarks.night_clips` (LOL validation images, never trained on; a static security
camera shot, a panning dashcam shot and a static infrared (monochrome) CCTV shot, 640x360, dark,
noisy, H.264; the clean clip is known).
Side by side in one run:

- ``gain+hqdn3d`` / ``gain+nlmeans``: an exposure gain in linear light matched to the truth (it
  knows the answer's brightness), then the real FFmpeg filter;
- ``zero-dce++``: our shipped weights, frame by frame (ONNX Runtime), ``zero-dce++ smoothed``
  with the temporal smoothing ``streamer enhance`` runs on video by default (:mod:`models.runtime.temporal`),
  and ``zero-dce++ default``: all that ``streamer enhance`` runs on video by default, the smoothing, the
  temporal denoiser (:mod:`models.runtime.temporal_denoise`) and the deblocking filter;
- ``burst``: the shipped burst model through the ONNX Runtime backend, fed by the pipeline's
  BurstBuffer (so the first frames have a short burst, as in a real run); ``burst T=1``: the same
  network given only the newest frame (on the pan: a fused burst that ghosted would score below it);
- ``zero-dce++ noise-free``: the curve model on the same shot made without noise (no shot, read or
  fixed-pattern noise; H.264 at CRF 0, lossless but for the 4:2:0 chroma): what its tone alone
  scores, the ceiling of any denoising after it. The gain anchors invert this camera's exposure
  drop exactly (a gain in linear light told the truth's brightness), while a curve model brightens
  each region by its own curve.

Per model and shot: PSNR and SSIM (skimage, RGB uint8, mean over frames), the same after scaling
each output frame to the truth's mean (GT-mean), the exposure (output mean / truth mean), the
temporal noise (static shot: per-pixel standard deviation over time of the luma after removing
each frame's mean, in 8-bit levels) and the brightness flicker (mean absolute frame-to-frame
change of the mean luma, 8-bit levels); and ms/frame of the model call.

    python benchmarks/eval_burst.py [--data ../shared/data] [--frames 30] [--strip benchmarks/results/burst_strip.png]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import label, markdown_table, write_results  # noqa: E402
from benchmarks.night_clips import SHOTS, make_shot  # noqa: E402
from models import backends, catalog  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.runtime.srgb import linear_to_srgb, srgb_to_linear  # noqa: E402
from models.training.data import holdout_pairs  # noqa: E402
from models.training.metrics import psnr, ssim  # noqa: E402
from streamer.buffer import BurstBuffer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HQDN3D = "hqdn3d=8:8:12:12"
NLMEANS = "nlmeans=s=7:p=7:r=11"
SCENES = {"static": (5, 27), "pan": (17, 40), "ir": (33, 45)}  # indices into the 50 LOL validation images


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def ffmpeg_filter(frames: list[np.ndarray], vf: str) -> list[np.ndarray]:
    """Run ``vf`` on the frames with the real ffmpeg (raw RGB in and out, filtered in yuv444p)."""
    h, w = frames[0].shape[:2]
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", "30", "-i", "-", "-vf", f"format=yuv444p,{vf}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    p = subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), capture_output=True, check=True)
    return list(np.frombuffer(p.stdout, np.uint8).reshape(-1, h, w, 3))


def matched_gain(dark: list[np.ndarray], truth: list[np.ndarray]) -> list[np.ndarray]:
    """One gain for the clip, in linear light, that gives the truth's mean linear level."""
    lin = [srgb_to_linear(f / 255.0) for f in dark]
    g = float(np.mean([srgb_to_linear(t / 255.0).mean() for t in truth]) / np.mean([x.mean() for x in lin]))
    return [np.floor(linear_to_srgb(x * g) * 255.0 + 0.5).astype(np.uint8) for x in lin]


def run_model(runner, dark: list[np.ndarray], burst: int) -> tuple[list[np.ndarray], float]:
    buffer = BurstBuffer(burst)
    out, times = [], []
    for f in dark:
        buffer.push(f)
        t0 = time.perf_counter()
        out.append(runner.enhance(buffer.burst()))
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times) * 1000.0)


def measure(out: list[np.ndarray], truth: list[np.ndarray], static: bool) -> dict[str, float]:
    ps, ss, gps, gss = [], [], [], []
    for o, t in zip(out, truth, strict=True):
        ps.append(psnr(t, o))
        ss.append(ssim(t, o))
        scaled = np.clip(o.astype(np.float32) * (t.mean() / max(float(o.mean()), 1e-3)) + 0.5, 0, 255).astype(np.uint8)
        gps.append(psnr(t, scaled))
        gss.append(ssim(t, scaled))
    lum = np.stack([luma(o.astype(np.float32)) for o in out])
    means = lum.mean((1, 2))
    res = {
        "psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)),
        "gt_mean_psnr": float(np.mean(gps)), "gt_mean_ssim": float(np.mean(gss)),
        "exposure": float(np.mean([o.mean() for o in out]) / np.mean([t.mean() for t in truth])),
        "flicker": float(np.abs(np.diff(means)).mean()),
    }
    if static:
        res["temporal_noise"] = float((lum - means[:, None, None]).std(0).mean())
    return res


def truth_stats(truth: list[np.ndarray], static: bool) -> dict[str, float]:
    lum = np.stack([luma(t.astype(np.float32)) for t in truth])
    means = lum.mean((1, 2))
    res = {"flicker": float(np.abs(np.diff(means)).mean())}
    if static:
        res["temporal_noise"] = float((lum - means[:, None, None]).std(0).mean())
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2, help="inference threads (ONNX Runtime / torch)")
    ap.add_argument("--strip", type=Path, default=REPO / "benchmarks" / "results" / "burst_strip.png")
    ap.add_argument("--strip-frame", type=int, default=20)
    args = ap.parse_args()

    from models.runtime.deblock import DeblockConfig
    from models.runtime.temporal import SmoothingConfig
    from models.runtime.temporal_denoise import TemporalDenoiseConfig

    split = holdout_pairs(args.data / "lol_our485" / "low", args.data / "lol_our485" / "high", 50)
    opts = backends.BackendOptions(device="cpu", threads=args.threads)
    burst_w = catalog.get("burst")
    models = {
        "zero-dce++": (lambda: backends.open_backend("onnxruntime", catalog.get("zero-dce++"), opts), 1),
        # What `streamer enhance` runs on video by default: the fast path with temporal smoothing.
        "zero-dce++ smoothed": (lambda: backends.open_backend("onnxruntime", catalog.get("zero-dce++"),
                                                              replace(opts, smoothing=SmoothingConfig())), 1),
        # All of what `streamer enhance` runs by default on video: smoothing, the temporal denoiser
        # (models.runtime.temporal_denoise) and the deblocking filter.
        "zero-dce++ default": (lambda: backends.open_backend("onnxruntime", catalog.get("zero-dce++"), replace(
            opts, smoothing=SmoothingConfig(), denoise=TemporalDenoiseConfig(), deblock=DeblockConfig())), 1),
        "burst": (lambda: backends.open_backend("onnxruntime", burst_w, opts), burst_w.burst),
        # The same network on one frame: what fusing the burst adds (and, on the pan, whether it ghosts).
        "burst T=1": (lambda: backends.open_backend("onnxruntime", burst_w, opts), 1),
    }
    results: dict[str, dict] = {}
    rows = []
    strip_rows = []
    for shot in SHOTS:
        static = shot.static
        per_method: dict[str, list[dict]] = {}
        truths: list[dict] = []
        for scene, idx in enumerate(SCENES[shot.name]):
            dark, truth = make_shot(read_rgb(split.high[idx]), shot, args.frames)
            truths.append(truth_stats(truth, static))
            gained = matched_gain(dark, truth)
            outputs = {"input": (dark, None), "gain only": (gained, None)}
            t0 = time.perf_counter()
            outputs["gain+hqdn3d"] = (ffmpeg_filter(gained, HQDN3D), (time.perf_counter() - t0) * 1000 / len(dark))
            t0 = time.perf_counter()
            outputs["gain+nlmeans"] = (ffmpeg_filter(gained, NLMEANS), (time.perf_counter() - t0) * 1000 / len(dark))
            for name, (make, burst) in models.items():
                outputs[name] = run_model(make(), dark, burst)
            noise_free = replace(shot, photons=1e9, read_sigma=0.0, column_sigma=0.0, crf=0, bitrate=0)
            outputs["zero-dce++ noise-free"] = run_model(models["zero-dce++"][0](), make_shot(
                read_rgb(split.high[idx]), noise_free, args.frames)[0], 1)
            for name, (out, ms) in outputs.items():
                m = measure(out, truth, static) | ({"ms_per_frame": ms} if ms is not None else {})
                per_method.setdefault(name, []).append(m)
                print(f"{shot.name} scene {scene} {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()), flush=True)
            if scene == 0:
                k = min(args.strip_frame, args.frames - 1)
                panels = [("input", dark), ("gain+nlmeans", outputs["gain+nlmeans"][0]),
                          ("zero-dce++ default", outputs["zero-dce++ default"][0]), ("burst", outputs["burst"][0]),
                          ("truth", truth)]
                strip_rows.append(np.concatenate(
                    [label(cv2.resize(f[k], (320, 180), interpolation=cv2.INTER_AREA), f"{shot.name}: {n}", (6, 18), 0.5, 1)
                     for n, f in panels], axis=1))
        avg = {name: {k: float(np.mean([m[k] for m in ms])) for k in ms[0]} for name, ms in per_method.items()}
        avg["truth"] = {k: float(np.mean([t[k] for t in truths])) for k in truths[0]}
        results[shot.name] = {"shot": shot.__dict__, "scenes": [split.high[i].name for i in SCENES[shot.name]], "methods": avg}
        for name, m in avg.items():
            rows.append([shot.name, name] + [
                f"{m[k]:.2f}" if k in m and "ssim" not in k else f"{m[k]:.3f}" if k in m else "" for k in
                ("psnr", "ssim", "gt_mean_psnr", "gt_mean_ssim", "exposure", "temporal_noise", "flicker", "ms_per_frame")])
    header = ["shot", "method", "PSNR", "SSIM", "GT-mean PSNR", "GT-mean SSIM", "exposure", "temporal noise",
              "flicker", "ms/frame"]
    table = "\n".join([
        "# Night clips: burst model vs classical anchors and zero-dce++",
        "",
        f"`python benchmarks/eval_burst.py --frames {args.frames} --threads {args.threads}`; 640x360, "
        f"{len(SCENES['static'])} scenes per shot (LOL validation images), {args.frames} frames each, "
        "means over frames and scenes. "
        f"Anchors: exposure gain matched to the truth (linear light), then ffmpeg `{HQDN3D}` / `{NLMEANS}`. "
        "Temporal noise and flicker in 8-bit luma levels; ms/frame: the model call (ffmpeg rows: whole filter run per frame), "
        f"{args.threads} threads on a shared 2-core machine.",
        "",
        markdown_table(header, rows),
    ])
    settings = {"frames": args.frames, "threads": args.threads, "hqdn3d": HQDN3D, "nlmeans": NLMEANS,
                "scenes": {k: list(v) for k, v in SCENES.items()}}
    path = write_results("eval_burst", settings, results, table)
    args.strip.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.strip), cv2.cvtColor(np.concatenate(strip_rows, axis=0), cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(table)
    print(f"wrote {path} and {args.strip}")


if __name__ == "__main__":
    main()
