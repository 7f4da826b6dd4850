"""The Webcam tab's service without a browser: newest frame only, its own stats, real models."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest

from streamer.live.pool import ModelPool
from streamer.live.webcam import WebcamService
from tests.conftest import dark_frames


@pytest.fixture
def service():
    pool = ModelPool()
    s = WebcamService(pool)
    yield s
    s.close()
    pool.close()


def test_a_webcam_frame_comes_back_enhanced_with_its_stats(service):
    session = service.session("tab-1")
    frames = dark_frames(3, 320, 240)
    outs = [session.enhance(f, "zero-dce++", 1.0, 1.0) for f in frames]
    assert all(o is not None and o.shape == (240, 320, 3) and o.dtype == np.uint8 for o in outs)
    assert outs[-1].mean() > 2 * frames[-1].mean(), "the webcam frame was not brightened"
    assert np.array_equal(session.enhance(frames[0], "zero-dce++", 0.0, 1.0), frames[0]), "strength 0 is the input"
    stats = session.stats()
    assert stats.frames == 4 and stats.dropped == 0 and stats.latency_ms is not None and stats.latency_ms > 0
    assert re.fullmatch(r"webcam: [\d.]+ fps · added latency \d+ ms · dropped 0 \(stale\) · zero-dce\+\+ on \w+/\w+",
                        stats.line()), stats.line()
    assert service.session("tab-1") is session and service.session("tab-2") is not session
    service.forget("tab-1")
    assert service.session("tab-1") is not session, "a closed tab's webcam state was kept"


def test_a_frame_that_arrives_while_the_model_is_busy_is_dropped_not_queued(service):
    session = service.session("tab-1")
    big = dark_frames(1, 1280, 720)[0]
    done: list[np.ndarray | None] = []
    worker = threading.Thread(target=lambda: done.append(session.enhance(big, "zero-dce", 1.0, 1.0)))
    worker.start()  # the first frame also loads the model: busy for a while
    deadline = time.monotonic() + 10
    while not session.busy and time.monotonic() < deadline:
        time.sleep(0.001)
    assert session.busy
    stale = [session.enhance(big, "zero-dce", 1.0, 1.0) for _ in range(3)]
    worker.join(60)
    assert stale == [None, None, None], "frames that arrived while the model was busy were processed"
    assert done and done[0] is not None, "the frame in the model was lost"
    assert session.stats().dropped == 3 and session.stats().frames == 1
    assert session.enhance(big, "zero-dce", 1.0, 1.0) is not None, "the next frame after the busy one must be taken"
    assert session.stats().model == "zero-dce"

