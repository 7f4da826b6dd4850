"""Quality on the LOL validation split: our shipped models against the input itself.

The split is the 50 highest-numbered pairs of ``lol_our485`` (never trained on). PSNR/SSIM on
RGB uint8 with scikit-image, data_range 255, the way the reference numbers of the official
weights were measured (quoted from ``shared/data/README.md``, they are not re-run here: the
official checkpoints are not shipped).

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
from models.card import OFFICIAL  # noqa: E402
from models.data import PairSplit, holdout_pairs, read_rgb  # noqa: E402
from models.metrics import psnr, ssim  # noqa: E402


def lol_split(data: Path) -> PairSplit:
    """The 50 highest-numbered pairs of ``lol_our485``, never trained on."""
    return holdout_pairs(data / "lol_our485" / "low", data / "lol_our485" / "high", 50)


def evaluate(model: str, data: Path, backend: str = "onnxruntime") -> dict[str, float]:
    split = lol_split(data)
    runner = backends.open_backend(backend, catalog.get(model))
    ps, ss = [], []
    for lo, hi in zip(split.low, split.high, strict=True):
        out = runner.enhance(read_rgb(lo)[None])
        truth = read_rgb(hi)
        ps.append(psnr(truth, out))
        ss.append(ssim(truth, out))
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "pairs": len(ps)}


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
    for model in catalog.CATALOG:
        r = evaluate(model, args.data, args.backend)
        rows.append([f"streamer {model}", f"{r['psnr']:.3f}", f"{r['ssim']:.4f}", "measured here"])
        results[model] = r
        if model in OFFICIAL:  # the burst model has no official release (and sees one frame here)
            results[model] |= {"official_psnr": OFFICIAL[model][0], "official_ssim": OFFICIAL[model][1]}
            rows.append([f"official {model}", f"{OFFICIAL[model][0]:.3f}", f"{OFFICIAL[model][1]:.4f}", "shared/data/README.md"])
    table = markdown_table(["method (LOL our485, 50 held-out pairs)", "PSNR dB", "SSIM", "source"], rows)
    print(table)
    write_results("eval_lol", {"data": str(args.data), "backend": args.backend, "split": "50 highest-numbered pairs"},
                  results, table)


if __name__ == "__main__":
    main()
