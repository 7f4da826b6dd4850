"""Counts in messages read as English: ``1 frame``, never ``1 frames``."""

from __future__ import annotations

import io

from streamer.counts import count
from streamer.progress import Progress


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert [count(n, "frame") for n in (0, 1, 2)] == ["0 frames", "1 frame", "2 frames"]
    assert count(1, "damaged packet") == "1 damaged packet" and count(3, "damaged packet") == "3 damaged packets"
    assert count(2, "child", "children") == "2 children"


def test_the_progress_line_of_a_stream_without_an_end_counts_in_the_singular_too() -> None:
    progress = Progress(None, stream=io.StringIO(), enabled=False)
    assert progress.line(1).startswith("1 frame ") and progress.line(2).startswith("2 frames ")
