"""What every benchmark records: machine, versions, git sha; and how results are written."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}


def git_sha() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(*packages: str) -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine() -> dict[str, object]:
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(), "gpu": gpu}


def write_results(name: str, settings: dict, results: object, table: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_sha": git_sha(),
        "machine": machine(),
        "versions": versions("streamer", "numpy", "av", "onnxruntime", "torch", "opencv-python-headless", "scikit-image"),
        "settings": settings,
        "results": results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(table + "\n")
    return path


def time_calls(fn, arg, repeats: int) -> dict[str, float]:
    """Time ``repeats`` calls of ``fn(arg)`` (warm it up first): median and quartiles in ms, and fps.

    ``fn`` must return once its work is done (backends return host arrays, so device work is inside).
    """
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    q = statistics.quantiles(times, n=4)
    return {"median_ms": med * 1e3, "q1_ms": q[0] * 1e3, "q3_ms": q[2] * 1e3, "fps": 1 / med}


def label(img, text: str, origin: tuple[int, int] = (12, 30), scale: float = 0.8, thickness: int = 2):
    """A copy of ``img`` ((H, W, 3) uint8 RGB) with ``text`` in white, outlined in black, at ``origin``."""
    import cv2

    out = img.copy()
    # The outline is the same text moved 1 px each way: a thicker stroke would not do, OpenCV widens
    # each letter's advance by the thickness, so a thick black copy runs past the white one.
    x, y = origin
    for dx, dy in ((-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)):
        cv2.putText(out, text, (x + dx, y + dy), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA)
    cv2.putText(out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return out


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
