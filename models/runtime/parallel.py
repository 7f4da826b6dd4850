"""One frame's per-pixel C loops on every core: the frame is cut into bands of pixels, and each band
runs on a thread of one shared pool (the loops release the GIL, so the bands run at once).

Between the network's passes streamer's main thread runs a few such loops on its own (the burst
model's pooling and colour, the deblocking filter), while the model itself uses every core: at 720p
on 2 cores the burst model's main thread spent about 20 of its 70 ms a frame on one core in them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# Fewer pixels than this a band is not worth a thread's hand-over (about 20 us).
MIN_BAND = 16384
_threads: ThreadPoolExecutor | None = None


def workers() -> int:
    """How many bands a frame is cut into at most: the cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def bands(total: int, parts: int) -> list[tuple[int, int]]:
    """``[begin, end)`` ranges covering ``0..total`` in at most ``parts`` near-equal pieces, none empty."""
    parts = max(1, min(parts, total))
    edges = [total * k // parts for k in range(parts)] + [total]
    return [(b, e) for b, e in zip(edges, edges[1:], strict=False) if e > b]


def run_bands(work: Callable[[int, int], None], total: int, pixels_each: int = 1) -> None:
    """``work(begin, end)`` over bands of ``0..total`` (units of ``pixels_each`` pixels: 1 for pixels,
    the width for rows), on the shared threads when it is large enough to pay (the calling thread
    takes the last band), otherwise here. Exceptions are raised here."""
    global _threads
    parts = min(workers(), total * pixels_each // MIN_BAND)
    if parts <= 1:
        work(0, total)
        return
    if _threads is None:
        _threads = ThreadPoolExecutor(max_workers=workers() - 1, thread_name_prefix="streamer-band")
    pieces = bands(total, parts)
    futures = [_threads.submit(work, b, e) for b, e in pieces[:-1]]
    try:
        work(*pieces[-1])
    finally:
        for f in futures:
            f.result()
