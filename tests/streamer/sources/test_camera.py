"""Local cameras by index (this machine has none: the error must say so in one line)."""

from __future__ import annotations

import pytest

from streamer.errors import SourceError
from streamer.sources import open_source


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="camera 97 could not be opened"):
        open_source("97")
