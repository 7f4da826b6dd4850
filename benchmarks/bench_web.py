"""What the live page delivers in a real browser: frames per second shown and display latency, per viewer.

Starts ``streamer serve --stamp-frames`` (the demo source by default) and opens it in Debian's
chromium (headless, Playwright), each viewer in its own browser context (its own window, so no
viewer is a background tab that chromium throttles), with the background-throttling switches off
as well. Every viewer watches its "after" pane: each new picture carries its capture time (wall
clock, ms) in a corner code (``web/stamp.py``), and the page records when the browser has the
picture decoded (``img.decode()``, triggered by a MutationObserver, which background throttling
does not delay). Display latency = that time - the capture time; same machine, same clock.

For each viewer count the table gives the median and the worst viewer: shown fps (worst = the
slowest viewer) and display latency p50/p95 (worst = the highest), next to the pipeline's own
fps and model runs per second from ``/streamer/status`` (one model run per frame, whatever the
viewer count) and the 1-minute load average (numbers taken under load are not the page's speed).

With ``--webcam`` it also measures the Webcam tab: chromium's fake camera plays a generated
clip whose frames carry their frame number in the same corner code; the page compares, at each
enhanced picture it shows, the number on that picture with the number the camera shows now.
The difference is the round trip (browser -> server -> model -> browser) in camera frames.

    python benchmarks/bench_web.py [--seconds 20] [--viewers 1 5] [--webcam] [--source demo] [--no-save]

Writes ``benchmarks/results/bench_web.{json,md}`` unless ``--no-save``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import markdown_table, write_results  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from web.stamp import DECODE_JS, stamp  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         # Every viewer is measured, so none may be slowed down as a hidden or background page.
         "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
         "--disable-renderer-backgrounding"]

WATCH_JS = """(decode) => {
  const decodeStamp = eval(decode);
  window.__shown = [];
  let last = null;
  const check = () => {
    const img = document.querySelector('#after img');
    if (!img || !img.src || img.src === last) return;
    const src = last = img.src;
    // Resolves when the picture is decoded and ready to paint; rejects when it was replaced first (never shown).
    img.decode().then(() => {
      if (img.src !== src) return;
      const stamp = decodeStamp(img);
      if (stamp !== null) window.__shown.push([performance.timeOrigin + performance.now(), stamp]);
    }, () => {});
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                      attributeFilter: ['src']});
  check();
}"""


# The fake camera: CAM_FRAMES frames at CAM_FPS (a 10 s loop), so lags up to 10 s are told apart.
CAM_FPS, CAM_FRAMES, CAM_SIZE = 20, 200, (640, 480)

CAM_WATCH_JS = """() => {
  window.__cam = [];
  const c = document.createElement('canvas'); c.width = 256; c.height = 8;
  const g = c.getContext('2d', {willReadFrequently: true});
  const read = (el, width) => {  // the corner code of a <video> or <img> of CAM_SIZE (scaled if shown smaller)
    const s = width / CAM_WIDTH;
    g.drawImage(el, 0, 0, 256 * s, 8 * s, 0, 0, 256, 8);
    const d = g.getImageData(0, 0, 256, 8).data;
    let v = 0;
    for (let i = 0; i < 32; i++) v = v * 2 + (d[(4 * 256 + i * 8 + 4) * 4] > 127 ? 1 : 0);
    return v;
  };
  let last = null;
  const check = () => {
    const video = document.querySelector('#cam video'), img = document.querySelector('#cam-out img');
    if (!video || !video.videoWidth || !img || !img.src || img.src === last) return;
    const src = last = img.src;
    img.decode().then(() => {
      if (img.src === src) window.__cam.push([performance.now(), read(video, video.videoWidth), read(img, img.naturalWidth)]);
    }, () => {});
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                      attributeFilter: ['src']});
}""".replace("CAM_WIDTH", str(CAM_SIZE[0]))


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


def status(url: str) -> dict:
    with urllib.request.urlopen(url + "streamer/status", timeout=10) as r:
        channels = json.load(r)["channels"]
    if not channels:
        raise SystemExit("no pipeline runs: did the pages load?")
    return channels[0]


def viewer_numbers(shown: list[list[float]]) -> dict:
    """fps and display latency of one viewer from its (decoded at ms, capture stamp ms) pairs."""
    if len(shown) < 2:
        return {"frames_shown": len(shown), "fps": 0.0, "latency_ms_p50": float("nan"), "latency_ms_p95": float("nan")}
    t = np.array([s[0] for s in shown])
    latency = (t - np.array([s[1] for s in shown])) % 2**32  # the stamp is wall-clock ms modulo 2**32
    return {
        "frames_shown": len(shown),
        "fps": (len(shown) - 1) / ((t[-1] - t[0]) / 1000),
        "latency_ms_p50": float(np.percentile(latency, 50)),
        "latency_ms_p95": float(np.percentile(latency, 95)),
        "frame_gap_ms_p95": float(np.percentile(np.diff(t), 95)),
    }


def measure(browser, url: str, viewers: int, seconds: float) -> dict:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(viewers)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:
            page.goto(url)
        for page in pages:
            page.wait_for_selector("#after img", timeout=120_000)
        time.sleep(3.0)  # warm-up: model loaded, queues settled
        for page in pages:
            page.evaluate(WATCH_JS, DECODE_JS)
        s0 = status(url)
        time.sleep(seconds)
        shown = [page.evaluate("window.__shown") for page in pages]
        s1 = status(url)
    finally:
        for c in contexts:
            c.close()
    per_viewer = [viewer_numbers(v) for v in shown]
    fps = [v["fps"] for v in per_viewer]
    p50 = [v["latency_ms_p50"] for v in per_viewer]
    p95 = [v["latency_ms_p95"] for v in per_viewer]
    return {
        "viewers": viewers,
        "fps_median": float(np.median(fps)),
        "fps_worst": float(np.min(fps)),
        "latency_ms_p50_median": float(np.median(p50)),
        "latency_ms_p50_worst": float(np.max(p50)),
        "latency_ms_p95_worst": float(np.max(p95)),
        "per_viewer": per_viewer,
        "pipeline_fps": (s1["frames"] - s0["frames"]) / seconds,
        "model_runs_per_s": (s1["model_runs"] - s0["model_runs"]) / seconds,
        "dropped_per_s": (s1["dropped"] - s0["dropped"]) / seconds,
        "server_added_latency_ms": s1["latency_ms"],
        "backend": s1["backend"],
        "model": s1["model"],
        "load_average_1min": os.getloadavg()[0],
    }


def fake_camera(path: Path) -> Path:
    """A Y4M clip for chromium's fake camera: a dark demo frame with the frame number in the corner code."""
    import cv2

    from streamer.sources.demo import DemoSource

    w, h = CAM_SIZE
    base = DemoSource(duration_s=1.0, width=w, height=h).render(0)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{CAM_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(CAM_FRAMES):
            f.write(b"FRAME\n" + cv2.cvtColor(stamp(base, i), cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def measure_webcam(playwright, url: str, seconds: float) -> dict:
    """Round trip of the Webcam tab: camera frame now - camera frame on the enhanced picture shown."""
    with tempfile.TemporaryDirectory(prefix="bench-web-cam-") as tmp:
        clip = fake_camera(Path(tmp) / "camera.y4m")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            *FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.get_by_role("tab", name="Webcam").click()
            page.get_by_text("Click to Access Webcam").click()
            page.locator("#cam button", has_text="Record").click()
            page.wait_for_selector("#cam-out img", timeout=120_000)
            time.sleep(3.0)  # warm-up
            page.evaluate(CAM_WATCH_JS)
            time.sleep(seconds)
            shown = page.evaluate("window.__cam")
            stats_line = page.locator("#cam-stats").inner_text().strip().splitlines()[-1]
            browser_dropped = page.evaluate("window.__streamer_dropped")
        finally:
            browser.close()
    if len(shown) < 2:
        raise SystemExit(f"the webcam tab showed {len(shown)} enhanced pictures in {seconds:g} s")
    t = np.array([s[0] for s in shown])
    lag_ms = (np.array([s[1] for s in shown]) - np.array([s[2] for s in shown])) % CAM_FRAMES * 1000 / CAM_FPS
    return {
        "frames_shown": len(shown),
        "fps": (len(shown) - 1) / ((t[-1] - t[0]) / 1000),
        "round_trip_ms_p50": float(np.percentile(lag_ms, 50)),
        "round_trip_ms_p95": float(np.percentile(lag_ms, 95)),
        "round_trip_ms_max": float(lag_ms.max()),
        "resolution_ms": 1000 / CAM_FPS,
        "uploads_dropped_in_browser": browser_dropped,
        "server_stats_line": stats_line,
        "load_average_1min": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--viewers", type=int, nargs="+", default=[1, 5])
    ap.add_argument("--webcam", action="store_true", help="also measure the Webcam tab with a stamped fake camera")
    ap.add_argument("--no-save", action="store_true", help="print the table only (a quick check, not results)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(args.source, port)
    url = f"http://127.0.0.1:{port}/"
    results = []
    webcam = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                for viewers in args.viewers:
                    results.append(measure(browser, url, viewers, args.seconds))
                    time.sleep(4.0)  # let the pipeline be released between runs
            finally:
                browser.close()
            if args.webcam:
                webcam = measure_webcam(p, url, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    rows = [[r["viewers"], f"{r['fps_median']:.1f}", f"{r['fps_worst']:.1f}", f"{r['latency_ms_p50_median']:.0f}",
             f"{r['latency_ms_p50_worst']:.0f}", f"{r['latency_ms_p95_worst']:.0f}", f"{r['pipeline_fps']:.1f}",
             f"{r['model_runs_per_s']:.1f}", f"{r['dropped_per_s']:.1f}", r["backend"], f"{r['load_average_1min']:.1f}"]
            for r in results]
    table = markdown_table(["viewers", "shown fps median", "worst viewer", "display latency p50 ms median",
                            "worst viewer", "p95 ms worst viewer", "pipeline fps", "model runs/s", "dropped/s", "backend",
                            "load avg"], rows)
    if webcam is not None:
        table += "\n\n" + markdown_table(
            ["webcam tab", "shown fps", "round trip p50 ms", "p95 ms", "max ms", "uploads dropped in browser", "load avg"],
            [["fake camera 640x480", f"{webcam['fps']:.1f}", f"{webcam['round_trip_ms_p50']:.0f}",
              f"{webcam['round_trip_ms_p95']:.0f}", f"{webcam['round_trip_ms_max']:.0f}",
              webcam["uploads_dropped_in_browser"], f"{webcam['load_average_1min']:.1f}"]])
        table += f"\n\nserver: {webcam['server_stats_line']}; round trip resolution {webcam['resolution_ms']:.0f} ms"
    print(table)
    if not args.no_save:
        write_results("bench_web", {"source": args.source, "seconds": args.seconds, "viewers": args.viewers,
                                    "delivery": "generator yielding JPEG into gr.Image",
                                    "browser": "chromium headless, one browser context per viewer",
                                    "webcam": args.webcam},
                      {"live": results, "webcam": webcam}, table)


if __name__ == "__main__":
    main()
