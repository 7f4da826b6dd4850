"""What every sink that writes to the file system checks before it starts.

:func:`check_not_input` is the one place that decides whether an output would destroy the input
or be read back by it: every file sink's ``check_address`` hands it the paths it would write, and
:func:`streamer.sinks.check_output` runs it before a job reads its source or loads its model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from streamer.errors import SinkError
from streamer.frame import InputFiles
from streamer.urls import mask_credentials


def check_writable(path: Path) -> None:
    """``SinkError`` unless ``path`` can be created or overwritten."""
    parent = path.parent if path.parent != Path("") else Path(".")
    shown = mask_credentials(str(path))
    if not parent.is_dir():
        raise SinkError(f"cannot write {shown}: folder {mask_credentials(str(parent))} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SinkError(f"cannot write {shown}: permission denied (choose another output path)")


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` names, after symlinks; ``None`` when there is none (yet)."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _is_or_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (which need not exist yet) is ``folder`` or lies under it, after symlinks:
    ``path`` with its symlinks and ``..`` resolved, and each of its existing parents compared with
    ``folder`` as a file (device and inode), so another spelling or a symlinked folder is caught."""
    target = _identity(folder)
    if target is None:
        return False
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: writing there fails anyway
        return False
    return any(_identity(p) == target for p in (resolved, *resolved.parents))


def check_not_input(output: Path, also: Sequence[Path], inputs: InputFiles) -> None:
    """``SinkError`` when writing ``output`` would destroy the input or be read back by a re-run.

    ``also``: the other files writing ``output`` creates or overwrites (a temporary file, the images
    of a folder). Refused: ``output`` equal to or inside the input folder (a re-run would read its own
    outputs), and any of these paths that is one of the input's files. Files are compared as files
    (device and inode), never as strings: ``./cam.mp4``, ``a/../cam.mp4``, a symlink or a hard link to
    the input are the input.
    """
    if not inputs.files and inputs.folder is None:
        return
    shown = mask_credentials(str(output))
    if inputs.folder is not None and _is_or_inside(output, inputs.folder):
        folder = mask_credentials(str(inputs.folder))
        if _identity(output) == _identity(inputs.folder):
            raise SinkError(f"output {shown} is the input folder {folder}: it would overwrite the input images; "
                            "choose another folder")
        raise SinkError(f"output {shown} is inside the input folder {folder}: a re-run would read the outputs as "
                        f"inputs; choose a place outside {folder}")
    originals = {i: f for f in inputs.files if (i := _identity(f)) is not None}
    for path in (output, *also):
        identity = _identity(path)
        original = originals.get(identity) if identity is not None else None
        if original is None:
            continue
        shown_input = mask_credentials(str(original))
        if path is output:
            raise SinkError(f"output {shown} is the input {shown_input}: writing it would destroy the input; "
                            "choose another output")
        raise SinkError(f"output {shown} would write {mask_credentials(str(path))} over the input {shown_input}; "
                        "choose another output")


def overwrites(path: Path) -> bool:
    """Whether writing the output ``path`` replaces what is there: an existing file, or a folder with files in it."""
    try:
        return any(path.iterdir()) if path.is_dir() else path.exists()
    except OSError:  # an unreadable folder: writing into it fails and says so
        return False
