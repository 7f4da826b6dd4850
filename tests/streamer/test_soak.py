"""Bounded resources: a minute of live RTSP at 30 fps keeps memory and latency flat.

The measuring is ``benchmarks/soak_live.py``'s (its 10-minute run is in ``benchmarks/results/``);
this test runs it for 60 s against the loopback camera and compares the first and last thirds.
A leak (a queue or buffer that grows per frame) would show as RSS growth; a pipeline that falls
further and further behind, as latency growth.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.soak_live import drift, soak
from tests.conftest import dark_frames, decode, free_port
from tests.streamer.rtsp_server import RtspServer, unavailable, write_annexb

pytestmark = [pytest.mark.slow, pytest.mark.rtsp]

SECONDS = 60


def test_a_minute_of_live_rtsp_keeps_memory_and_latency_flat(tmp_path: Path) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    clip = write_annexb(tmp_path / "night.h264", dark_frames(90, 320, 240))
    out = tmp_path / "soak.mp4"
    with RtspServer(free_port()) as server:
        server.start(clip)
        rec = soak(server.url(), SECONDS, out)
    d = drift(rec)
    first, last = d["first_third"], d["last_third"]
    assert rec.outages == 0
    assert len(rec.frame_t) >= 10 * SECONDS  # it really streamed (30 fps in; live mode may drop when behind)
    assert len(rec.frame_t) + rec.dropped <= rec.frames_read  # every frame read was written or counted as dropped
    assert last["frames_written"] >= 0.5 * first["frames_written"]  # still streaming at the end
    assert d["rss_growth_mib"] <= 20, d  # no per-frame growth: 20 MiB is ~100 frames of 320x240 RGB
    # The machine is shared, so latency is noisy; a pipeline falling behind grows by seconds, not by this.
    assert last["latency_p50_ms"] <= 2 * first["latency_p50_ms"] + 30, d
    assert last["latency_p95_ms"] <= 2 * first["latency_p95_ms"] + 60, d
    frames, times = decode(out)
    assert len(frames) == len(rec.frame_t)
    assert SECONDS - 2 < times[-1] <= SECONDS
