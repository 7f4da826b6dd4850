"""How soon a live recording resumes after its camera comes back, with and without TCP probes.

A loopback RTSP camera (Debian's gst-rtsp-server, ``tests/streamer/rtsp_server.py``, looping the
night street at 320x240, 30 fps) is recorded by the real command, ``streamer enhance URL -o
FILE.mp4`` (Zero-DCE++, live mode). 4 s into the recording the camera is killed (SIGKILL: its port
closes, as in a power cut), and started again ``--outages`` seconds later. Two policies are run in
alternating rounds: ``backoff`` (``--reconnect-probe-interval 0``: full reopens at 0.5, 1, 2, 4,
8, 10 s ... as before) and ``probe`` (the default: the port probed every 0.25 s, a full reopen as
soon as it answers).

Measured per run, from the recording and the job's log:
- ``gap``: the largest step between consecutive frame timestamps of the recording (capture clock):
  from the last frame before the kill to the first frame after the camera is back;
- ``after_up``: ``gap`` minus the time from the kill to the restarted camera listening again (seen
  by this script in ``/proc/net/tcp``): how long video took to resume once the camera answered;
- the full reopens (``attempts``) and probes the job made during the outage (its "is back" line).

    nice -n 5 python benchmarks/bench_reconnect.py [--outages 3 25] [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, write_results  # noqa: E402

POLICIES = {"backoff": "0", "probe": "0.25"}
BEFORE_S = 4.0  # recording before the camera is killed
AFTER_S = 15.0  # recording asked for after the camera is back (the duration covers a late resume)


def one_run(server, clip: Path, outage_s: float, probe_interval: str, work: Path) -> dict:
    from tests.conftest import decode

    out = work / f"rec_{time.monotonic_ns()}.mp4"
    partial = out.with_name(f"{out.stem}.partial{out.suffix}")
    server.start(clip)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamer", "enhance", server.url("user:secret"), "-o", str(out), "--duration",
         str(BEFORE_S + outage_s + AFTER_S), "--reconnect-probe-interval", probe_interval],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not partial.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the recording did not start: {proc.communicate()[1]}")
        time.sleep(0.05)
    time.sleep(BEFORE_S)
    killed = time.monotonic()
    server.kill()
    time.sleep(max(0.0, outage_s - (time.monotonic() - killed)))
    server.start(clip)
    up_s = time.monotonic() - killed  # the camera listens again
    _, log = proc.communicate(timeout=BEFORE_S + outage_s + AFTER_S + 120)
    server.kill()
    if proc.returncode != 0:
        raise RuntimeError(f"the recording failed: {log}")
    _, times = decode(out)
    out.unlink()
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    gap = max(steps)
    back = re.search(r"is back after [\d.]+ s \((\d+) attempts?(?:, (\d+) probes?)?\)", log)
    return {"outage_s": round(up_s, 2), "gap_s": round(gap, 2), "after_up_s": round(gap - up_s, 2),
            "attempts": int(back.group(1)) if back else None, "probes": int(back.group(2) or 0) if back else None,
            "frames": len(times)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--outages", type=float, nargs="+", default=[3.0, 25.0], help="seconds the camera is down")
    p.add_argument("--runs", type=int, default=3, help="runs per policy and outage")
    a = p.parse_args()

    from tests.conftest import dark_frames, free_port
    from tests.streamer.rtsp_server import RtspServer, unavailable, write_annexb

    reason = unavailable()
    if reason:
        sys.exit(f"bench_reconnect: {reason}")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = write_annexb(work / "night_320x240.h264", dark_frames(60, 320, 240))
        with RtspServer(free_port()) as server:
            for outage in a.outages:
                for i in range(a.runs):
                    for policy, interval in POLICIES.items():  # alternating: both see the same machine load
                        r = {"policy": policy, "asked_outage_s": outage, "run": i,
                             **one_run(server, clip, outage, interval, work)}
                        print(r, flush=True)
                        runs.append(r)

    rows, summary = [], []
    for outage in a.outages:
        for policy in POLICIES:
            rs = [r for r in runs if r["policy"] == policy and r["asked_outage_s"] == outage]
            after = [r["after_up_s"] for r in rs]
            gaps = [r["gap_s"] for r in rs]
            attempts = [r["attempts"] for r in rs if r["attempts"] is not None]
            probes = [r["probes"] for r in rs if r["probes"] is not None]
            s = {"policy": policy, "outage_s": outage, "runs": len(rs),
                 "gap_median_s": statistics.median(gaps), "gap_range_s": [min(gaps), max(gaps)],
                 "after_up_median_s": statistics.median(after), "after_up_range_s": [min(after), max(after)],
                 "attempts_range": [min(attempts), max(attempts)] if attempts else None,
                 "probes_range": [min(probes), max(probes)] if probes else None}
            summary.append(s)
            rows.append([f"{outage:g} s", policy, len(rs), f"{s['gap_median_s']:.2f} ({min(gaps):.2f}-{max(gaps):.2f})",
                         f"{s['after_up_median_s']:.2f} ({min(after):.2f}-{max(after):.2f})",
                         "-".join(str(v) for v in sorted({min(attempts), max(attempts)})) if attempts else "?",
                         "-".join(str(v) for v in sorted({min(probes), max(probes)})) if probes else "?"])
    table = markdown_table(["camera down", "policy", "runs", "gap in the recording, s: median (range)",
                            "resumed after the camera answered, s", "full reopens", "probes"], rows)
    settings = {"outages_s": a.outages, "runs": a.runs, "policies": POLICIES, "before_s": BEFORE_S,
                "camera": "loopback gst-rtsp-server, 320x240 at 30 fps, killed with SIGKILL",
                "command": "streamer enhance rtsp://... -o FILE.mp4 --duration D --reconnect-probe-interval I"}
    write_results("bench_reconnect", settings, {"summary": summary, "runs": runs}, table)
    print(table)


if __name__ == "__main__":
    main()
