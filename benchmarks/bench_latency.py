"""Live latency: capture timestamp -> enhanced frame handed to the sink, for a paced live source.

A synthetic live camera emits the built-in night street (pre-rendered, so rendering costs nothing
during the run) at ``--fps`` and ``--size``, stamping each frame with ``time.monotonic_ns()`` when
it is "captured", exactly like the network and camera sources do. It runs through the real
pipeline in live mode (drop-oldest queues) with the real backend, into the real H.264 sink
(libx264, the CLI's defaults), so the encoder competes for the cores as it does in
``streamer enhance rtsp://...``. Per frame we record:

- ``handed``: capture -> the sink's ``write`` is called with the enhanced frame (the latency the
  enhancer adds; the goal is p95 <= 50 ms at 720p on 2 CPU cores with zero-dce++);
- ``written``: capture -> the sink returned (adds the encoder's per-frame cost);

and report p50/p95/p99/max after a warm-up, the frames dropped to keep up, and the load average.
``--sinks file null`` also runs with a sink that discards frames: what the enhancer alone adds, with
no encoder competing for the cores (on a busy machine the encoder, not the model, sets the pace).

    python benchmarks/bench_latency.py [--sizes 720p] [--seconds 20] [--sinks file null] [--model zero-dce++] [--exact]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, markdown_table, write_results  # noqa: E402
from models import backends, catalog  # noqa: E402
from streamer.frame import Frame, StreamInfo  # noqa: E402
from streamer.pipeline import Pipeline, PipelineConfig  # noqa: E402
from streamer.sinks import SinkOptions, open_sink  # noqa: E402
from streamer.sources import SourceKind  # noqa: E402
from streamer.sources.demo import DemoSource  # noqa: E402
from streamer.sources.pacer import Pacer  # noqa: E402

WARMUP_S = 2.0


class PacedSource:
    """A live source: ``frames`` cycled at ``fps`` in real time, timestamped at capture."""

    def __init__(self, frames: list[np.ndarray], fps: float, seconds: float) -> None:
        h, w = frames[0].shape[:2]
        self._frames, self._fps, self._count = frames, fps, round(seconds * fps)
        self._index, self._pacer = 0, Pacer(fps)
        self.info = StreamInfo(kind=SourceKind.CAMERA, width=w, height=h, fps=fps, time_base=Fraction(1, 1_000_000),
                               live=True, description=f"paced synthetic camera {w}x{h}@{fps:g}")

    def read(self) -> Frame | None:
        if self._index >= self._count:
            return None
        self._pacer.wait()
        now = time.monotonic_ns()
        pts_s = self._index / self._fps
        frame = Frame(rgb=self._frames[self._index % len(self._frames)], index=self._index, pts_s=pts_s,
                      captured_ns=now, pts=round(pts_s * 1_000_000))
        self._index += 1
        return frame

    def close(self) -> None:
        pass


class TimedSink:
    """Wraps a sink; records capture -> hand-off for every frame written."""

    def __init__(self, sink) -> None:
        self.sink = sink
        self.address = sink.address
        self.handed_ms: list[tuple[float, float]] = []  # (pts_s, latency ms)

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.handed_ms.append((frame.pts_s, (time.monotonic_ns() - frame.captured_ns) / 1e6))
        self.sink.write(frame, rgb)

    def close(self, complete: bool = True) -> None:
        self.sink.close(complete)


def percentiles(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max()), "frames": int(a.size)}


class NullSink:
    address = "nowhere"

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        pass

    def close(self, complete: bool = True) -> None:
        pass


def run(size: str, seconds: float, fps: float, model: str, exact: bool, threads: int, sink_kind: str = "file") -> dict:
    w, h = SIZES[size]
    demo = DemoSource(duration_s=2, width=w, height=h)
    frames = [demo.render(i) for i in range(30)]
    source = PacedSource(frames, fps, seconds + WARMUP_S)
    backend = backends.open_backend("auto", catalog.get(model), backends.BackendOptions(threads=threads, exact=exact))
    with tempfile.TemporaryDirectory() as tmp:
        real = open_sink(str(Path(tmp) / "live.mp4"), source.info, SinkOptions()) if sink_kind == "file" else NullSink()
        sink = TimedSink(real)
        load_before = os.getloadavg()
        pipeline = Pipeline(source, backend, sink, PipelineConfig(live=True))
        stats = pipeline.run()
    backend.close()
    handed = [ms for pts, ms in sink.handed_ms if pts >= WARMUP_S]
    # RunStats records capture -> written (sink returned) in the same order.
    written = list(stats.latencies_ms)[len(sink.handed_ms) - len(handed):]
    return {
        "size": size, "model": model, "sink": sink_kind, "backend": backend.name, "path": getattr(backend, "path", "exact"),
        "fps_in": fps, "frames_read": stats.frames_read, "frames_written": stats.frames_written,
        "dropped": stats.dropped, "handed": percentiles(handed), "written": percentiles(written),
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["720p"], choices=list(SIZES))
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds, after a 2 s warm-up")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--model", default="zero-dce++")
    ap.add_argument("--exact", action="store_true", help="run the exact path instead of the CPU fast path")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--sinks", nargs="+", default=["file"], choices=["file", "null"],
                    help="file: the real H.264 sink; null: frames discarded (the enhancer alone)")
    ap.add_argument("--name", default="bench_latency")
    args = ap.parse_args()
    results, rows = [], []
    for size, sink in [(size, sink) for size in args.sizes for sink in args.sinks]:
        r = run(size, args.seconds, args.fps, args.model, args.exact, args.threads, sink)
        results.append(r)
        hd, wr = r["handed"], r["written"]
        into = "H.264 file" if sink == "file" else "null sink"
        rows.append([size, f"{args.model} ({r['backend']}, {r['path']}) -> {into}", f"{hd['p50_ms']:.1f}", f"{hd['p95_ms']:.1f}",
                     f"{hd['max_ms']:.1f}", f"{wr['p50_ms']:.1f}", f"{wr['p95_ms']:.1f}",
                     f"{r['dropped']} / {r['frames_read']}", f"{r['loadavg_before'][0]:.1f}"])
    table = markdown_table(["size", "model", "handed p50 ms", "handed p95 ms", "handed max ms", "written p50 ms",
                            "written p95 ms", "dropped / read", "load avg (1 min)"], rows)
    print(table)
    write_results(args.name, {"seconds": args.seconds, "warmup_s": WARMUP_S, "fps": args.fps, "exact": args.exact,
                              "threads": args.threads, "goal": "handed p95 <= 50 ms at 720p, zero-dce++, CPU"},
                  results, table)


if __name__ == "__main__":
    main()
