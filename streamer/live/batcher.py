"""One model call for the frames of several cameras that are ready together.

Each camera runs its own pipeline in its own threads; the stateless heavy step of the shared model
(Zero-DCE++: the curve estimator on a thumbnail, :class:`models.backends.Shareable`) is handed to a
:class:`Batcher`. There is no batcher thread: the first camera thread that brings an input leads the
next call. It waits until every camera that is running has brought one, or ``window_s`` after its
own arrived, whichever comes first (and while the previous call still runs, which is when batches
grow by themselves), then runs the step once per input size on the stacked inputs and hands each
camera its slice. With one camera running, the call is made at once, in that camera's thread.

Only cameras whose next frame is due within the window are waited for: each client learns its
camera's frame period from the times its inputs arrive. Cameras that are not in step (independent
cameras usually are not) never wait for each other; cameras in step share calls. A camera that is
down (reconnecting, or dead) brings nothing: once its frame is two periods late (or, before its
period is known, ``active_s`` after its last input) nobody waits for it, and before that at most the
window. A failing call fails the inputs it held (each camera sees the error), never the batcher.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(eq=False)
class _Request:
    x: np.ndarray
    client: BatchClient
    result: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass(eq=False)
class BatchClient:
    """One camera's way into a :class:`Batcher`: call it with (1, ...) float32, get (1, ...) back.
    ``last_ns``: when its last input arrived (or it was made); ``period_ns``: its camera's frame
    period, learnt from the arrivals (``None`` until two arrived)."""

    batcher: Batcher
    last_ns: int = field(default_factory=time.monotonic_ns)
    period_ns: float | None = None
    arrivals: int = 0
    closed: bool = False

    def arrive(self, now_ns: int) -> None:
        if self.arrivals:
            gap = now_ns - self.last_ns
            self.period_ns = gap if self.period_ns is None else 0.8 * self.period_ns + 0.2 * gap
        self.arrivals += 1
        self.last_ns = now_ns

    def due(self, now_ns: int, deadline_ns: int, active_ns: int) -> bool:
        """Worth waiting for until ``deadline_ns``: its next input should come by then, and it is not
        long overdue (a camera that is down)."""
        if self.period_ns is None:
            return now_ns - self.last_ns <= active_ns
        expected = self.last_ns + self.period_ns
        return now_ns - 2 * self.period_ns <= self.last_ns and expected <= deadline_ns

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.batcher.submit(self, x)

    def close(self) -> None:
        self.batcher.forget(self)


@dataclass(frozen=True)
class BatchStats:
    """Model calls made, inputs run by them, and the largest batch."""

    calls: int
    inputs: int
    largest: int


class Batcher:
    """Runs ``run`` ((N, ...) -> (N, ...), one model call) on the inputs of several clients at once."""

    def __init__(self, run: Callable[[np.ndarray], np.ndarray], window_s: float = 0.003, active_s: float = 1.0) -> None:
        self._run = run
        self.window_s = window_s
        self._active_ns = int(active_s * 1e9)
        self._cond = threading.Condition()
        self._clients: list[BatchClient] = []
        self._open: list[_Request] = []  # waiting for the next call
        self._leading = False  # a thread gathers the open requests
        self._busy = False  # a call runs now
        self.calls = 0
        self.inputs = 0
        self.largest = 0

    def client(self) -> BatchClient:
        c = BatchClient(self)
        with self._cond:
            self._clients.append(c)
        return c

    def forget(self, client: BatchClient) -> None:
        with self._cond:
            client.closed = True
            self._clients = [c for c in self._clients if c is not client]
            self._cond.notify_all()

    def stats(self) -> BatchStats:
        with self._cond:
            return BatchStats(self.calls, self.inputs, self.largest)

    def _awaited(self, deadline_ns: int) -> bool:
        """Some client without an input in the open batch is due by ``deadline_ns``."""
        now = time.monotonic_ns()
        present = {id(r.client) for r in self._open}
        return any(id(c) not in present and c.due(now, deadline_ns, self._active_ns) for c in self._clients)

    def submit(self, client: BatchClient, x: np.ndarray) -> np.ndarray:
        """``run`` on ``x`` (1, ...), possibly stacked with other clients' inputs; blocks until done."""
        req = _Request(x, client)
        with self._cond:
            client.arrive(time.monotonic_ns())
            self._open.append(req)
            lead = not self._leading
            self._leading = True
            self._cond.notify_all()  # a leader may be waiting for this one
            if not lead:
                self._cond.wait_for(lambda: req.done)
                return self._result(req)
            deadline = time.monotonic() + self.window_s
            deadline_ns = time.monotonic_ns() + int(self.window_s * 1e9)
            while True:
                now = time.monotonic()
                if not self._busy and (now >= deadline or not self._awaited(deadline_ns)):
                    break
                self._cond.wait(None if self._busy else deadline - now)
            batch, self._open = self._open, []
            self._leading = False
            self._busy = True
        try:
            self._execute(batch)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        return self._result(req)

    def _execute(self, batch: list[_Request]) -> None:
        """One call per input shape (cameras of different sizes cannot share a tensor)."""
        groups: dict[tuple[int, ...], list[_Request]] = {}
        for req in batch:
            groups.setdefault(req.x.shape[1:], []).append(req)
        for reqs in groups.values():
            try:
                x = reqs[0].x if len(reqs) == 1 else np.concatenate([r.x for r in reqs])
                out = self._run(x)
                results = [out[i : i + 1] for i in range(len(reqs))]
                error = None
            except BaseException as e:  # handed to every camera of this call
                results, error = [None] * len(reqs), e
            with self._cond:
                self.calls += 1
                self.inputs += len(reqs)
                self.largest = max(self.largest, len(reqs))
                for req, result in zip(reqs, results, strict=True):
                    req.result, req.error, req.done = result, error, True
                self._cond.notify_all()

    @staticmethod
    def _result(req: _Request) -> np.ndarray:
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result
