"""The reconnect policy, and the reconnecting source against a real loopback stream that ends."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from models import backends, catalog
from streamer.errors import ConfigError, SourceError
from streamer.frame import Frame
from streamer.pipeline import Pipeline, PipelineConfig
from streamer.sinks import Sink, SinkOptions, open_sink
from streamer.sources import ReconnectPolicy, SourceOptions, open_source
from streamer.sources.reconnect import ReconnectingSource
from tests.conftest import decode, free_port
from tests.streamer.stream_server import running


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = ReconnectPolicy(initial_delay_s=0.5, max_delay_s=4.0, factor=2.0, jitter=0.2)
    delays = policy.delays(random.Random(0))
    got = [next(delays) for _ in range(8)]
    nominal = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    for d, n in zip(got, nominal, strict=True):
        assert 0.8 * n <= d <= 1.2 * n
    assert len({round(d / n, 6) for d, n in zip(got, nominal, strict=True)}) > 1  # jittered, not lockstep
    exact = ReconnectPolicy(jitter=0.0, max_delay_s=3.0).delays()
    assert [next(exact) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("kwargs", [{"initial_delay_s": 0}, {"max_delay_s": 0.1}, {"factor": 0.5}, {"jitter": 1.0}])
def test_bad_policy_is_a_config_error(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        ReconnectPolicy(**kwargs)


@pytest.fixture
def ending_stream() -> str:
    """A real MPEG-TS stream on loopback that serves one client for 1.5 s and is then gone for good."""
    with running(1.5) as port:
        yield f"tcp://127.0.0.1:{port}"


def read_all(source) -> list:
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    return frames


class Indexed:
    """The real file sink, noting the index of each frame it is given."""

    def __init__(self, sink: Sink) -> None:
        self.sink, self.address, self.indices = sink, sink.address, []

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.indices.append(frame.index)
        self.sink.write(frame, rgb)

    def close(self, complete: bool = True) -> None:
        self.sink.close(complete)


def test_an_outage_that_outlasts_the_duration_ends_the_stream_on_time(ending_stream: str, tmp_path: Path) -> None:
    """The recording's duration is the pipeline's deadline: it stops the stream while it waits out the outage."""
    policy = ReconnectPolicy(initial_delay_s=0.2, max_delay_s=0.5)
    source = open_source(ending_stream, SourceOptions(reconnect=policy))
    assert isinstance(source, ReconnectingSource)
    out = tmp_path / "recording.mp4"
    sink = Indexed(open_sink(str(out), source.info, SinkOptions()))
    model = backends.open_backend("onnxruntime", catalog.get("zero-dce++"))
    t0 = time.monotonic()
    try:  # file mode: every frame the stream sent is written, so the indices show what the source delivered
        Pipeline(source, model, sink, PipelineConfig(live=False, duration_s=4.0)).run()
    finally:
        elapsed = time.monotonic() - t0
        source.close()
        model.close()
    frames = sink.indices
    assert 3.0 < elapsed < 6.0  # kept trying until the duration, then ended without a frame more
    assert len(frames) >= 20
    assert frames == list(range(len(frames)))
    assert len(decode(out)[0]) == len(frames)
    (outage,) = source.outages
    assert outage.attempts >= 3  # connection refused, again and again
    assert "ended" in outage.reason


def test_close_from_another_thread_ends_a_reconnect_wait(ending_stream: str) -> None:
    source = open_source(ending_stream, SourceOptions(reconnect=ReconnectPolicy(initial_delay_s=5.0, max_delay_s=5.0)))
    first = source.read()
    assert first is not None and first.pts_s == 0.0
    closer = threading.Timer(3.0, source.close)
    closer.start()
    t0 = time.monotonic()
    read_all(source)
    assert time.monotonic() - t0 < 4.5  # woke up at close(), not after the 5 s backoff
    closer.join()


def test_no_reconnect_ends_at_the_first_outage(ending_stream: str) -> None:
    source = open_source(ending_stream, SourceOptions(reconnect=ReconnectPolicy(enabled=False)))
    t0 = time.monotonic()
    frames = read_all(source)
    source.close()
    assert frames and time.monotonic() - t0 < 4.0
    assert source.outages == []


def test_a_source_that_never_opens_fails_at_once_unless_asked_to_wait() -> None:
    url = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(SourceError, match="cannot open stream"):
        open_source(url)
    assert time.monotonic() - t0 < 2.0
