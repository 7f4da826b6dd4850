"""Which H.264 encoder and decoder to use: NVENC / NVDEC (cuvid) when they really open, else software.

FFmpeg builds often list ``h264_nvenc`` and ``h264_cuvid`` on machines without an NVIDIA GPU; they
only fail when opened. So a codec counts as usable only after a tiny context of it has been
opened once (the answer is cached per process).
"""

from __future__ import annotations

import functools
import logging
from fractions import Fraction

import av

log = logging.getLogger(__name__)

SOFTWARE_ENCODER = "libx264"
GPU_ENCODERS = ("h264_nvenc",)
GPU_DECODERS = {"h264": "h264_cuvid", "hevc": "hevc_cuvid"}


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


def pick_decoder(codec: str, prefer_gpu: bool) -> str | None:
    """A hardware decoder for stream codec ``codec`` (``h264``, ``hevc``) that opens here, or ``None``
    for FFmpeg's default software decoder."""
    name = GPU_DECODERS.get(codec)
    if not prefer_gpu or name is None:
        return None
    reason = opens(name, "r")
    if reason is not None:
        log.info("%s: decoding in software", reason)
        return None
    return name


def encoder_options(encoder: str, crf: int, preset: str) -> dict[str, str]:
    """x264's ``crf``/``preset`` for libx264; NVENC's nearest equivalents (constant quality ``cq``, preset p4)."""
    if encoder == SOFTWARE_ENCODER:
        return {"crf": str(crf), "preset": preset}
    return {"rc": "vbr", "cq": str(crf), "preset": "p4"}
