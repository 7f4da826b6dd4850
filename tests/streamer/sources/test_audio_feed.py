"""A live camera's audio on the capture clock: stamped by arrival without its jitter, re-anchored after a
stall, muxed beside the video from the video's own origin (:mod:`streamer.sources.audio_feed`,
:class:`streamer.sinks.stream_copy.LiveAudioCopy`). The camera is faked by the AAC track of a clip
written in the test; the end-to-end runs against a real RTSP camera are in tests/streamer/test_rtsp_audio.py."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from streamer.frame import Frame
from streamer.sinks.stream_copy import LiveAudioCopy
from streamer.sources.audio_feed import AudioFeed
from tests.conftest import dark_frames, write_clip

MS = 1_000_000  # ns
PACKET_S = 1024 / 48000


@pytest.fixture(scope="module")
def aac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("feed") / "a.mp4", dark_frames(30, 64, 64)).path


def packets(path: Path) -> tuple[av.container.InputContainer, list[av.Packet]]:
    c = av.open(str(path))
    return c, [p for p in c.demux(c.streams.audio[0]) if p.pts is not None and p.size]


def frame(captured_ns: int, pts_s: float) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), 0, pts_s, captured_ns, round(pts_s * 1e6))


def test_a_start_up_burst_and_a_stall_are_stamped_on_arrival_without_jitter(aac: Path) -> None:
    c, ps = packets(aac)
    with c:
        feed = AudioFeed("cam")
        assert feed.connect(c.streams.audio[0]) and feed.codec == "aac"
        t0 = 10_000 * MS
        feed.put(ps[0], t0)  # no sink yet: nothing is kept
        assert feed.take_until(2**62) == []
        feed.start()
        for p in ps[:10]:  # what FFmpeg buffered while probing: all at once
            feed.put(p, t0)
        for i, p in enumerate(ps[10:20], 1):  # then in real time, up to 15 ms late
            feed.put(p, t0 + round(i * PACKET_S * 1e9) + (i % 3) * 5 * MS)
        feed.put(ps[20], t0 + 2000 * MS)  # after a 1.8 s stall
        got = feed.take_until(2**62)
    starts = [p.start_ns for p in got]
    # After the burst: the last burst packet's arrival plus stream time, whatever the jitter.
    steady = [round((s - t0) / 1e3) for s in starts[9:20]]
    assert steady == [round(i * PACKET_S * 1e6) for i in range(11)]
    assert starts[20] == t0 + 2000 * MS  # the stall is a gap


def test_the_audio_is_muxed_from_the_video_origin_and_the_collapsed_burst_is_dropped(aac: Path) -> None:
    c, ps = packets(aac)
    buf = io.BytesIO()
    out = av.open(buf, "w", format="matroska")
    with c:
        feed = AudioFeed("cam")
        feed.connect(c.streams.audio[0])
        copy = LiveAudioCopy(feed, out)
        t0 = 50_000 * MS
        for p in ps[:8]:
            feed.put(p, t0)
        for i, p in enumerate(ps[8:30], 1):
            feed.put(p, t0 + round(i * PACKET_S * 1e9))
    copy.mux_until(1.0)  # no frame yet: the audio waits
    assert copy.packets == 0
    copy.follow(frame(t0 + 100 * MS, 2.0))  # this frame is 2.0 s on the output's clock: origin = t0 - 1.9 s
    copy.mux_until(2.3)
    out.close()
    with av.open(io.BytesIO(buf.getvalue())) as got:
        stream = got.streams.audio[0]
        assert stream.codec_context.name == "aac"
        times = [float(p.pts * p.time_base) for p in got.demux(stream) if p.pts is not None]
    assert len(times) == copy.packets
    # The last packet of the burst starts at t0, 1.9 s on the output's clock: the one that starts
    # at or after the first frame comes first; nothing from before it, nothing of the burst.
    assert times[0] == pytest.approx(1.9 + 5 * PACKET_S, abs=0.001)
    assert all(b - a == pytest.approx(PACKET_S, abs=0.0011) for a, b in zip(times, times[1:], strict=False))
    assert 2.3 - PACKET_S <= times[-1] < 2.3


def test_a_camera_back_with_other_audio_is_not_carried_any_more(aac: Path, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    other = tmp_path / "other.mov"  # G.711, as many IP cameras send
    with av.open(str(other), "w") as o:
        s = o.add_stream("pcm_alaw", rate=8000)
        s.layout = "mono"
        af = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        af.sample_rate, af.pts = 8000, 0
        for p in s.encode(af):
            o.mux(p)
    c1, _ = packets(aac)
    c2, ps2 = packets(other)
    with c1, c2:
        feed = AudioFeed("cam")
        feed.start()
        assert feed.connect(c1.streams.audio[0])
        assert not feed.connect(c2.streams.audio[0])
        feed.put(ps2[0], 0)
        assert feed.take_until(2**62) == []
        assert not feed.connect(c1.streams.audio[0])  # for the rest of the job
    assert "came back with other audio (pcm_alaw, 8000 Hz; was aac)" in caplog.text
