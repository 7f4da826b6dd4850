"""Outputs: an H.264 video file, an image, a folder of images, a stream published to an RTSP server,
or MPEG-TS on stdout, chosen by address.

``open_sink(address, info, options)`` looks the output address up in :data:`SINKS`, an ordered
table of (which addresses, which module opens them, whether it is published live): ``-``/``pipe:``
gives MPEG-TS on stdout, ``rtsp://`` a stream published to an RTSP server, a video suffix
:class:`~streamer.sinks.video_file.VideoFileSink`, an image suffix an image, an address without a
suffix a folder; other ``scheme://`` addresses are refused. A new output is one module with
``check_address`` and ``open_address`` functions (and, where an address has a form to check,
``check_form``) plus one entry there. :func:`sink_entry` is what the job's config asks, once,
before anything opens.

No output may destroy its input or be read back by it: :func:`check_output` asks the output's
module (``check_address(address, inputs)``, which for files goes to
:func:`streamer.sinks.files.check_not_input`) before a job reads its source or loads its model,
and :func:`open_sink` asks again with the files the opened source reads (``info.inputs``), so no
sink opened for a stream can skip it.

Every sink takes ``write(frame, rgb)`` (the source frame for its timestamp and index, and the
enhanced (H, W, 3) uint8 RGB picture) and ``close(complete)``; its ``address`` says where it
writes and may hold credentials, so it is shown only through
:func:`streamer.urls.mask_credentials`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from types import ModuleType
from typing import Protocol

import numpy as np

from models.imagefiles import IMAGE_SUFFIXES
from streamer.errors import ConfigError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sources.reconnect import ReconnectPolicy
from streamer.urls import mask_credentials

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".m4v"})
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


class Sink(Protocol):
    address: str

    def write(self, frame: Frame, rgb: np.ndarray) -> None: ...

    def close(self, complete: bool = True) -> None: ...


@dataclass(frozen=True)
class SinkOptions:
    """Encoder settings for video outputs (libx264, yuv420p), whether to copy audio, and for published
    streams how long to wait for the server and how to reconnect to it (the sources' policy)."""

    crf: int = 18
    preset: str = "veryfast"
    copy_audio: bool = True
    # libx264, or a GPU encoder picked by streamer.codecs.pick_encoder (h264_nvenc) when the model runs on CUDA.
    encoder: str = "libx264"
    # Live recordings encode each frame as it comes (x264 sliced threads: no frames held back);
    # files use frame threads, as the ffmpeg command line does (faster, better compression).
    low_latency: bool = False
    open_timeout_s: float = 10.0
    reconnect: ReconnectPolicy = ReconnectPolicy()

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise ConfigError(f"--crf must be between 0 and 51, not {self.crf}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(f"--preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")


def _suffix(address: str) -> str:
    return PurePath(address).suffix.lower()


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

# What -o takes, for the messages that refuse an address.
OUTPUTS_HELP = ("a video file (.mp4/.mkv/.mov), an image, a folder, rtsp://HOST:PORT/PATH (published to an RTSP "
                "server) or - (MPEG-TS on stdout)")


@dataclass(frozen=True)
class SinkEntry:
    """One kind of output: the addresses it takes, and the module that opens them (imported when
    chosen; its ``check_address(address, inputs)`` refuses an address that would destroy or re-read
    the input and says whether it overwrites something, its ``open_address(address, info, options)``
    returns the sink, its optional ``check_form(address)`` refuses a malformed address), or ``None``
    for an output that is recognised but not supported.

    ``live``: the output publishes a stream that is watched as it comes (an RTSP server, a pipe into
    go2rtc): the job runs live, and a file input is played at its own frame rate.
    """

    name: str
    matches: Callable[[str], bool]
    module: str | None
    live: bool = False


# The first entry whose ``matches`` takes the address opens it.
SINKS: tuple[SinkEntry, ...] = (
    SinkEntry("MPEG-TS on stdout", lambda a: a == "-" or a.startswith("pipe:"), "streamer.sinks.mpegts_stdout",
              live=True),
    SinkEntry("a stream published to an RTSP server", lambda a: a.lower().startswith("rtsp://"),
              "streamer.sinks.rtsp_publish", live=True),
    SinkEntry("a network stream of this kind", lambda a: bool(_SCHEME.match(a)), None),
    SinkEntry("H.264 video file", lambda a: _suffix(a) in VIDEO_SUFFIXES, "streamer.sinks.video_file"),
    SinkEntry("image file", lambda a: _suffix(a) in IMAGE_SUFFIXES, "streamer.sinks.image"),
    SinkEntry("folder of images", lambda a: not _suffix(a), "streamer.sinks.folder"),
)


def sink_entry(address: str) -> SinkEntry:
    """The :data:`SINKS` entry that writes ``address``, its form checked by the module's ``check_form``
    where it has one. Raises :class:`ConfigError` (one line, credentials masked) for an address that
    no sink takes or that is malformed."""
    for entry in SINKS:
        if entry.matches(address):
            break
    else:
        known = ", ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
        raise ConfigError(f"unknown output type {_suffix(address)!r}; use one of {known}, or a folder")
    if entry.module is None:
        raise ConfigError(f"output {mask_credentials(address)}: {entry.name} is not supported; use {OUTPUTS_HELP}")
    check = getattr(importlib.import_module(entry.module), "check_form", None)
    if check is not None:
        check(address)
    return entry


def _module(address: str) -> ModuleType:
    """The module of the :data:`SINKS` entry that takes ``address``."""
    return importlib.import_module(sink_entry(address).module)


def check_output(address: str, inputs: InputFiles) -> bool:
    """``SinkError`` when writing ``address`` would destroy the input (``inputs``: the files the job
    reads) or be read back by a re-run; ``ConfigError`` for an address no sink takes. Whether the
    output exists already and is overwritten."""
    return _module(address).check_address(address, inputs)


def open_sink(address: str, info: StreamInfo, options: SinkOptions = SinkOptions()) -> Sink:
    """Open the output at ``address`` for the stream ``info`` describes (see :data:`SINKS`), once
    :func:`check_output` has passed it against the files that stream is read from."""
    module = _module(address)
    module.check_address(address, info.inputs)
    return module.open_address(address, info, options)
