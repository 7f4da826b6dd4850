"""What every sink that writes to the file system checks before it starts."""

from __future__ import annotations

import os
from pathlib import Path

from streamer.errors import SinkError
from streamer.urls import mask_credentials


def check_writable(path: Path) -> None:
    """``SinkError`` unless ``path`` can be created or overwritten."""
    parent = path.parent if path.parent != Path("") else Path(".")
    shown = mask_credentials(str(path))
    if not parent.is_dir():
        raise SinkError(f"cannot write {shown}: folder {mask_credentials(str(parent))} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SinkError(f"cannot write {shown}: permission denied (choose another output path)")
