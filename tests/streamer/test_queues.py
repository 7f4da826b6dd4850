"""Bounded queues: back-pressure in file mode, drop-oldest in live mode."""

from __future__ import annotations

import threading
import time

from streamer.queues import CLOSED, BoundedQueue


def test_drop_oldest_keeps_the_newest_and_counts() -> None:
    q = BoundedQueue(2, drop_oldest=True)
    for i in range(5):
        assert q.put(i)
    assert q.dropped == 3
    assert [q.get(0), q.get(0)] == [3, 4]


def test_blocking_queue_applies_back_pressure_and_loses_nothing() -> None:
    q = BoundedQueue(2, drop_oldest=False)
    got: list[int] = []

    def consume() -> None:
        while (item := q.get(1.0)) is not CLOSED:
            if item is not None:
                time.sleep(0.005)
                got.append(item)

    t = threading.Thread(target=consume)
    t.start()
    for i in range(50):
        assert q.put(i)
        assert len(q) <= 2
    q.close()
    t.join()
    assert got == list(range(50))
    assert q.dropped == 0


def test_close_releases_a_blocked_producer_and_drains() -> None:
    q = BoundedQueue(1, drop_oldest=False)
    q.put("a")
    result: list[bool] = []
    t = threading.Thread(target=lambda: result.append(q.put("b")))
    t.start()
    time.sleep(0.2)
    q.close()
    t.join(2)
    assert result == [False]
    assert q.get(0) == "a"
    assert q.get(0) is CLOSED


def test_get_times_out_with_none() -> None:
    assert BoundedQueue(1, drop_oldest=False).get(0.01) is None
