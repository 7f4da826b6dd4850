"""The README picture: a frame of the built-in demo before and after each model.

    python benchmarks/before_after.py [--frame 40] [--out docs/before_after.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import label  # noqa: E402
from models import backends, catalog  # noqa: E402
from streamer.sources.demo import DemoSource  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frame", type=int, default=40)
    ap.add_argument("--models", nargs="+", default=["zero-dce++", "zero-dce"])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "before_after.png")
    args = ap.parse_args()
    rgb = DemoSource(duration_s=args.frame / 30 + 1).render(args.frame)
    panels = [label(rgb, "input (demo)")]
    for m in args.models:
        out = backends.open_backend("onnxruntime", catalog.get(m)).enhance(rgb[None])
        panels.append(label(out, m))
    grid = np.concatenate(panels, axis=1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
