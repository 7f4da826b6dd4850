"""The pipeline's latency policy: file mode loses nothing, live mode drops the oldest."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from models import backends, catalog
from streamer.pipeline import Pipeline, PipelineConfig
from streamer.sinks import SinkOptions, open_sink
from streamer.sources.demo import DemoSource
from tests.conftest import decode


class ListSink:
    """Collects what the pipeline writes (a real sink is tested end to end elsewhere)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.address = "memory"
        self.frames: list[tuple[int, float]] = []
        self.closed_complete: bool | None = None
        self.delay_s = delay_s

    def write(self, frame, rgb) -> None:
        time.sleep(self.delay_s)
        self.frames.append((frame.index, frame.pts_s))

    def close(self, complete: bool = True) -> None:
        self.closed_complete = complete


class SlowBackend:
    """A stand-in model that takes ``delay_s`` per frame, to make the pipeline fall behind."""

    name, device, burst = "slow", "cpu", 1

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        time.sleep(self.delay_s)
        return frames[-1]

    def close(self) -> None:
        pass


def test_file_mode_writes_every_frame_in_order_even_with_a_slow_sink() -> None:
    sink = ListSink(delay_s=0.01)
    stats = Pipeline(DemoSource(duration_s=1.0), SlowBackend(0.0), sink, PipelineConfig(live=False)).run()
    assert [i for i, _ in sink.frames] == list(range(30))
    assert stats.dropped == 0 and stats.frames_written == 30
    assert sink.closed_complete is True


def test_live_mode_drops_the_oldest_when_the_model_is_slow() -> None:
    sink = ListSink()
    source = DemoSource(duration_s=2.0, realtime=True)  # 30 fps
    stats = Pipeline(source, SlowBackend(0.1), sink, PipelineConfig(live=True)).run()  # 10 fps model
    assert stats.dropped > 20
    assert stats.frames_written + stats.dropped == stats.frames_read
    indices = [i for i, _ in sink.frames]
    assert indices == sorted(indices)
    assert indices[-1] >= 55  # it kept up with the newest frames, not a backlog
    assert stats.latency_percentile(95) < 400


def test_duration_stops_a_file_by_stream_time() -> None:
    sink = ListSink()
    stats = Pipeline(DemoSource(duration_s=5.0), SlowBackend(0.0), sink, PipelineConfig(live=False, duration_s=1.0)).run()
    assert stats.frames_written == 30


def test_source_error_mid_stream_keeps_what_was_done(tmp_path: Path) -> None:
    from streamer.errors import SourceError

    class Failing(DemoSource):
        def read(self):
            if self._index == 12:
                raise SourceError("camera unplugged")
            return super().read()

    out = tmp_path / "partial.mp4"
    source = Failing(duration_s=2.0)
    sink = open_sink(str(out), source.info, SinkOptions())
    backend = backends.open_backend("onnxruntime", catalog.get("zero-dce++"))
    with pytest.raises(SourceError, match="unplugged"):
        Pipeline(source, backend, sink, PipelineConfig(live=False)).run()
    frames, _ = decode(out)
    assert len(frames) == 12


class SubmitFetchBackend(SlowBackend):
    """A stand-in for a device backend with an upload/compute overlap (submit/fetch, like TensorRT's):
    results come back in order, one frame late; it marks each result with the frame's own pixels."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.queue: list[np.ndarray] = []
        self.most_waiting = 0

    def submit(self, frames: np.ndarray) -> None:
        self.queue.append(frames[-1].copy())
        self.most_waiting = max(self.most_waiting, len(self.queue))

    def fetch(self) -> np.ndarray:
        return self.queue.pop(0)

    def drain(self) -> list[np.ndarray]:
        out, self.queue = self.queue, []
        return out


def test_file_mode_pipelines_submit_fetch_backends_without_losing_or_mixing_frames() -> None:
    class PixelSink(ListSink):
        def write(self, frame, rgb) -> None:
            assert np.array_equal(rgb, frame.rgb)  # each frame gets its own result, not its neighbour's
            super().write(frame, rgb)

    backend, sink = SubmitFetchBackend(), PixelSink()
    stats = Pipeline(DemoSource(duration_s=0.5), backend, sink, PipelineConfig(live=False)).run()
    assert [i for i, _ in sink.frames] == list(range(15)) and stats.frames_written == 15
    assert backend.most_waiting == 2  # frame N+1 was submitted before frame N was fetched
