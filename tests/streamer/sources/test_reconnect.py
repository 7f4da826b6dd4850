"""The reconnect policy (backoff between full reopens, TCP probes between them), and the reconnecting
source against a real loopback stream that ends."""

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
from streamer.sources.reconnect import ReconnectingSource, Retry, tcp_probe
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


class Clock:
    """A fake monotonic clock that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run_outage(retry: Retry, clock: Clock, reopen_works_from_s: float, until_s: float = 60.0) -> float | None:
    """Follow ``retry`` as a source does: wait, ask, reopen; a full reopen works from ``reopen_works_from_s``
    (seconds into the outage). Returns when the stream was back (s into the outage), or ``None`` by ``until_s``."""
    start = clock.now
    while clock.now - start < until_s:
        clock.now += retry.wait_s()
        if not retry.ready():
            continue
        if clock.now - start >= reopen_works_from_s:
            return clock.now - start
        retry.failed()
    return None


def test_a_camera_that_is_down_is_probed_not_reopened_and_picked_up_as_soon_as_it_answers() -> None:
    clock = Clock()
    policy = ReconnectPolicy(probe_interval_s=0.25, jitter=0.2)
    retry = Retry(policy, probe=lambda: clock.now - 100.0 >= 25.0, rng=random.Random(0), clock=clock)  # up after 25 s
    back = run_outage(retry, clock, reopen_works_from_s=25.0)
    assert back is not None and 25.0 <= back <= 25.0 + 0.25 * 1.2  # within one probe interval of answering
    assert retry.attempts == 1  # no full reopen while the port was closed
    assert 25.0 / (0.25 * 1.2) <= retry.probes <= 25.0 / (0.25 * 0.8) + 2


def test_a_camera_that_answers_but_does_not_serve_yet_is_reopened_with_backoff() -> None:
    clock = Clock()
    policy = ReconnectPolicy(probe_interval_s=0.25, jitter=0.0, max_delay_s=4.0)
    retry = Retry(policy, probe=lambda: True, rng=random.Random(0), clock=clock)
    back = run_outage(retry, clock, reopen_works_from_s=9.0)
    # Full reopens at 0.5, 1.5, 3.5, 7.5 and 11.5 s (backoff 0.5, 1, 2, 4, 4): probes do not add reopens.
    assert back == pytest.approx(11.5)
    assert retry.attempts == 5


def test_without_a_probe_every_step_is_a_full_reopen_spaced_by_the_backoff() -> None:
    clock = Clock()
    retry = Retry(ReconnectPolicy(jitter=0.0, max_delay_s=4.0), probe=None, clock=clock)
    back = run_outage(retry, clock, reopen_works_from_s=3.0)
    assert back == pytest.approx(3.5)  # 0.5, 1.5, 3.5: the old behaviour, where the address cannot be probed
    assert (retry.attempts, retry.probes) == (3, 0)
    no_probes = Retry(ReconnectPolicy(jitter=0.0, probe_interval_s=0), probe=lambda: True, clock=clock)
    assert no_probes.wait_s() == pytest.approx(0.5) and no_probes.probes == 0


def test_tcp_probe_tells_a_listening_port_from_a_closed_one() -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert tcp_probe("127.0.0.1", server.getsockname()[1], 1.0)()
    assert not tcp_probe("127.0.0.1", free_port(), 1.0)()


@pytest.mark.parametrize("kwargs", [{"initial_delay_s": 0}, {"max_delay_s": 0.1}, {"factor": 0.5}, {"jitter": 1.0},
                                    {"probe_interval_s": -1}, {"probe_timeout_s": 0}])
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
    # The port stays closed: probed again and again, never reopened in full.
    assert outage.attempts == 0 and outage.probes >= 3
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
