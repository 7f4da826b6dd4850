"""Capture: ``open_source(spec)`` for files, image folders, URLs, camera indices and ``demo``.

Every source yields :class:`streamer.frame.Frame` objects (RGB uint8) from ``read()`` and
returns ``None`` at the end of the stream; failures raise :class:`streamer.errors.SourceError`
with one line that says what and what to do.

The kind of a spec is decided once (:func:`source_kind`, usually by the job's config) and picks
the source's module from :data:`SOURCES`: a new source is one module with an ``open_spec``
function plus one entry there; a source read from the file system (:attr:`SourceKind.on_disk`)
also has ``input_files``, the files it reads (:func:`input_files`), which no output may overwrite.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from streamer.errors import SourceError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sources.kind import SourceKind, source_kind
from streamer.sources.reconnect import ReconnectPolicy
from streamer.urls import mask_credentials

__all__ = ["SOURCES", "ReconnectPolicy", "Source", "SourceKind", "SourceOptions", "Stoppable", "input_files",
           "open_source", "source_kind"]


class Source(Protocol):
    info: StreamInfo

    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the stream."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Stoppable(Protocol):
    """A source whose ``read`` may wait a long time (a stream waiting out an outage): ``stop()``,
    called from another thread, makes that ``read`` return ``None`` soon."""

    def stop(self) -> None: ...


@dataclass(frozen=True)
class SourceOptions:
    """Capture settings: network timeouts in seconds, the demo's length and pacing, and how network
    streams reconnect after an outage."""

    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    demo_duration_s: float = 10.0
    demo_realtime: bool = False
    reconnect: ReconnectPolicy = ReconnectPolicy()


# kind -> module with ``open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> Source``,
# imported only when a source of that kind is opened.
SOURCES: dict[SourceKind, str] = {
    SourceKind.DEMO: "streamer.sources.demo",
    SourceKind.CAMERA: "streamer.sources.camera",
    SourceKind.URL: "streamer.sources.network",
    SourceKind.IMAGES: "streamer.sources.images",
    SourceKind.IMAGE: "streamer.sources.images",
    SourceKind.VIDEO: "streamer.sources.video_file",
}


def open_source(spec: str, options: SourceOptions = SourceOptions(), kind: SourceKind | None = None) -> Source:
    """Open the source ``spec`` names; ``kind`` is the caller's decision (:func:`source_kind` when not given)."""
    kind = source_kind(spec) if kind is None else kind
    if kind.on_disk and not Path(spec).exists():
        raise SourceError(f"input not found: {mask_credentials(spec)} (check the path, or use 'demo' for the built-in scene)")
    return importlib.import_module(SOURCES[kind]).open_spec(spec, kind, options)


def input_files(spec: str, kind: SourceKind) -> InputFiles:
    """The files the source ``spec`` names reads, without opening it (none for a camera, a stream
    or the demo); the source's ``info.inputs`` says the same once it is open."""
    if not kind.on_disk:
        return InputFiles()
    return importlib.import_module(SOURCES[kind]).input_files(spec, kind)
