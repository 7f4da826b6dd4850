"""Fixtures for the browser tests (marker ``browser``): skip with the reason when chromium,
playwright or gradio is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.web.browser import CHROMIUM, FLAGS, missing

# The browser's fake webcam plays the built-in night street, dark as a camera at night (luma about 18 of 255).
WEBCAM_SIZE, WEBCAM_FRAMES = (640, 480), 60


@pytest.fixture(scope="session")
def webcam_clip(tmp_path_factory) -> Path:
    """A Y4M clip of dark demo frames for chromium's fake capture device (it loops the file)."""
    from tests.conftest import dark_frames

    path = tmp_path_factory.mktemp("webcam") / "night.y4m"
    frames = np.stack(dark_frames(WEBCAM_FRAMES, *WEBCAM_SIZE))
    subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "{}x{}".format(*WEBCAM_SIZE),
                    "-r", "30", "-i", "-", "-pix_fmt", "yuv420p", "-y", str(path)], input=frames.tobytes(), check=True)
    return path


@pytest.fixture(scope="session")
def chromium(webcam_clip: Path):
    reason = missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[*FLAGS, f"--use-file-for-fake-video-capture={webcam_clip}"])
        yield browser
        browser.close()
