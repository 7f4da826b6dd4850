"""Speed of the burst model on ONNX Runtime, fed by the pipeline's BurstBuffer (steady state), at
640x360, 1280x720 and 1920x1080: as streamer runs it on a CPU (the streaming encoder/decoder pair
at the architecture's working size, frame shrunk and the output scaled back included), the same
pair at the frame's own size (``--exact``), and the full-burst graph (up to 720p).

    python benchmarks/speed_burst.py [--threads 1 2] [--frames 20] [--sizes 360p 720p 1080p]

Reports the median and the 10th-90th percentile spread of ms per frame (the model call only, no
decoding or encoding), after a warm-up of ``burst`` frames; zero-dce++ beside it for scale.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, markdown_table, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402
from streamer.buffer import BurstBuffer  # noqa: E402
from streamer.sources.demo import DemoSource  # noqa: E402


def time_runner(enhance, frames: list[np.ndarray], burst: int) -> list[float]:
    buffer = BurstBuffer(burst)
    times = []
    for k, f in enumerate(frames):
        buffer.push(f)
        t0 = time.perf_counter()
        enhance(buffer.burst())
        if k >= burst:  # steady state: the ring is full
            times.append((time.perf_counter() - t0) * 1000.0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--sizes", nargs="+", default=["360p", "720p", "1080p"])
    args = ap.parse_args()
    w = catalog.get("burst")
    results, rows = [], []
    for size in args.sizes:
        width, height = SIZES[size]
        demo = DemoSource(duration_s=(args.frames + w.burst) / 30 + 1, width=width, height=height)
        frames = [demo.render(i) for i in range(args.frames + w.burst)]
        for threads in args.threads:
            opts = backends.BackendOptions(device="cpu", threads=threads)
            b = backends.open_backend("onnxruntime", w, opts)  # with the CPU working size, as streamer runs it
            core = backends.layers(b)[-1]  # the network at the frame's own size
            pp = backends.open_backend("onnxruntime", catalog.get("zero-dce++"), opts)
            if core.streaming is None:
                raise SystemExit("the streaming pair is missing: run 'streamer export burst'")
            runs = {
                "burst as streamer runs it (streaming pair, working size)": (b.enhance, w.burst),
                "burst streaming pair, full size": (core.enhance, w.burst),
                "burst full-burst graph, full size": (lambda x, s=core.session: s.run(["enhanced"], {"frames": x})[0], w.burst),
                "zero-dce++": (pp.enhance, 1),
            }
            if height > 720:  # six encoder passes a frame at 1080p: seconds a frame, nothing to learn
                del runs["burst full-burst graph, full size"]
            for name, (fn, burst) in runs.items():
                ts = time_runner(fn, frames, burst)
                med, p10, p90 = np.median(ts), np.percentile(ts, 10), np.percentile(ts, 90)
                results.append({"size": size, "threads": threads, "model": name, "median_ms": float(med),
                                "p10_ms": float(p10), "p90_ms": float(p90), "frames": len(ts)})
                rows.append([size, threads, name, f"{med:.1f}", f"{p10:.1f}-{p90:.1f}", f"{1000 / med:.1f}"])
                print(rows[-1], flush=True)
    load = os.getloadavg()
    table = "\n".join([
        "# Burst model speed (ONNX Runtime, CPU)",
        "",
        f"`python benchmarks/speed_burst.py --frames {args.frames}`; model call only, steady state, burst {w.burst}. "
        f"Load average at the end: {load[0]:.1f} on {os.cpu_count()} cores (a shared machine: absolute numbers are pessimistic).",
        "",
        markdown_table(["size", "threads", "model", "median ms", "p10-p90 ms", "fps"], rows),
    ])
    write_results("speed_burst", {"frames": args.frames, "burst": w.burst, "loadavg": load}, results, table)
    print(table)


if __name__ == "__main__":
    main()
