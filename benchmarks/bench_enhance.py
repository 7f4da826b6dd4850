"""End-to-end speed: ``streamer enhance`` against a plain FFmpeg transcode of the same clip.

For each size a dark clip (the built-in night street, resized, 4 s at 30 fps, no audio) is made
once; then, after one warm-up each, N rounds run the commands back to back, in alternating order
(ffmpeg first on even rounds, streamer first on odd ones):

    ffmpeg -i IN -an -c:v libx264 -preset veryfast -crf 18 OUT
    streamer enhance IN -o OUT --model MODEL        (same x264 settings; CPU fast path for zero-dce++)
    streamer enhance IN -o OUT --model MODEL --exact   (with --exact: the float path, for reference)

Each round gives a ratio streamer / ffmpeg measured under the same load, and we report the median
of those paired ratios (lower is better; 1.0 means enhancement is free next to the codec), the
median wall times, fps, and the CPU seconds (user + system) each command used. The fps of a 4 s clip
include streamer's start-up (imports, loading the model: about half a second), which a camera running
for hours does not pay per frame: each streamer command is also timed on the clip's first
``SHORT_FRAMES`` frames, and "steady fps" is (frames - SHORT_FRAMES) / (median full - median short).
The machine's load average is recorded before and after: on a shared machine, rerun when it is quiet.

    python benchmarks/bench_enhance.py [--sizes 720p 1080p] [--models zero-dce++] [--runs 5] [--exact]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, markdown_table, write_results  # noqa: E402

SECONDS, FPS = 4, 30
SHORT_FRAMES = 8  # the start-up run: a burst's warm-up and a little more


def make_clip(path: Path, width: int, height: int, frames: int = SECONDS * FPS) -> None:
    import av

    from streamer.sources.demo import DemoSource

    demo = DemoSource(duration_s=SECONDS, width=width, height=height)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"crf": "16", "preset": "veryfast"}
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(demo.render(i), format="rgb24").reformat(format="yuv420p")
            vf.pts = i
            for p in s.encode(vf):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; returns (wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(commands: dict[str, list[str]], runs: int) -> dict[str, dict[str, float]]:
    """Warm up each command once, then ``runs`` rounds in alternating order; per-round ratios to ``ffmpeg``."""
    for cmd in commands.values():
        timed(cmd)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for r in range(runs):
        order = list(commands) if r % 2 == 0 else list(reversed(commands))
        for name in order:
            wall, cpu = timed(commands[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    out = {}
    for name in commands:
        ratios = [w / f for w, f in zip(walls[name], walls["ffmpeg"], strict=True)]
        out[name] = {"median_s": statistics.median(walls[name]), "min_s": min(walls[name]), "max_s": max(walls[name]),
                     "runs_s": walls[name], "cpu_s": statistics.median(cpus[name]),
                     "paired_ratio": statistics.median(ratios), "ratios": ratios}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["720p", "1080p"], choices=list(SIZES))
    ap.add_argument("--models", nargs="+", default=["zero-dce++"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exact", action="store_true", help="also time --exact (the float path) for each model")
    ap.add_argument("--name", default="bench_enhance")
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed: apt-get install ffmpeg")
    streamer = [shutil.which("streamer")] if shutil.which("streamer") else [sys.executable, "-m", "streamer"]
    results, rows = {}, []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes:
            w, h = SIZES[size]
            clip, short = work / f"dark_{size}.mp4", work / f"short_{size}.mp4"
            make_clip(clip, w, h)
            make_clip(short, w, h, SHORT_FRAMES)
            frames = SECONDS * FPS
            x264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
            commands = {"ffmpeg": ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-an", *x264, str(work / "ff.mp4")]}
            for m in args.models:
                base = [*streamer, "-q", "enhance", str(clip), "-o", str(work / "st.mp4"), "--model", m,
                        "--crf", "18", "--preset", "veryfast"]
                commands[f"streamer {m}"] = base
                if args.exact:
                    commands[f"streamer {m} --exact"] = [*base, "--exact"]
            load = os.getloadavg()
            timing = paired(commands, args.runs)
            results[size] = {"loadavg_at_start": load}
            for name, t in timing.items():
                t["fps"] = frames / t["median_s"]
                steady = ""
                if name != "ffmpeg":  # start-up: the same command on the short clip
                    cmd = [str(short) if a == str(clip) else a for a in commands[name]]
                    t["short_s"] = statistics.median(timed(cmd)[0] for _ in range(max(args.runs, 2)))
                    t["steady_fps"] = (frames - SHORT_FRAMES) / (t["median_s"] - t["short_s"])
                    steady = f"{t['steady_fps']:.1f} ({t['short_s']:.2f})"
                results[size][name] = t
                median = f"{t['median_s']:.2f} ({t['min_s']:.2f}-{t['max_s']:.2f})"
                rows.append([size, name, median, f"{t['fps']:.1f}", steady, f"{t['cpu_s']:.2f}",
                             f"{t['paired_ratio']:.2f}", f"{load[0]:.1f}"])
    load_after = os.getloadavg()
    table = markdown_table(["size", "command", "median s (min-max)", "fps", f"steady fps (s for {SHORT_FRAMES} frames)",
                            "CPU s", "x ffmpeg (paired median)", "load avg"], rows)
    print(table)
    write_results(args.name, {"clip_seconds": SECONDS, "fps": FPS, "runs": args.runs, "x264": "veryfast crf 18",
                              "models": args.models, "method": "alternating paired rounds, median of per-round ratios",
                              "loadavg_before": load_before, "loadavg_after": load_after, "cores": os.cpu_count()},
                  results, table)


if __name__ == "__main__":
    main()
