"""Model-only speed of each available backend: what ``--backend auto`` is ordered by.

Per backend, model and size: 3 warm-up calls, then N timed calls of ``enhance`` on one frame
(the call returns host memory, so each timing includes any device sync); median and spread.

    python benchmarks/bench_backends.py [--sizes 360p 720p] [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, markdown_table, time_calls, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402
from streamer.sources.demo import DemoSource  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["360p", "720p"], choices=list(SIZES))
    ap.add_argument("--models", nargs="+", default=list(catalog.CATALOG))
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    # Triton runs on a server somewhere else: it is measured against that server, not here.
    available = [b for b, reason in backends.availability().items() if reason is None and b != "triton"]
    results: dict = {}
    rows = []
    for size in args.sizes:
        w, h = SIZES[size]
        frame = DemoSource(duration_s=1, width=w, height=h).render(5)[None]
        for model in args.models:
            for name in available:
                b = backends.open_backend(name, catalog.get(model))
                for _ in range(3):
                    b.enhance(frame)
                r = time_calls(b.enhance, frame, args.repeats)
                b.close()
                results.setdefault(size, {}).setdefault(model, {})[name] = r | {
                    "device": b.device, "path": getattr(b, "path", "exact"),
                }
                iqr = f"{r['q1_ms']:.1f}-{r['q3_ms']:.1f}"
                path = getattr(b, "path", "exact")
                label = f"{name} ({b.device}{', lookup-table fast path' if path == 'lut' else ''})"
                rows.append([size, model, label, f"{r['median_ms']:.1f}", iqr, f"{r['fps']:.1f}"])
    table = markdown_table(["size", "model", "backend", "median ms", "IQR ms", "fps"], rows)
    load = os.getloadavg()
    table += f"\n\nLoad average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on {os.cpu_count()} cores."
    print(table)
    write_results("bench_backends", {"repeats": args.repeats, "warmup": 3, "loadavg_at_end": load}, results, table)


if __name__ == "__main__":
    main()
