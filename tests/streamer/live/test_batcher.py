"""The batcher on its own: inputs that are ready together go through one call, each caller gets its
own slice back, sizes never mix, and nobody waits for a caller that has nothing to bring."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from streamer.live.batcher import Batcher, BatchStats


class Step:
    """A stand-in for a model's heavy step: adds 1, records the batch sizes it was called with."""

    def __init__(self, seconds: float = 0.0, fail_on: tuple[int, ...] | None = None) -> None:
        self.sizes: list[int] = []
        self.seconds = seconds
        self.fail_on = fail_on

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.sizes.append(x.shape[0])
        if self.fail_on is not None and x.shape[1:] == self.fail_on:
            raise RuntimeError("this size fails")
        time.sleep(self.seconds)
        return x + 1.0


def run_together(batcher: Batcher, inputs: list[np.ndarray]) -> list[np.ndarray | BaseException]:
    """Each input from its own thread (its own client), released together."""
    clients = [batcher.client() for _ in inputs]
    barrier = threading.Barrier(len(inputs))
    out: list[np.ndarray | BaseException | None] = [None] * len(inputs)

    def one(i: int) -> None:
        barrier.wait()
        try:
            out[i] = clients[i](inputs[i])
        except BaseException as e:
            out[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out  # type: ignore[return-value]


def test_inputs_ready_together_go_through_one_call_and_each_gets_its_own_slice() -> None:
    step = Step()
    batcher = Batcher(step, window_s=1.0)  # generous: every one of the 4 must be in the one call
    inputs = [np.full((1, 3, 4, 5), i, np.float32) for i in range(4)]
    out = run_together(batcher, inputs)
    assert step.sizes == [4]
    for i, o in enumerate(out):
        assert isinstance(o, np.ndarray) and o.shape == (1, 3, 4, 5) and np.all(o == i + 1)
    assert batcher.stats() == BatchStats(calls=1, inputs=4, largest=4)


def test_cameras_of_different_sizes_are_run_in_one_call_per_size() -> None:
    step = Step()
    batcher = Batcher(step, window_s=1.0)
    inputs = [np.zeros((1, 3, 4, 5), np.float32), np.zeros((1, 3, 8, 9), np.float32), np.ones((1, 3, 4, 5), np.float32)]
    out = run_together(batcher, inputs)
    assert sorted(step.sizes) == [1, 2]
    assert [o.shape for o in out] == [x.shape for x in inputs]
    assert np.all(out[2] == 2.0)


def test_a_failing_call_fails_only_the_inputs_it_held() -> None:
    step = Step(fail_on=(3, 8, 9))
    batcher = Batcher(step, window_s=1.0)
    out = run_together(batcher, [np.zeros((1, 3, 4, 5), np.float32), np.zeros((1, 3, 8, 9), np.float32)])
    assert isinstance(out[0], np.ndarray) and isinstance(out[1], RuntimeError)
    again = batcher.client()(np.zeros((1, 3, 4, 5), np.float32))  # the batcher goes on
    assert np.all(again == 1.0)


def test_one_camera_is_run_at_once_without_waiting_for_the_window() -> None:
    step = Step()
    batcher = Batcher(step, window_s=2.0)
    client = batcher.client()
    x = np.zeros((1, 3, 4, 5), np.float32)
    t0 = time.monotonic()
    for _ in range(5):
        client(x)
    assert time.monotonic() - t0 < 1.0, "a lone camera waited for a batch"
    assert step.sizes == [1] * 5


def test_a_camera_that_brings_nothing_holds_the_others_up_by_the_window_at_most_and_then_not_at_all() -> None:
    step = Step()
    batcher = Batcher(step, window_s=0.2, active_s=0.5)
    dead, live = batcher.client(), batcher.client()
    x = np.zeros((1, 3, 4, 5), np.float32)
    dead(x)  # it ran once, then its camera went down
    t0 = time.monotonic()
    live(x)
    waited = time.monotonic() - t0
    assert 0.15 <= waited < 1.0, f"waited {waited:.3f} s for a camera that was running a moment ago"
    time.sleep(0.6)  # longer than active_s: the dead camera no longer counts
    t0 = time.monotonic()
    for _ in range(5):
        live(x)
    assert time.monotonic() - t0 < 0.5, "the live camera kept waiting for the dead one"
    dead.close()


def test_while_a_call_runs_the_next_inputs_gather_into_one_batch() -> None:
    step = Step(seconds=0.3)
    batcher = Batcher(step, window_s=0.0)
    clients = [batcher.client() for _ in range(4)]
    x = np.zeros((1, 2), np.float32)
    first = threading.Thread(target=clients[0], args=(x,))
    first.start()
    time.sleep(0.1)  # the first call runs now; three more arrive meanwhile
    rest = [threading.Thread(target=c, args=(x,)) for c in clients[1:]]
    for t in rest:
        t.start()
    for t in [first, *rest]:
        t.join(5)
    assert step.sizes == [1, 3]


@pytest.mark.parametrize("n", [2, 8])
def test_results_are_never_mixed_up_under_many_rounds(n: int) -> None:
    batcher = Batcher(Step(), window_s=0.002)
    clients = [batcher.client() for _ in range(n)]
    wrong: list[int] = []

    def camera(i: int) -> None:
        for k in range(50):
            x = np.full((1, 3), i * 1000 + k, np.float32)
            if not np.all(clients[i](x) == x + 1):
                wrong.append(i)

    threads = [threading.Thread(target=camera, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stats = batcher.stats()
    assert not wrong and stats.inputs == 50 * n and stats.calls <= stats.inputs


def test_cameras_out_of_step_never_wait_for_each_other() -> None:
    step = Step()
    batcher = Batcher(step, window_s=0.01)
    period = 0.06
    waits: list[list[float]] = [[], []]

    def camera(i: int) -> None:
        client = batcher.client()
        start = time.monotonic() + i * period / 2  # half a frame apart, as independent cameras are
        for k in range(15):
            time.sleep(max(0.0, start + k * period - time.monotonic()))
            t0 = time.monotonic()
            client(np.zeros((1, 2), np.float32))
            waits[i].append(time.monotonic() - t0)

    threads = [threading.Thread(target=camera, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    settled = waits[0][3:] + waits[1][3:]  # once each camera's period is known
    assert np.median(settled) < 0.005, f"out-of-step cameras waited {np.median(settled) * 1e3:.1f} ms for each other"
    assert max(step.sizes) == 1
