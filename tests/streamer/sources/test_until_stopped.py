"""A source a shared stop signal ends, and whose waiting read ``stop()`` wakes."""

from __future__ import annotations

import threading
import time

from streamer.sources import ReconnectPolicy, SourceOptions, Stoppable, open_source
from streamer.sources.demo import DemoSource
from streamer.sources.until_stopped import UntilStopped
from tests.streamer.stream_server import running


def test_reads_end_once_the_event_is_set() -> None:
    event = threading.Event()
    source = UntilStopped(DemoSource(duration_s=1.0), event)
    assert source.read() is not None and source.read() is not None
    event.set()
    assert source.read() is None
    source.stop()  # the demo cannot be woken: nothing to do, and no error
    source.close()


def test_stop_wakes_a_stream_waiting_out_an_outage() -> None:
    with running(1.0) as port:
        inner = open_source(f"tcp://127.0.0.1:{port}",
                            SourceOptions(reconnect=ReconnectPolicy(initial_delay_s=5.0, max_delay_s=5.0)))
        source = UntilStopped(inner, threading.Event())
        assert isinstance(source, Stoppable)
        assert source.read() is not None
        stopper = threading.Timer(2.5, source.stop)
        stopper.start()
        t0 = time.monotonic()
        while source.read() is not None:
            pass
        assert time.monotonic() - t0 < 4.5, "stop() did not wake the 5 s reconnect wait"
        stopper.join()
        source.close()
