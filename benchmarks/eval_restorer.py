"""The denoiser (issue 14) side by side: Zero-DCE++ alone, chained with the restorer, and followed by
FFmpeg's nlmeans, on the LOL validation pairs; the cost of a 720p frame; pictures.

- LOL our485, the 50 held-out pairs: PSNR/SSIM (RGB uint8, scikit-image, data_range 255) of the input, of
  ``zero-dce++`` (the CPU fast path, what the stream runs), of ``zero-dce++`` then the real ffmpeg's
  ``nlmeans`` at two strengths (the classical filter a user would otherwise run), of ``zero-dce++`` then the
  fixed 3x3 smoothing the restorer starts from before training, and of the chain ``zero-dce++-clean`` (the
  restorer after Zero-DCE++); every model on ONNX Runtime.
- Cost: median and quartiles of one 1280x720 frame (a frame of the foggy night clip, scaled, its code values
  divided by 3: that clip is exposed, mean luma 71, and the chain leaves an exposed frame to Zero-DCE++ alone;
  at a third, mean luma about 24, every stage runs in full), ONNX Runtime on ``--threads`` threads, for
  Zero-DCE++ alone, the restorer alone and the chain.
- Pictures: a LOL validation scene and that night-clip frame (darkened), curve model alone against the chain (and nlmeans
  on the LOL scene), with a 2x crop to show the noise: ``benchmarks/results/restorer_*.png``.

    python benchmarks/eval_restorer.py [--data ../shared/data] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, label, markdown_table, time_calls, write_results  # noqa: E402
from benchmarks.eval_burst import ffmpeg_filter  # noqa: E402
from benchmarks.eval_lol import lol_split  # noqa: E402
from models import backends, catalog  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.training.degradation import video_frames  # noqa: E402
from models.training.metrics import psnr, ssim  # noqa: E402

NLMEANS = {"light": "nlmeans=s=3:p=7:r=11", "strong": "nlmeans=s=7:p=7:r=11"}  # the strong one is eval_burst's
CURVE, CHAIN, RESTORER = "zero-dce++", "zero-dce++-clean", "restorer"
NIGHT_CLIP = "foggy_night_city_1080p.mp4"


def scores(outs: list[np.ndarray], truth: list[np.ndarray]) -> dict[str, float]:
    return {"psnr": float(np.mean([psnr(t, o) for t, o in zip(truth, outs, strict=True)])),
            "ssim": float(np.mean([ssim(t, o) for t, o in zip(truth, outs, strict=True)])), "pairs": len(outs)}


def run(model: str, frames: list[np.ndarray], threads: int) -> list[np.ndarray]:
    runner = backends.open_backend("onnxruntime", catalog.get(model), backends.BackendOptions(threads=threads))
    try:
        return [runner.enhance(f[None]) for f in frames]
    finally:
        runner.close()


def cost(model: str, frame: np.ndarray, threads: int, repeats: int) -> dict[str, float]:
    """Wall time on ``threads`` threads, and the CPU time of one frame on one thread (everything then runs in the
    calling thread: ONNX Runtime, OpenCV, the curve table), which other jobs on the machine hardly change."""
    out: dict[str, float] = {}
    for n in (threads, 1):
        runner = backends.open_backend("onnxruntime", catalog.get(model), backends.BackendOptions(threads=n))
        try:
            for _ in range(3):
                runner.enhance(frame[None])
            if n == threads:
                out |= time_calls(lambda f, r=runner: r.enhance(f[None]), frame, repeats) | {"path": runner.path}
            else:
                cpu = []
                for _ in range(repeats):
                    t0 = time.thread_time()
                    runner.enhance(frame[None])
                    cpu.append(time.thread_time() - t0)
                out["cpu_ms_one_thread"] = float(np.median(cpu) * 1000)
        finally:
            runner.close()
    return out


def zoom(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The ``box`` (x, y, w, h) of ``img`` scaled 2x (nearest: the noise as it is)."""
    x, y, w, h = box
    return cv2.resize(img[y : y + h, x : x + w], (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST)


def strip(panels: list[tuple[str, np.ndarray]], box: tuple[int, int, int, int], path: Path) -> Path:
    """Each panel above its 2x crop of ``box``, side by side, labelled; written as PNG."""
    cols = []
    for name, img in panels:
        crop = zoom(img, box)
        top = cv2.resize(img, (crop.shape[1], round(img.shape[0] * crop.shape[1] / img.shape[1])), interpolation=cv2.INTER_AREA)
        cols.append(np.vstack([label(top, name, scale=0.6, thickness=1), crop]))
    cv2.imwrite(str(path), cv2.cvtColor(np.hstack(cols), cv2.COLOR_RGB2BGR))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()

    split = lol_split(args.data)
    low = [read_rgb(p) for p in split.low]
    truth = [read_rgb(p) for p in split.high]
    lol: dict[str, dict] = {"the low image itself": scores(low, truth)}
    curved = run(CURVE, low, args.threads)
    lol[CURVE] = scores(curved, truth)
    denoised = {}
    for name, vf in NLMEANS.items():
        t0 = time.perf_counter()
        denoised[name] = ffmpeg_filter(curved, vf)
        ms = (time.perf_counter() - t0) * 1000 / len(curved)
        lol[f"{CURVE} + ffmpeg {vf}"] = scores(denoised[name], truth) | {"ms_per_600x400_image": ms}
    # The restorer's untrained starting point, a fixed filter (models.nets.restorer.SMOOTH_START): what training adds.
    start = [np.clip(0.5 * c + 0.5 * cv2.blur(c.astype(np.float32), (3, 3)) + 0.5, 0, 255).astype(np.uint8) for c in curved]
    lol[f"{CURVE} + x + 0.5 (box3x3(x) - x) (the restorer untrained)"] = scores(start, truth)
    chained = run(CHAIN, low, args.threads)
    lol[f"{CHAIN} ({CURVE} + restorer)"] = scores(chained, truth)

    clip = args.data / "night_clips" / NIGHT_CLIP
    night = cv2.resize(video_frames(clip, 5)[2], (1280, 720), interpolation=cv2.INTER_AREA) // 3  # dark
    costs = {m: cost(m, night, args.threads, args.repeats) for m in (CURVE, RESTORER, CHAIN)}
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())

    k = int(np.argmax([s - c for s, c in zip([ssim(t, o) for t, o in zip(truth, chained, strict=True)],
                                             [ssim(t, o) for t, o in zip(truth, curved, strict=True)], strict=True)]))
    strip([("low", low[k]), (CURVE, curved[k]), ("+ nlmeans s=7", denoised["strong"][k]), (CHAIN, chained[k]),
           ("normal light", truth[k])], (200, 150, 200, 130), RESULTS / "restorer_strip_lol.png")
    night_curve, night_chain = run(CURVE, [night], args.threads)[0], run(CHAIN, [night], args.threads)[0]
    strip([("night clip frame", night), (CURVE, night_curve), (CHAIN, night_chain)], (560, 300, 320, 200),
          RESULTS / "restorer_strip_night.png")

    rows = [[name, f"{r['psnr']:.3f}", f"{r['ssim']:.4f}"] for name, r in lol.items()]
    table = markdown_table(["method (LOL our485, 50 held-out pairs)", "PSNR dB", "SSIM"], rows)
    table += "\n\n" + markdown_table(
        ["model, one 1280x720 frame (ONNX Runtime)", "path", f"median ms, {args.threads} threads", "quartiles ms",
         "CPU ms on 1 thread"],
        [[m, r["path"], f"{r['median_ms']:.1f}", f"{r['q1_ms']:.1f}-{r['q3_ms']:.1f}", f"{r['cpu_ms_one_thread']:.1f}"]
         for m, r in costs.items()])
    table += f"\n\nLoad average while measuring (other jobs on the {os.cpu_count()}-core machine): {load}"
    print(table)
    write_results("eval_restorer", {"data": str(args.data), "threads": args.threads, "repeats": args.repeats,
                                    "nlmeans": NLMEANS, "cost_frame": f"{NIGHT_CLIP}, frame 3 of 5, 1280x720, code values / 3",
                                    "lol_picture_index": k, "load_average": load},
                  {"lol": lol, "cost_720p": costs}, table)


if __name__ == "__main__":
    main()
