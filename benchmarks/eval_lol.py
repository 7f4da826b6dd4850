"""Quality on the LOL validation split: our shipped models against the input itself.

The split is the 50 highest-numbered pairs of ``lol_our485`` (never trained on). PSNR/SSIM on
RGB uint8 with scikit-image, data_range 255, the way the reference numbers of the official
weights were measured (quoted from ``shared/data/README.md``, they are not re-run here: the
official checkpoints are not shipped).

The CPU fast paths are measured beside the exact path, with the largest and mean absolute uint8
difference between the two outputs: Zero-DCE++'s lookup table (``models.runtime.curve_lut``) and the
burst model's working size (``models.backends.resized``: LOL's 600x400 images run at 586x390). A last
row per model is what ``streamer enhance`` runs on an image by default: the fast path with the
deblocking filter (``models.runtime.deblock``).

    python benchmarks/eval_lol.py [--data ../shared/data] [--backend onnxruntime]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402
from models.export.card import OFFICIAL  # noqa: E402
from models.imagefiles import read_rgb  # noqa: E402
from models.runtime.deblock import DeblockConfig  # noqa: E402
from models.training.data import PairSplit, holdout_pairs  # noqa: E402
from models.training.metrics import psnr, ssim  # noqa: E402


def lol_split(data: Path) -> PairSplit:
    """The 50 highest-numbered pairs of ``lol_our485``, never trained on."""
    return holdout_pairs(data / "lol_our485" / "low", data / "lol_our485" / "high", 50)


def evaluate(model: str, data: Path, backend: str = "onnxruntime", exact: bool = True,
             deblock: bool = False) -> dict[str, float]:
    """PSNR/SSIM of ``model`` on the split; ``exact=False`` takes the fast path where there is one;
    ``deblock`` adds the deblocking filter, as ``streamer enhance`` does by default."""
    return _evaluate(model, data, backend, exact, deblock)[0]


def _evaluate(model: str, data: Path, backend: str, exact: bool,
              deblock: bool = False) -> tuple[dict[str, float], list[np.ndarray]]:
    split = lol_split(data)
    runner = backends.open_backend(backend, catalog.get(model), backends.BackendOptions(
        exact=exact, deblock=DeblockConfig() if deblock else None))
    ps, ss, outs = [], [], []
    for lo, hi in zip(split.low, split.high, strict=True):
        out = runner.enhance(read_rgb(lo)[None])
        truth = read_rgb(hi)
        ps.append(psnr(truth, out))
        ss.append(ssim(truth, out))
        outs.append(out)
    path = getattr(runner, "path", "exact")
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "pairs": len(ps), "path": path}, outs


def compare_paths(model: str, data: Path, backend: str = "onnxruntime") -> dict[str, dict[str, float]]:
    """The exact and the fast path of ``model`` on the split, and how far apart their outputs are."""
    exact, a = _evaluate(model, data, backend, exact=True)
    fast, b = _evaluate(model, data, backend, exact=False)
    diff = [np.abs(x.astype(np.int16) - y) for x, y in zip(a, b, strict=True)]
    return {"exact": exact, "fast": fast, "max_abs_diff": int(max(d.max() for d in diff)),
            "mean_abs_diff": float(np.mean([d.mean() for d in diff])),
            "delta_psnr": fast["psnr"] - exact["psnr"], "delta_ssim": fast["ssim"] - exact["ssim"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--backend", default="onnxruntime")
    args = ap.parse_args()
    results, rows = {}, []
    split = lol_split(args.data)
    pairs = [(read_rgb(h), read_rgb(lo)) for lo, h in zip(split.low, split.high, strict=True)]
    low_psnr, low_ssim = np.mean([psnr(h, lo) for h, lo in pairs]), np.mean([ssim(h, lo) for h, lo in pairs])
    results["input"] = {"psnr": float(low_psnr), "ssim": float(low_ssim)}
    rows.append(["the low image itself", f"{low_psnr:.3f}", f"{low_ssim:.4f}", "measured here"])
    for model in catalog.validated_on("lol"):  # not night2day: a translation has no LOL truth
        r = evaluate(model, args.data, args.backend)
        rows.append([f"streamer {model}", f"{r['psnr']:.3f}", f"{r['ssim']:.4f}", "measured here"])
        results[model] = r
        arch = catalog.get(model).architecture
        if (arch.curve_lut or arch.max_pixels is not None) and args.backend == "onnxruntime":
            c = compare_paths(model, args.data, args.backend)
            results[f"{model} fast path"] = c
            f = c["fast"]
            how = "lookup table" if arch.curve_lut else f"working size, at most {arch.max_pixels} pixels"
            rows.append([f"streamer {model}, CPU fast path ({how})", f"{f['psnr']:.3f}", f"{f['ssim']:.4f}",
                         f"measured here; vs exact: {c['delta_psnr']:+.4f} dB, {c['delta_ssim']:+.5f} SSIM, "
                         f"max abs diff {c['max_abs_diff']}, mean {c['mean_abs_diff']:.3f} levels"])
        d = evaluate(model, args.data, args.backend, exact=False, deblock=True)
        results[f"{model} as streamer enhance runs it"] = d
        rows.append([f"streamer {model}, as `streamer enhance` runs it (fast path, deblocking)", f"{d['psnr']:.3f}",
                     f"{d['ssim']:.4f}", "measured here"])
        if model in OFFICIAL:  # the burst model has no official release (and sees one frame here)
            results[model] |= {"official_psnr": OFFICIAL[model][0], "official_ssim": OFFICIAL[model][1]}
            rows.append([f"official {model}", f"{OFFICIAL[model][0]:.3f}", f"{OFFICIAL[model][1]:.4f}", "shared/data/README.md"])
    table = markdown_table(["method (LOL our485, 50 held-out pairs)", "PSNR dB", "SSIM", "source"], rows)
    print(table)
    write_results("eval_lol", {"data": str(args.data), "backend": args.backend, "split": "50 highest-numbered pairs"},
                  results, table)


if __name__ == "__main__":
    main()
