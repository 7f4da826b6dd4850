"""The exception hierarchy of the streamer distribution.

It lives in ``models/`` because ``models/`` is the lowest layer: ``streamer/`` re-exports it
(``streamer.errors``) and adds nothing of its own, so there is one hierarchy for everything.
"""

from __future__ import annotations


class StreamerError(Exception):
    """Base of every error we raise on purpose; the CLI prints its message as one line."""

    exit_code = 1


class ConfigError(StreamerError):
    """A user-supplied setting is invalid (bad flag value, unknown model or backend name)."""

    exit_code = 2


class SourceError(StreamerError):
    """An input cannot be opened or read (missing file, corrupt data, dead URL, no camera)."""

    exit_code = 3


class SinkError(StreamerError):
    """An output cannot be written (unwritable path, encoder failure)."""

    exit_code = 4


class ModelError(StreamerError):
    """Model weights are missing, corrupt or of the wrong architecture."""

    exit_code = 5


class BackendError(StreamerError):
    """An inference backend is unavailable here or failed to run."""

    exit_code = 6
