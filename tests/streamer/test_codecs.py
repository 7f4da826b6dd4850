"""Codec choice: GPU codecs only when they really open, software otherwise."""

from __future__ import annotations

import pytest

from streamer import codecs


def test_software_encoder_when_no_gpu_is_wanted() -> None:
    assert codecs.pick_encoder(prefer_gpu=False) == "libx264"


def test_gpu_encoder_falls_back_to_libx264_when_it_does_not_open() -> None:
    # A name FFmpeg does not know and, on a machine without NVIDIA, NVENC itself both fail to open.
    assert codecs.pick_encoder(prefer_gpu=True, candidates=("no_such_encoder",)) == "libx264"
    if codecs.opens("h264_nvenc", "w") is not None:
        assert codecs.pick_encoder(prefer_gpu=True) == "libx264"
    assert "no_such_encoder" in codecs.opens("no_such_encoder", "w")


def test_libx264_always_opens() -> None:
    assert codecs.opens("libx264", "w") is None


@pytest.mark.gpu
@pytest.mark.skipif(codecs.opens("h264_nvenc", "w") is not None, reason="NVENC does not open here (no NVIDIA GPU/driver)")
def test_nvenc_is_picked_where_it_opens() -> None:
    assert codecs.pick_encoder(prefer_gpu=True) == "h264_nvenc"
    assert codecs.encoder_options("h264_nvenc", 18, "veryfast")["cq"] == "18"


def test_libx264_writes_with_the_stronger_in_loop_deblocking(tmp_path) -> None:
    import av
    import numpy as np

    path = tmp_path / "x.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        s.options = codecs.encoder_options("libx264", 18, "veryfast")
        for p in s.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")):
            out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    # x264 writes its settings into the stream (an SEI message): deblock=1:<alpha>:<beta>.
    assert f"deblock=1:{codecs.X264_DEBLOCK}".encode() in path.read_bytes()
