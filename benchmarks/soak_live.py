"""Soak: a long live RTSP recording at 30 fps; memory (RSS) and added latency must stay flat.

A loopback RTSP camera (Debian's gst-rtsp-server, ``tests/streamer/rtsp_server.py``, looping the
built-in night street) or ``--url`` is recorded through the real pipeline (reconnecting network
source, Zero-DCE++, libx264 file sink, live mode: drop the oldest when behind) for ``--seconds``.
Sampled in the recording process: RSS once a second; for every written frame its added latency
(capture -> written, as the pipeline reports it) and its source index, so gaps in the indices are
the frames dropped to keep up. Reported per window (default one minute): RSS, latency p50/p95,
frames written and dropped; and the drift between the first and the last third of the run.

    nice -n 10 python benchmarks/soak_live.py --seconds 600 [--size 640x360] [--url rtsp://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, write_results  # noqa: E402

MIB = 1024 * 1024


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class SoakRecord:
    """Raw samples of one soak: per written frame and per second. Times in s since the start."""

    frame_t: np.ndarray
    latency_ms: np.ndarray
    index: np.ndarray
    rss_t: np.ndarray
    rss_mib: np.ndarray
    load1: np.ndarray
    seconds: float
    dropped: int
    frames_read: int
    outages: int


class _TimingSink:
    """Wraps the real sink; records when each frame was written, its latency and its source index.

    Arrays are allocated up front so recording them does not itself grow memory during the soak.
    """

    def __init__(self, sink, capacity: int, t0_ns: int) -> None:
        self._sink = sink
        self.address = sink.address
        self.t = np.zeros(capacity)
        self.latency = np.zeros(capacity)
        self.index = np.zeros(capacity, np.int64)
        self.n = 0
        self._t0 = t0_ns

    def write(self, frame, rgb) -> None:
        self._sink.write(frame, rgb)
        now = time.monotonic_ns()
        if self.n < len(self.t):
            self.t[self.n] = (now - self._t0) / 1e9
            self.latency[self.n] = (now - frame.captured_ns) / 1e6
            self.index[self.n] = frame.index
            self.n += 1

    def close(self, complete: bool = True) -> None:
        self._sink.close(complete)


def soak(url: str, seconds: float, out: Path, model: str = "zero-dce++", backend: str = "auto",
         threads: int = 0) -> SoakRecord:
    """Record ``url`` live for ``seconds`` into ``out`` through the real pipeline, sampling as it goes."""
    from models import backends, catalog
    from streamer.pipeline import Pipeline, PipelineConfig
    from streamer.sinks import SinkOptions, open_sink
    from streamer.sources import SourceOptions, open_source

    engine = backends.open_backend(backend, catalog.get(model), backends.BackendOptions(threads=threads))
    source = open_source(url, SourceOptions())
    t0 = time.monotonic_ns()
    sink = _TimingSink(open_sink(str(out), source.info, SinkOptions()), capacity=int(seconds * 60) + 1000, t0_ns=t0)
    rss_t = np.zeros(int(seconds) + 60)
    rss = np.zeros(int(seconds) + 60)
    load = np.zeros(int(seconds) + 60)
    n_rss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal n_rss
        while not done.is_set() and n_rss < len(rss):
            rss_t[n_rss] = (time.monotonic_ns() - t0) / 1e9
            rss[n_rss] = rss_bytes() / MIB
            load[n_rss] = os.getloadavg()[0]  # the machine is shared: other work shows up in the latency
            n_rss += 1
            done.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stats = Pipeline(source, engine, sink, PipelineConfig(live=True, duration_s=seconds)).run()
    finally:
        done.set()
        sampler.join()
        source.close()
        engine.close()
    return SoakRecord(sink.t[: sink.n].copy(), sink.latency[: sink.n].copy(), sink.index[: sink.n].copy(),
                      rss_t[:n_rss].copy(), rss[:n_rss].copy(), load[:n_rss].copy(), seconds, stats.dropped, stats.frames_read,
                      len(getattr(source, "outages", [])))


def window_stats(rec: SoakRecord, start_s: float, end_s: float) -> dict[str, float | int | None]:
    """Frames written and dropped, latency p50/p95 (ms) and RSS median/max (MiB) within [start, end)."""
    f = (rec.frame_t >= start_s) & (rec.frame_t < end_s)
    r = (rec.rss_t >= start_s) & (rec.rss_t < end_s)
    idx = np.flatnonzero(f)
    # Frames dropped before each written one: the gap in source indices since the previous written frame.
    gaps = np.diff(rec.index, prepend=-1)[idx] - 1 if len(idx) else np.array([], np.int64)
    lat = rec.latency_ms[f]
    return {
        "start_s": round(start_s, 1),
        "end_s": round(end_s, 1),
        "frames_written": int(f.sum()),
        "fps_written": round(float(f.sum()) / (end_s - start_s), 2),
        "dropped": int(gaps.sum()),
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1) if len(lat) else None,
        "latency_p95_ms": round(float(np.percentile(lat, 95)), 1) if len(lat) else None,
        "rss_median_mib": round(float(np.median(rec.rss_mib[r])), 1) if r.any() else None,
        "rss_max_mib": round(float(rec.rss_mib[r].max()), 1) if r.any() else None,
        "load_avg_1min": round(float(np.mean(rec.load1[r])), 1) if r.any() else None,
    }


def drift(rec: SoakRecord) -> dict[str, object]:
    """The first third of the run against the last third: RSS and latency should not have grown."""
    third = rec.seconds / 3
    first, last = window_stats(rec, 0, third), window_stats(rec, 2 * third, rec.seconds + 1)
    return {
        "first_third": first,
        "last_third": last,
        "rss_growth_mib": round(last["rss_median_mib"] - first["rss_median_mib"], 1),
        "latency_p50_change_ms": round(last["latency_p50_ms"] - first["latency_p50_ms"], 1),
        "latency_p95_change_ms": round(last["latency_p95_ms"] - first["latency_p95_ms"], 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--window", type=float, default=60.0, help="report per window of this many seconds")
    p.add_argument("--size", default="640x360", help="frame size of the loopback camera")
    p.add_argument("--url", help="soak this stream instead of the loopback camera")
    p.add_argument("--model", default="zero-dce++")
    p.add_argument("--name", default="soak_live", help="results/NAME.json and .md")
    a = p.parse_args()
    width, height = (int(v) for v in a.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "soak.mp4"
        if a.url:
            rec = soak(a.url, a.seconds, out, model=a.model)
            camera = "given URL"
        else:
            from tests.conftest import dark_frames, free_port
            from tests.streamer.rtsp_server import RtspServer, unavailable, write_annexb

            reason = unavailable()
            if reason:
                sys.exit(f"soak_live: {reason}")
            clip = write_annexb(Path(tmp) / "night.h264", dark_frames(150, width, height))
            with RtspServer(free_port()) as server:
                server.start(clip)
                rec = soak(server.url(), a.seconds, out, model=a.model)
            camera = f"loopback gst-rtsp-server, {width}x{height} at 30 fps (5 s of the night street, looped)"
        output_mib = out.stat().st_size / MIB if out.exists() else 0.0

    edges = list(np.arange(0, a.seconds, a.window)) + [a.seconds + 1]
    windows = [window_stats(rec, s, e) for s, e in zip(edges, edges[1:], strict=False)]
    d = drift(rec)
    lat = rec.latency_ms
    results = {
        "frames_read": rec.frames_read,
        "frames_written": len(rec.frame_t),
        "dropped": rec.dropped,
        "outages": rec.outages,
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 1),
        "latency_p95_ms": round(float(np.percentile(lat, 95)), 1),
        "rss_first_mib": round(float(rec.rss_mib[0]), 1),
        "rss_max_mib": round(float(rec.rss_mib.max()), 1),
        "output_mib": round(output_mib, 1),
        "drift": d,
        "windows": windows,
        "rss_samples": [[round(float(t), 1), round(float(m), 1)] for t, m in zip(rec.rss_t, rec.rss_mib, strict=True)],
    }
    rows = [[f"{w['start_s']:.0f}-{min(w['end_s'], a.seconds):.0f}", w["frames_written"], w["fps_written"], w["dropped"],
             w["latency_p50_ms"], w["latency_p95_ms"], w["rss_median_mib"], w["rss_max_mib"], w["load_avg_1min"]]
            for w in windows]
    table = "\n".join([
        f"Soak: {a.seconds:.0f} s live RTSP through `{a.model}` into H.264, live mode ({camera}).",
        "",
        markdown_table(["window s", "written", "fps", "dropped", "latency p50 ms", "p95 ms", "RSS median MiB",
                        "RSS max MiB", f"load avg ({os.cpu_count()} cores)"], rows),
        "",
        f"First third to last third: RSS {d['rss_growth_mib']:+.1f} MiB, latency p50 {d['latency_p50_change_ms']:+.1f} ms, "
        f"p95 {d['latency_p95_change_ms']:+.1f} ms. Frames read {rec.frames_read}, written {len(rec.frame_t)}, "
        f"dropped {rec.dropped}, outages {rec.outages}.",
    ])
    settings = {"seconds": a.seconds, "window_s": a.window, "size": a.size, "model": a.model, "camera": camera,
                "command": "nice -n 10 python benchmarks/soak_live.py " + " ".join(sys.argv[1:])}
    path = write_results(a.name, settings, results, table)
    print(table)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
