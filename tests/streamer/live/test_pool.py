"""The server's one model pool: each model loaded once, whoever asks; a switchable backend on it."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from models import backends, catalog
from streamer.live.broadcaster import Broadcaster
from streamer.live.channel import ChannelOptions
from streamer.live.pool import LONGEST_BURST, ModelPool, SwitchableBackend
from streamer.live.webcam import WebcamService
from tests.conftest import dark_frames


@pytest.fixture
def pool():
    p = ModelPool()
    yield p
    p.close()


def test_the_live_view_and_the_webcam_load_each_model_once(pool, caplog):
    caplog.set_level(logging.INFO, logger="streamer.live")
    broadcaster = Broadcaster(ChannelOptions(linger_s=0.5, lease_s=5.0), pool)
    webcams = WebcamService(pool)
    try:
        sub = broadcaster.subscribe("demo")
        deadline = time.monotonic() + 30
        while sub.next_frame(timeout=1.0) is None:
            assert time.monotonic() < deadline, "the live view sent no frame"
        out = webcams.session("tab").enhance(dark_frames(1, 160, 96)[0], "zero-dce++", 1.0, 1.0)
        assert out is not None and out.shape == (96, 160, 3)
    finally:
        broadcaster.close()
        webcams.close()
    assert caplog.text.count("loaded zero-dce++ on") == 1, caplog.text


def test_a_model_with_a_shorter_burst_gets_the_newest_frames(pool):
    frames = np.stack(dark_frames(LONGEST_BURST, 64, 48))
    assert catalog.get("zero-dce++").burst < LONGEST_BURST
    alone = backends.open_backend("auto", catalog.get("zero-dce++"))
    try:
        expected = alone.enhance(frames[-1:])
    finally:
        alone.close()
    assert np.array_equal(pool.enhance("zero-dce++", frames), expected)


def test_switching_the_model_of_a_switchable_backend(pool):
    backend = SwitchableBackend("zero-dce++", pool)
    # Half the demo street's level: at 64x48 its lamps make it bright enough for the models to leave it as it is.
    frames = np.stack([f // 2 for f in dark_frames(LONGEST_BURST, 64, 48)])
    first = backend.enhance(frames)
    backend.switch("zero-dce")
    assert backend.model == "zero-dce" and backend.runs == 1
    second = backend.enhance(frames)
    assert backend.runs == 2
    # (about a level apart on average: most of both models' tone is the exposure gain of step 5 since it
    # took 0.8 of the output, and the two networks ask for similar brightness)
    assert np.abs(first.astype(int) - second).mean() > 0.5, "the switch did not change the model"
    assert np.array_equal(second, pool.enhance("zero-dce", frames))
