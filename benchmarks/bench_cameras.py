"""Many cameras: N paced cameras in one process (one model load, batched) against N separate processes.

Each camera is a synthetic live source (:class:`benchmarks.bench_latency.PacedSource`: the built-in night
street, pre-rendered, emitted at ``--fps`` in real time and stamped at capture), run through its own live
pipeline (reader thread, drop-oldest queues, its own temporal smoothing and night gate, as a camera of
``streamer run`` has) into a sink that records when each enhanced frame is handed to it and discards it
(no encoder: what is measured is the enhancer and its sharing, not x264). The cameras are not in step:
camera i starts i/N of a frame time after camera 0, as independent cameras would.

Three ways to run N cameras, one after the other for each N and size:

- ``1 process``: one :class:`~streamer.live.pool.ModelPool`, the model loaded once, the curve estimator's
  calls batched across cameras (``streamer run`` / ``streamer serve`` with several cameras);
- ``1 process, unbatched``: the same, but each camera calls the estimator itself;
- ``N processes``: N copies of this script (``--worker``), one camera each: each loads its model and renders
  its frames, says it is ready, and all start pacing at one moment the parent gives once every worker is
  ready (so their measured windows overlap, however long the loading takes on a busy machine).

Per camera, after a warm-up: frames handed on per second, p95 added latency (capture -> handed to the
sink), frames dropped to keep up; per run, the CPU time per frame (user + system, all threads or all
workers) and the load average. A camera *holds* the rate when it delivers at least 98 % of ``--fps``
and drops nothing in the measured window.

    python benchmarks/bench_cameras.py [--counts 1 2 4 8] [--sizes 360p 720p] [--fps 15] [--seconds 12]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_latency import NullSink, PacedSource  # noqa: E402
from benchmarks.common import SIZES, markdown_table, write_results  # noqa: E402
from models import catalog  # noqa: E402
from models.runtime.gate import GateConfig  # noqa: E402
from models.runtime.temporal import SmoothingConfig  # noqa: E402
from streamer.camera_config import CameraConfig  # noqa: E402
from streamer.frame import Frame  # noqa: E402
from streamer.live.pool import ModelPool, VideoLayers  # noqa: E402
from streamer.pipeline import Pipeline, PipelineConfig  # noqa: E402
from streamer.sources.demo import DemoSource  # noqa: E402

WARMUP_S = 3.0
MODES = ("1 process", "1 process, unbatched", "N processes")
HOLD = 0.98  # of the target rate


class Handed:
    """A sink that records (index, capture -> hand-off ms, hand-off time) and discards the frame."""

    def __init__(self) -> None:
        self.sink = NullSink()
        self.address = self.sink.address
        self.frames: list[tuple[int, float, int]] = []

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        now = time.monotonic_ns()
        self.frames.append((frame.index, (now - frame.captured_ns) / 1e6, now))

    def close(self, complete: bool = True) -> None:
        pass


def camera_layers(model: str, fps: float) -> VideoLayers:
    """What a camera of ``streamer run`` adds for a live source: the default smoothing and the night gate."""
    cam = CameraConfig("bench", "0", model=model)  # a camera index: a live source
    strength = cam.smoothing_strength(catalog.get(model).architecture.smoothing)
    return VideoLayers(smoothing=SmoothingConfig(strength=strength) if strength else None,
                       gate=GateConfig() if cam.gate else None, frame_interval_s=1.0 / fps)


def frames_for(size: str) -> list[np.ndarray]:
    w, h = SIZES[size]
    demo = DemoSource(duration_s=2, width=w, height=h)
    return [demo.render(i) for i in range(30)]


def measure(sink: Handed, fps: float, seconds: float) -> dict:
    """A camera's numbers over the measured window (the frames captured in ``seconds`` after the warm-up)."""
    first = round(WARMUP_S * fps)  # index of the first frame in the window
    last = first + round(seconds * fps)  # one past the last
    inside = [(i, ms) for i, ms, _ in sink.frames if first <= i < last]
    handed = len(inside)
    lat = np.asarray([ms for _, ms in inside]) if inside else np.asarray([np.nan])
    return {"fps": handed / seconds, "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)),
            "dropped": (last - first) - handed, "frames": handed}


