"""A source that a shared stop signal can end: how a long-running live view winds its pipeline down."""

from __future__ import annotations

import threading

from streamer.frame import Frame, StreamInfo
from streamer.sources import Source, Stoppable


class UntilStopped:
    """``source``, read as ended once ``event`` is set; :meth:`stop` wakes a read that waits (a
    stream waiting out an outage) where ``source`` can be woken."""

    def __init__(self, source: Source, event: threading.Event) -> None:
        self._source = source
        self._event = event
        self.info: StreamInfo = source.info

    def read(self) -> Frame | None:
        return None if self._event.is_set() else self._source.read()

    def stop(self) -> None:
        if isinstance(self._source, Stoppable):
            self._source.stop()

    def close(self) -> None:
        self._source.close()
