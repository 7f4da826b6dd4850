"""streamer's errors: the one hierarchy defined in :mod:`models.errors`, re-exported."""

from __future__ import annotations

from models.errors import (
    BackendError,
    ConfigError,
    ModelError,
    SinkError,
    SourceError,
    StreamerError,
)

__all__ = [
    "BackendError",
    "ConfigError",
    "ModelError",
    "SinkError",
    "SourceError",
    "StreamerError",
]
