"""Real browser and real server for the web tests: ``streamer serve`` in a subprocess, Debian's chromium.

Never ``playwright install``: Playwright drives the system's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, as_foreground_job, free_port

CHROMIUM = os.environ.get("STREAMER_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


def missing() -> str | None:
    """Why browser tests cannot run here, or ``None``."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "needs Debian's chromium (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs playwright (pip install playwright; never 'playwright install')"
    try:
        import gradio  # noqa: F401
    except ImportError:
        return "needs gradio (pip install -e '.[web]')"
    return None


class Server:
    """``python -m streamer serve ARGS --port P`` until ``stop``; its stderr is kept in ``log``."""

    def __init__(self, *args: str, port: int | None = None, start_timeout: float = 120.0,
                 env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "streamer", "serve", "--port", str(self.port), *args],
                                     cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})}, preexec_fn=as_foreground_job)
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + start_timeout
        while "serving the live view" not in self.log:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"streamer serve did not start: {self.log[-2000:]}")
            time.sleep(0.1)

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self._lines)

    def status(self) -> dict:
        import json

        with urllib.request.urlopen(self.url + "streamer/status", timeout=10) as r:
            return json.load(r)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)
