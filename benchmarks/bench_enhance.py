"""End-to-end speed: ``streamer enhance`` against a plain FFmpeg transcode of the same clip.

For each size a dark clip (the built-in night street, resized, 4 s at 30 fps, no audio) is made
once; then, paired in the same run and alternating, ``hyperfine`` times

    ffmpeg -i IN -an -c:v libx264 -preset veryfast -crf 18 OUT
    streamer enhance IN -o OUT --model MODEL        (same x264 settings)

and we report the medians, fps and the ratio streamer / ffmpeg (lower is better; 1.0 means
enhancement is free next to the codec).

    python benchmarks/bench_enhance.py [--sizes 720p 1080p] [--models zero-dce++] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SIZES, markdown_table, write_results  # noqa: E402

SECONDS, FPS = 4, 30


def make_clip(path: Path, width: int, height: int) -> None:
    import av

    from streamer.sources.demo import DemoSource

    demo = DemoSource(duration_s=SECONDS, width=width, height=height)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"crf": "16", "preset": "veryfast"}
        for i in range(SECONDS * FPS):
            vf = av.VideoFrame.from_ndarray(demo.render(i), format="rgb24").reformat(format="yuv420p")
            vf.pts = i
            for p in s.encode(vf):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def hyperfine(commands: dict[str, str], runs: int, json_path: Path) -> dict[str, dict[str, float]]:
    args = ["hyperfine", "--warmup", "1", "--runs", str(runs), "--export-json", str(json_path), "--style", "basic"]
    for name, cmd in commands.items():
        args += ["--command-name", name, cmd]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    data = json.loads(json_path.read_text())
    return {r["command"]: {"median_s": r["median"], "stddev_s": r["stddev"] or 0.0, "min_s": r["min"], "max_s": r["max"]}
            for r in data["results"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["720p", "1080p"], choices=list(SIZES))
    ap.add_argument("--models", nargs="+", default=["zero-dce++"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--name", default="bench_enhance")
    args = ap.parse_args()
    for tool in ("ffmpeg", "hyperfine"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed: apt-get install {tool}")
    streamer = shutil.which("streamer") or f"{sys.executable} -m streamer"
    results, rows = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes:
            w, h = SIZES[size]
            clip = work / f"dark_{size}.mp4"
            make_clip(clip, w, h)
            frames = SECONDS * FPS
            commands = {"ffmpeg": f"ffmpeg -v error -y -i {clip} -an -c:v libx264 -preset veryfast -crf 18 {work}/ff.mp4"}
            for m in args.models:
                commands[f"streamer {m}"] = (
                    f"{streamer} -q enhance {clip} -o {work}/st.mp4 --model {m} --crf 18 --preset veryfast"
                )
            timing = hyperfine(commands, args.runs, work / "hf.json")
            base = timing["ffmpeg"]["median_s"]
            results[size] = {}
            for name, t in timing.items():
                t |= {"fps": frames / t["median_s"], "ratio_to_ffmpeg": t["median_s"] / base}
                results[size][name] = t
                median = f"{t['median_s']:.2f} ± {t['stddev_s']:.2f}"
                rows.append([size, name, median, f"{t['fps']:.1f}", f"{t['ratio_to_ffmpeg']:.2f}"])
    table = markdown_table(["size", "command", "median s", "fps", "x ffmpeg"], rows)
    print(table)
    write_results(args.name, {"clip_seconds": SECONDS, "fps": FPS, "runs": args.runs, "x264": "veryfast crf 18",
                              "models": args.models}, results, table)


if __name__ == "__main__":
    main()
