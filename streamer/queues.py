"""A bounded queue with an explicit policy for when it is full.

``drop_oldest=False`` (file mode) blocks the producer: back-pressure, nothing lost.
``drop_oldest=True`` (live mode) evicts the oldest item and counts it: latency stays bounded.
``close()`` wakes everyone: ``get`` then drains what is left and returns :data:`CLOSED`.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

CLOSED = object()


class BoundedQueue:
    def __init__(self, maxsize: int, drop_oldest: bool) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.drop_oldest = drop_oldest
        self.dropped = 0
        self._items: deque[Any] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: Any, timeout: float = 0.1) -> bool:
        """Add ``item``; ``False`` if the queue was closed (the item is not added).

        Blocks while full unless ``drop_oldest``; waits in ``timeout`` slices so a closed
        queue releases a blocked producer.
        """
        with self._cond:
            while True:
                if self._closed:
                    return False
                if len(self._items) < self.maxsize:
                    break
                if self.drop_oldest:
                    self._items.popleft()
                    self.dropped += 1
                    break
                self._cond.wait(timeout)
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> Any:
        """The oldest item; :data:`CLOSED` once closed and drained; ``None`` on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._closed, timeout):
                return None
            if self._items:
                item = self._items.popleft()
                self._cond.notify_all()
                return item
            return CLOSED

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
