"""Which H.264 encoder to use, and its settings: NVENC when it really opens, else libx264.

FFmpeg builds often list ``h264_nvenc`` on machines without an NVIDIA GPU; it only fails when
opened. So a codec counts as usable only after a tiny context of it has been opened once (the
answer is cached per process).
"""

from __future__ import annotations

import functools
import logging
from fractions import Fraction

import av

log = logging.getLogger(__name__)

SOFTWARE_ENCODER = "libx264"
GPU_ENCODERS = ("h264_nvenc",)


@functools.cache
def opens(name: str, mode: str) -> str | None:
    """``None`` when codec ``name`` opens here in ``mode`` (``"w"`` encode, ``"r"`` decode), else why not."""
    try:
        ctx = av.codec.CodecContext.create(name, mode)
        if mode == "w":
            ctx.width, ctx.height, ctx.pix_fmt = 256, 256, "yuv420p"
            ctx.time_base = Fraction(1, 30)
        ctx.open()
    except (av.FFmpegError, OSError, ValueError) as e:  # unknown codec, no device, no driver
        return f"{name} does not open here ({type(e).__name__}: {e})"
    return None


def pick_encoder(prefer_gpu: bool, candidates: tuple[str, ...] = GPU_ENCODERS) -> str:
    """The H.264 encoder to write with: the first GPU encoder that opens when ``prefer_gpu``, else libx264."""
    if prefer_gpu:
        for name in candidates:
            reason = opens(name, "w")
            if reason is None:
                return name
            log.info("%s: falling back to %s", reason, SOFTWARE_ENCODER)
    return SOFTWARE_ENCODER


# x264's in-loop deblocking, three steps stronger than its default (alpha:beta offsets). Brightened
# night footage is dark flat areas at a high gain, where re-encoding leaves its own block edges: on the
# real 1080p street clip at CRF 18, blockiness (benchmarks/video_metrics.py) 1.316 at 0:0, 1.256 at
# 2:2 and 1.243 at 3:3 against 1.240 for the camera's own file, the file 1 % smaller. Through the whole
# job (benchmarks/eval_real.py, zero-dce++ on the already-exposed foggy 1080p clip, 48 frames) 1.289 at
# 2:2 and 1.280 at 3:3 against the input's 1.282: at 2:2 the re-encode still added block edges.
X264_DEBLOCK = "3:3"


def encoder_options(encoder: str, crf: int, preset: str) -> dict[str, str]:
    """x264's ``crf``/``preset`` (and a stronger in-loop deblocking, :data:`X264_DEBLOCK`) for libx264;
    NVENC's nearest equivalents (constant quality ``cq``, preset p4)."""
    if encoder == SOFTWARE_ENCODER:
        return {"crf": str(crf), "preset": preset, "deblock": X264_DEBLOCK}
    return {"rc": "vbr", "cq": str(crf), "preset": "p4"}


def live_options(encoder: str, fps: float) -> dict[str, str]:
    """Encoder settings for a stream watched as it is made (published to an RTSP server or a pipe).

    Zero latency: no B-frames and no lookahead, so each frame leaves the encoder as soon as it is
    encoded (x264's ``tune=zerolatency``; NVENC's low-latency tuning). A keyframe every second
    (GOP = the frame rate): a receiver can only start decoding at a keyframe, so an NVR that
    connects, a go2rtc viewer that joins or a server that comes back waits at most a second for a
    picture, and NVRs that cut recordings into segments at keyframes (Frigate asks cameras for an
    I-frame interval equal to the frame rate) get one there every second. The price is bitrate:
    an IDR every 30 frames costs more than x264's default of one every 250.
    """
    gop = str(max(1, round(fps)) if fps > 0 else 30)
    if encoder == SOFTWARE_ENCODER:
        return {"tune": "zerolatency", "g": gop}
    return {"tune": "ll", "zerolatency": "1", "bf": "0", "g": gop}
