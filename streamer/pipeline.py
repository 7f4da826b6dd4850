"""Reader thread -> burst buffer + model -> writer thread, joined by bounded queues.

The latency policy is a parameter (``PipelineConfig.live``), decided by the caller:

- file mode: queues block when full (back-pressure); every frame is written, in order.
- live mode: small queues that drop the oldest frame when the model or the sink falls behind;
  the number dropped is reported.

Ctrl-C (``KeyboardInterrupt`` in the calling thread) stops reading, writes what was already
enhanced, and closes the sink so the output is playable; the result says it was interrupted.
An error in any stage also closes the sink with what was done before it is re-raised.

``PipelineConfig.duration_s`` is the one deadline of a job (``--duration``): the reader checks
each frame's time against it, and a :class:`~streamer.sources.Stoppable` source still waiting
for a frame when it passes (a stream waiting out an outage) is stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.backends import Pipelined
from streamer.buffer import BurstBuffer
from streamer.errors import ConfigError
from streamer.frame import Frame
from streamer.queues import CLOSED, BoundedQueue
from streamer.sources import Source, Stoppable

if TYPE_CHECKING:
    from models.backends import Backend
    from streamer.sinks import Sink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineConfig:
    """``live`` picks the latency policy; ``duration_s`` stops after that many seconds of
    capture clock (live) or of stream time (files)."""

    live: bool
    queue_size: int = 0
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if self.queue_size < 0:
            raise ConfigError("queue size must be positive (or 0 for the mode's default)")
        if self.duration_s is not None and self.duration_s <= 0:
            raise ConfigError(f"--duration must be positive, not {self.duration_s}")

    @property
    def effective_queue_size(self) -> int:
        # Live: one frame waiting per stage keeps added latency near one frame time.
        return self.queue_size or (1 if self.live else 8)


@dataclass
class RunStats:
    frames_read: int = 0
    frames_written: int = 0
    dropped: int = 0
    interrupted: bool = False
    elapsed_s: float = 0.0
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=100_000))

    @property
    def fps(self) -> float:
        return self.frames_written / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def latency_percentile(self, q: float) -> float | None:
        """Added latency (capture -> written) percentile in ms, or ``None`` with no frame."""
        return float(np.percentile(np.asarray(self.latencies_ms), q)) if self.latencies_ms else None


class Pipeline:
    """Run ``source`` through ``backend`` into ``sink`` once (see the module docstring).

    ``on_frame(stats)`` is called from the writer thread after each written frame.
    """

    def __init__(self, source: Source, backend: Backend, sink: Sink, config: PipelineConfig,
                 on_frame: Callable[[RunStats], None] | None = None) -> None:
        self.source = source
        self.backend = backend
        self.sink = sink
        self.config = config
        self.on_frame = on_frame
        size = config.effective_queue_size
        self._in: BoundedQueue = BoundedQueue(size, drop_oldest=config.live)
        self._out: BoundedQueue = BoundedQueue(size, drop_oldest=config.live)
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self.stats = RunStats()
        # The deadline on the monotonic clock, once the first frame is in; only where stream time is
        # the capture clock (live mode, or a live source, which stamps its frames with it).
        self._deadline_ns: int | None = None
        self._capture_clock = config.live or source.info.live

    # -- stages ---------------------------------------------------------------------------
    def _read(self) -> None:
        limit = self.config.duration_s
        first: Frame | None = None
        try:
            while not self._stop.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                if limit is not None:
                    if first is None:
                        first = frame
                        if self._capture_clock:
                            self._deadline_ns = frame.captured_ns + int(limit * 1e9)
                    elapsed = ((frame.captured_ns - first.captured_ns) / 1e9 if self.config.live
                               else frame.pts_s - first.pts_s)
                    if elapsed >= limit:
                        break
                self.stats.frames_read += 1
                if not self._in.put(frame):
                    break
        except BaseException as e:  # handed to the caller's thread and re-raised there
            self._errors.append(e)
        finally:
            self._in.close()

    def _write(self) -> None:
        try:
            while True:
                item = self._out.get()
                if item is CLOSED:
                    return
                frame, rgb = item
                self.sink.write(frame, rgb)
                self.stats.frames_written += 1
                self.stats.latencies_ms.append((time.monotonic_ns() - frame.captured_ns) / 1e6)
                if self.on_frame is not None:
                    self.on_frame(self.stats)
        except BaseException as e:
            self._errors.append(e)
            self._stop.set()
            self._out.close()

    def _compute(self) -> None:
        buffer = BurstBuffer(self.backend.burst)
        # A backend with submit/fetch (TensorRT) uploads frame N+1 while frame N runs. Files only:
        # live, waiting for the next capture before handing a frame on would add a frame of latency.
        overlapping = self.backend if not self.config.live and isinstance(self.backend, Pipelined) else None
        waiting: deque[Frame] = deque()
        while not self._stop.is_set():
            item = self._in.get(timeout=0.1)
            if item is None:
                self._check_deadline()
                continue
            if item is CLOSED:
                break
            frame: Frame = item
            buffer.push(frame.rgb)
            if overlapping is None:
                if not self._out.put((frame, self.backend.enhance(buffer.burst()))):
                    return
                continue
            overlapping.submit(buffer.burst())  # copies the burst: the buffer may move on
            waiting.append(frame)
            if len(waiting) == 2 and not self._out.put((waiting.popleft(), overlapping.fetch())):
                return
        if overlapping is not None:
            for frame, enhanced in zip(waiting, overlapping.drain(), strict=True):
                if not self._out.put((frame, enhanced)):
                    return

    def _check_deadline(self) -> None:
        """The duration is over and no frame came to say so: wake a source waiting for one."""
        deadline = self._deadline_ns
        if deadline is not None and time.monotonic_ns() >= deadline and isinstance(self.source, Stoppable):
            self._deadline_ns = None
            log.debug("the duration is over while the source waits for a frame: stopping it")
            self.source.stop()

    # -- driver ---------------------------------------------------------------------------
    def run(self) -> RunStats:
        """Process the whole stream (or until interrupted); returns the statistics."""
        t0 = time.perf_counter()
        reader = threading.Thread(target=self._read, name="streamer-reader", daemon=True)
        writer = threading.Thread(target=self._write, name="streamer-writer", daemon=True)
        reader.start()
        writer.start()
        try:
            self._compute()
        except KeyboardInterrupt:
            self.stats.interrupted = True
            log.warning("interrupted: finishing the output with the frames done so far")
        except BaseException as e:
            self._errors.append(e)
        finally:
            self._stop.set()
            self._in.close()
            self._out.close()
            writer.join()
            reader.join(timeout=0.5)
            if reader.is_alive() and isinstance(self.source, Stoppable):
                self.source.stop()  # e.g. a reconnecting stream waiting out an outage
            reader.join(timeout=5.0)
            self.stats.dropped = self._in.dropped + self._out.dropped
            self.stats.elapsed_s = time.perf_counter() - t0
            complete = not self.stats.interrupted and not self._errors
            try:
                self.sink.close(complete=complete)
            finally:
                if self._errors:
                    raise self._errors[0]
        return self.stats