def run_cameras(n: int, fps: float, seconds: float, model: str, batched: bool, frames: list[np.ndarray],
                ready: Callable[[], float] | None = None, phase_s: float = 0.0) -> dict:
    """N paced cameras in this process on one pool; per-camera numbers, CPU per frame, batching counts.
    ``ready()``, once loaded, returns when to start (wall clock); ``phase_s``: this process's cameras start that late."""
    pool = ModelPool(batch_window_s=0.003 if batched else None)
    pool.get(model)
    streams = [pool.stream(model, camera_layers(model, fps)) for _ in range(n)]
    sinks = [Handed() for _ in range(n)]
    total_s = WARMUP_S + seconds
    late_s = 0.0
    if ready is not None:
        start_at = ready()
        time.sleep(max(0.0, start_at - time.time()))
        late_s = max(0.0, time.time() - start_at)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()

    def camera(i: int) -> None:
        time.sleep(phase_s + i / n / fps)  # independent cameras are not in step
        source = PacedSource(frames[i % len(frames):] + frames[: i % len(frames)], fps, total_s)
        Pipeline(source, streams[i], sinks[i], PipelineConfig(live=True)).run()

    threads = [threading.Thread(target=camera, args=(i,), name=f"camera-{i}") for i in range(n)]
    load = os.getloadavg()[0]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats = pool.batch_stats(model)
    for s in streams:
        s.close()
    pool.close()
    cameras = [measure(s, fps, seconds) for s in sinks]
    handed = sum(len(s.frames) for s in sinks)
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"cameras": cameras, "cpu_s": cpu_s, "frames_handed": handed, "wall_s": wall, "loadavg_1min": load,
            "model_loads": pool.loads, "late_s": late_s,
            "batches": None if stats is None else {"calls": stats.calls, "inputs": stats.inputs, "largest": stats.largest}}


def run_processes(n: int, size: str, fps: float, seconds: float, model: str) -> dict:
    """N workers, one camera each, started together once every one has loaded its model and frames."""
    cmd = [sys.executable, __file__, "--worker", "--sizes", size, "--fps", str(fps), "--seconds", str(seconds),
           "--model", model]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen([*cmd, "--phase", str(i / n / fps)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(n)]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a worker failed to start")
    load = os.getloadavg()[0]
    start_at = time.time() + 0.5
    for p in procs:
        p.stdin.write(f"{start_at}\n")
        p.stdin.flush()
    outs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = sum(o["cpu_s"] for o in outs)  # the workers' own, from the moment they started pacing
    late = max(o["late_s"] for o in outs)
    return {"cameras": [o["cameras"][0] for o in outs], "cpu_s": cpu_s, "frames_handed": sum(o["frames_handed"] for o in outs),
            "cpu_s_with_startup": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "loadavg_1min": load, "model_loads": n, "late_start_s": late, "batches": None}


def worker(args: argparse.Namespace) -> None:
    frames = frames_for(args.sizes[0])

    def ready() -> float:
        print("ready", flush=True)
        return float(sys.stdin.readline())

    print(json.dumps(run_cameras(1, args.fps, args.seconds, args.model, True, frames, ready, args.phase)))


def summarise(mode: str, n: int, size: str, fps: float, r: dict) -> list[object]:
    cams = r["cameras"]
    fpss = [c["fps"] for c in cams]
    p95 = [c["p95_ms"] for c in cams]
    dropped = sum(c["dropped"] for c in cams)
    hold = sum(1 for c in cams if c["fps"] >= HOLD * fps and c["dropped"] == 0)
    cpu_ms = 1000.0 * r["cpu_s"] / max(r["frames_handed"], 1)
    b = r.get("batches")
    batching = f"{b['inputs']} in {b['calls']} calls (max {b['largest']})" if b else "-"
    return [size, n, mode, f"{min(fpss):.1f} / {np.median(fpss):.1f}", f"{np.median(p95):.0f} / {max(p95):.0f}",
            dropped, f"**{hold}/{n}**", f"{cpu_ms:.1f}", batching, f"{r['loadavg_1min']:.1f}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", nargs="+", type=int, default=[1, 2, 4, 8])
    ap.add_argument("--sizes", nargs="+", default=["360p", "720p"], choices=list(SIZES))
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--seconds", type=float, default=12.0, help="measured seconds per run, after a 3 s warm-up")
    ap.add_argument("--model", default="zero-dce++")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--name", default="bench_cameras")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--phase", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    results, rows = [], []
    for size in args.sizes:
        frames = frames_for(size)
        for n in args.counts:
            for mode in args.modes:
                if mode == "N processes":
                    r = run_processes(n, size, args.fps, args.seconds, args.model)
                else:
                    r = run_cameras(n, args.fps, args.seconds, args.model, mode == "1 process", frames)
                results.append({"size": size, "n": n, "mode": mode, **r})
                rows.append(summarise(mode, n, size, args.fps, r))
                print(" | ".join(str(c) for c in rows[-1]), flush=True)
    table = markdown_table(["size", "cameras", "how", "fps per camera (min / median)", "p95 ms (median / worst)",
                            "dropped", f"hold {args.fps:g} fps, no drop", "CPU ms / frame", "batching",
                            "load avg (1 min)"], rows)
    print(table)
    write_results(args.name, {"seconds": args.seconds, "warmup_s": WARMUP_S, "fps": args.fps, "model": args.model,
                              "sink": "discards (no encoder)", "hold": f">= {HOLD:.0%} of the rate and no drop",
                              "cores": os.cpu_count()}, results, table)


if __name__ == "__main__":
    main()
