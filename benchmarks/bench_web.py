"""What the live page delivers in a real browser: frames per second shown and display latency.

Starts ``streamer serve --stamp-frames`` (the demo source by default), opens it in Debian's
chromium (headless, Playwright) with ``--viewers`` tabs, and in the first tab watches the
"after" pane on every animation frame: each new picture carries its capture time (wall clock,
ms) in a corner code (``web/stamp.py``), so display latency = the time the browser has the
decoded picture - the time the frame was captured. Same machine, same clock.

    python benchmarks/bench_web.py [--seconds 20] [--viewers 1 5] [--source demo]

Writes ``benchmarks/results/bench_web.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table, write_results  # noqa: E402
from web.stamp import DECODE_JS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

WATCH_JS = """(decode) => {
  const decodeStamp = eval(decode);
  window.__shown = [];
  let last = null;
  const tick = () => {
    const img = document.querySelector('#after img');
    if (img && img.src !== last && img.complete && img.naturalWidth) {
      last = img.src;
      const stamp = decodeStamp(img);
      if (stamp !== null) window.__shown.push([performance.timeOrigin + performance.now(), stamp]);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(source: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamer", "-q", "serve", "--source", source, "--port", str(port),
                             "--stamp-frames"], cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/streamer/status", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamer serve did not start")


def measure(browser, url: str, viewers: int, seconds: float) -> dict:
    pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(viewers)]
    for page in pages:
        page.goto(url)
    main = pages[0]
    main.wait_for_selector("#after img", timeout=60_000)
    time.sleep(3.0)  # warm-up: model loaded, queues settled
    main.evaluate(WATCH_JS, DECODE_JS)
    with urllib.request.urlopen(url + "streamer/status", timeout=10) as r:
        s0 = json.load(r)["channels"][0]
    time.sleep(seconds)
    shown = main.evaluate("window.__shown")
    with urllib.request.urlopen(url + "streamer/status", timeout=10) as r:
        s1 = json.load(r)["channels"][0]
    for page in pages:
        page.close()
    t = np.array([s[0] for s in shown])
    latency = (t - np.array([s[1] for s in shown])) % 2**32  # the stamp is wall-clock ms modulo 2**32
    span = (t[-1] - t[0]) / 1000 if len(t) > 1 else 0.0
    gaps = np.diff(t) if len(t) > 1 else np.array([0.0])
    return {
        "viewers": viewers,
        "frames_shown": len(shown),
        "page_fps": (len(shown) - 1) / span if span > 0 else 0.0,
        "display_latency_ms_p50": float(np.percentile(latency, 50)),
        "display_latency_ms_p95": float(np.percentile(latency, 95)),
        "frame_gap_ms_p95": float(np.percentile(gaps, 95)),
        "model_fps": (s1["frames"] - s0["frames"]) / seconds,
        "model_runs_per_s": (s1["model_runs"] - s0["model_runs"]) / seconds,
        "dropped_per_s": (s1["dropped"] - s0["dropped"]) / seconds,
        "server_added_latency_ms": s1["latency_ms"],
        "backend": s1["backend"],
        "load_average_1min": os.getloadavg()[0],
        "model": s1["model"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--viewers", type=int, nargs="+", default=[1, 5])
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(args.source, port)
    url = f"http://127.0.0.1:{port}/"
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for viewers in args.viewers:
                results.append(measure(browser, url, viewers, args.seconds))
                time.sleep(4.0)  # let the pipeline be released between runs
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    rows = [[r["viewers"], f"{r['page_fps']:.1f}", f"{r['display_latency_ms_p50']:.0f}", f"{r['display_latency_ms_p95']:.0f}",
             f"{r['model_fps']:.1f}", f"{r['model_runs_per_s']:.1f}", f"{r['dropped_per_s']:.1f}", r["backend"],
             f"{r['load_average_1min']:.1f}"]
            for r in results]
    table = markdown_table(["viewers", "page fps (tab 1)", "display latency p50 ms", "p95 ms", "pipeline fps",
                            "model runs/s", "dropped/s", "backend", "load avg"], rows)
    print(table)
    write_results("bench_web", {"source": args.source, "seconds": args.seconds, "viewers": args.viewers,
                                "delivery": "generator yielding JPEG into gr.Image", "browser": "chromium headless"},
                  results, table)


if __name__ == "__main__":
    main()
