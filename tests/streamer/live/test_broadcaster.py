"""The service behind the Live tab without a browser: one channel per source, shared by its
viewers, released when nobody watches, a model switched live, a failing source retried.

Real parts only: the built-in ``demo`` scene (paced at 30 fps), a still image played live, the
shipped models on the default backend, and an RTSP address where nobody listens.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamer.live.broadcaster import Broadcaster
from streamer.live.channel import ChannelOptions
from streamer.live.pool import ModelPool
from tests.conftest import dark_frames, free_port

FAST = dict(linger_s=0.5, lease_s=1.0, retry_s=0.3, open_timeout_s=1.0, read_timeout_s=1.0)


@pytest.fixture
def make_broadcaster():
    made: list[Broadcaster] = []
    pool = ModelPool()

    def make(**options) -> Broadcaster:
        b = Broadcaster(ChannelOptions(**{**FAST, **options}), pool)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()
    pool.close()


@pytest.fixture
def still_image(tmp_path: Path) -> str:
    """A dark still picture: played live, every input frame is the same, so only the model changes the output."""
    path = tmp_path / "dark.png"
    cv2.imwrite(str(path), cv2.cvtColor(dark_frames(1, 320, 180)[0], cv2.COLOR_RGB2BGR))
    return str(path)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
    return value


def next_frame(sub, timeout: float = 30.0):
    """The subscription's next frame, waiting up to ``timeout`` (the first one loads the model)."""
    deadline = time.monotonic() + timeout
    while (frame := sub.next_frame(timeout=1.0)) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"no frame within {timeout:g} s: {sub.status()}")
    return frame


# -- one channel per source ---------------------------------------------------------------------


def test_viewers_of_one_source_share_one_channel_and_one_model_run_per_frame(make_broadcaster):
    b = make_broadcaster()
    subs = [b.subscribe("demo") for _ in range(3)]
    assert len({id(s.channel) for s in subs}) == 1, "three viewers of one source got different channels"
    assert len(b.status()) == 1 and b.status()[0].viewers == 3
    for sub in subs:
        next_frame(sub)
    start = b.status()[0]
    seen: list[list[int]] = [[] for _ in subs]
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for sub, seqs in zip(subs, seen, strict=True):
            if (frame := sub.next_frame(timeout=0.2)) is not None:
                seqs.append(frame.seq)
    end = b.status()[0]
    frames, runs = end.frames - start.frames, end.model_runs - start.model_runs
    assert frames >= 3, f"the demo barely ran: {end}"
    assert runs <= frames + 2, f"{runs} model runs for {frames} frames: the model ran per viewer"
    for seqs in seen:
        assert seqs and all(np.diff(seqs) > 0), "a viewer got frames out of order or twice"
    assert end.running and end.error is None and end.source == "demo"
    assert "fps · added latency" in end.line() and "3 watching" in end.line()


def test_channel_is_released_after_the_last_viewer_leaves_but_not_during_a_reload(make_broadcaster, caplog):
    caplog.set_level(logging.INFO, logger="streamer.live")
    b = make_broadcaster(linger_s=1.0)
    first, second = b.subscribe("demo"), b.subscribe("demo")
    channel = first.channel
    next_frame(first)
    first.close()
    time.sleep(0.3)
    assert b.channel("demo") is channel and channel.running, "one viewer left but the other still watches"
    second.close()
    reload = b.subscribe("demo")  # a page reload within linger_s keeps the pipeline
    assert reload.channel is channel
    reload.close()
    assert b.channel("demo") is channel, "released before linger_s"
    wait_until(lambda: b.channel("demo") is None, 5.0, "the channel to be released")
    channel.join(10.0)
    assert not channel.running, "the pipeline thread still runs with nobody watching"
    assert caplog.text.count("started the pipeline for demo") == 1
    assert "released the pipeline for demo (nobody watching)" in caplog.text
    again = b.subscribe("demo")
    assert again.channel is not channel and next_frame(again).seq >= 1, "a new viewer after release gets a new pipeline"


def test_a_viewer_that_stops_asking_is_dropped_after_its_lease(make_broadcaster):
    b = make_broadcaster(lease_s=0.8, linger_s=0.0)
    sub = b.subscribe("demo")
    channel = sub.channel
    next_frame(sub)
    assert b.status()[0].viewers == 1
    # The tab vanished without closing its subscription: nothing pulls frames any more.
    wait_until(lambda: b.channel("demo") is None, 5.0, "the silent viewer to be dropped and the channel released")
    assert sub.closed
    channel.join(10.0)
    assert not channel.running


# -- live model switch --------------------------------------------------------------------------


def test_switching_the_model_keeps_the_stream_and_changes_the_picture(make_broadcaster, still_image):
    b = make_broadcaster(model="zero-dce++")
    sub = b.subscribe(still_image)
    channel = sub.channel
    old = next_frame(sub)
    old = next_frame(sub)  # a frame of the running stream, not the first one
    assert old.model == "zero-dce++"
    assert old.after.mean() > 2 * old.before.mean(), "the model did not brighten the dark picture"
    channel.switch_model("zero-dce")
    assert channel.status().model == "zero-dce"
    new = wait_until(lambda: (f := next_frame(sub)).model == "zero-dce" and f, 10.0, "a frame made by zero-dce")
    assert new.seq > old.seq, "the frame sequence restarted"
    assert np.array_equal(new.before, old.before), "the still input changed"
    # (about a level apart on average on this still: most of both models' tone is step 5's exposure gain, and
    # the two networks ask for similar brightness; one model's frames of this still repeat exactly)
    assert np.abs(new.after.astype(int) - old.after).mean() > 0.5, "switching the model did not change the picture"
    later = next_frame(sub)
    assert later.seq > new.seq and later.model == "zero-dce"
    status = channel.status()
    assert status.restarts == 0 and status.running and b.channel(still_image) is channel, "the stream was restarted"


# -- a failing source ---------------------------------------------------------------------------


def test_a_failing_source_shows_a_masked_error_and_keeps_retrying(make_broadcaster, caplog):
    caplog.set_level(logging.INFO, logger="streamer.live")
    url = f"rtsp://user:secret@127.0.0.1:{free_port()}/x"  # nobody listens there
    b = make_broadcaster(open_timeout_s=0.5, retry_s=0.2)
    sub = b.subscribe(url)
    status = wait_until(lambda: (s := sub.status()).restarts >= 2 and s, 15.0, "two failed attempts")
    assert status.error and "retrying" in status.error
    assert "user:***@127.0.0.1" in status.error and "secret" not in status.error
    assert status.source == f"rtsp://user:***@127.0.0.1:{url.rsplit(':', 1)[1]}" and "secret" not in status.line()
    assert sub.next_frame(timeout=0.2) is None
    assert status.running, "the channel gave up instead of retrying"
    wait_until(lambda: sub.status().restarts > status.restarts, 10.0, "another attempt")
    assert "secret" not in caplog.text and "user:***@" in caplog.text
