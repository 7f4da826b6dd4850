"""How real the degrader's F looks: F(y) and F(F(y)) of the LOL held-out normal-light images against the real
low-light twins of the same scenes (issue 14, stage 1; the degrader is trained, not shipped).

Per set, means over the 50 held-out pairs: brightness (mean level, 0-255), noise (the median absolute
deviation of a 3x3 Laplacian of the luma, in levels, where the scene is flat in the normal-light image),
and that noise relative to the brightness (what brightening will lift); PSNR/SSIM against the real low
image. And a picture: real low | F(y) | F(F(y)), each also brightened x``--gain`` to show the noise.

    python benchmarks/eval_degrader.py --degrader runs/degrader.pt [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, label, markdown_table, write_results  # noqa: E402
from benchmarks.eval_lol import lol_split  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.training.metrics import psnr, ssim  # noqa: E402


def noise_level(img: np.ndarray, flat: np.ndarray) -> float:
    """Median absolute Laplacian of the luma over the ``flat`` mask, in uint8 levels (x1.4826: a sigma)."""
    luma = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = cv2.Laplacian(luma, cv2.CV_32F, ksize=1) / np.sqrt(20.0)  # unit gain for white noise
    return float(np.median(np.abs(lap[flat])) * 1.4826)


def flat_mask(clean: np.ndarray) -> np.ndarray:
    """Where the normal-light image has little texture (its own Laplacian below the 40th percentile)."""
    luma = cv2.cvtColor(clean, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(cv2.GaussianBlur(luma, (3, 3), 0), cv2.CV_32F))
    return lap < np.percentile(lap, 40)


def main() -> None:
    import torch

    from models.checkpoint import load_checkpoint, network_from_checkpoint
    from models.training.degradation import quantize, to_tensor

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--degrader", type=Path, required=True)
    ap.add_argument("--gain", type=float, default=6.0)
    args = ap.parse_args()
    ckpt = load_checkpoint(args.degrader)
    f = network_from_checkpoint(ckpt).to_degraded
    torch.manual_seed(0)
    split = lol_split(args.data)
    sets: dict[str, list[np.ndarray]] = {"real low": [], "F(y)": [], "F(F(y))": []}
    truth = []
    with torch.no_grad():
        for lo, hi in zip(split.low, split.high, strict=True):
            y = read_rgb(hi)
            truth.append(y)
            once = quantize(f(to_tensor(y[None])))
            twice = quantize(f(once))
            sets["real low"].append(read_rgb(lo))
            for name, t in (("F(y)", once), ("F(F(y))", twice)):
                sets[name].append((t[0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy())
    results, rows = {}, []
    for name, imgs in sets.items():
        flats = [flat_mask(t) for t in truth]
        bright = float(np.mean([i.mean() for i in imgs]))
        noise = float(np.mean([noise_level(i, m) for i, m in zip(imgs, flats, strict=True)]))
        rel = float(np.mean([noise_level(i, m) / max(i.mean(), 1.0) for i, m in zip(imgs, flats, strict=True)]))
        r = {"brightness": bright, "noise_levels": noise, "noise_per_level": rel}
        if name != "real low":
            r["psnr_vs_real_low"] = float(np.mean([psnr(a, b) for a, b in zip(sets["real low"], imgs, strict=True)]))
            r["ssim_vs_real_low"] = float(np.mean([ssim(a, b) for a, b in zip(sets["real low"], imgs, strict=True)]))
        results[name] = r
        rows.append([name, f"{bright:.1f}", f"{noise:.2f}", f"{rel:.3f}", f"{r.get('psnr_vs_real_low', float('nan')):.2f}",
                     f"{r.get('ssim_vs_real_low', float('nan')):.3f}"])
    table = markdown_table(["set (LOL held-out scenes)", "brightness", "noise (levels)", "noise / brightness",
                            "PSNR vs real low", "SSIM vs real low"], rows)
    print(table)
    k = 7
    panels = []
    for name, imgs in sets.items():
        img = imgs[k]
        lifted = np.clip(img.astype(np.float32) * args.gain, 0, 255).astype(np.uint8)
        panels.append(np.vstack([label(img, name), label(lifted, f"x{args.gain:g}")]))
    cv2.imwrite(str(RESULTS / "degrader_strip.png"), cv2.cvtColor(np.hstack(panels), cv2.COLOR_RGB2BGR))
    write_results("eval_degrader", {"data": str(args.data), "degrader_step": ckpt.get("step"), "picture_index": k},
                  results, table)


if __name__ == "__main__":
    main()
