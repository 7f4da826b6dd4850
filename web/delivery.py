"""Flow control for the live view: a tab gets its next picture only once its browser has fetched the last one.

A live tab's generator hands Gradio a JPEG path per pane and frame; Gradio sends the tab the
file's URL over its event stream, and the browser then fetches the file in a second request.
Nothing tells the generator whether that fetch is done, and a browser that receives a new URL
while still fetching the old one abandons the old picture. Pushed at the pipeline's 30 fps, a
browser whose fetches take longer than a frame (two viewers on a busy server were enough) showed
almost none of the pictures it was sent, and more viewers made every fetch slower still.

So each tab names its files for itself (``Deliveries.expect``) and, before it sends the next
frame, waits until the server has sent those files (:class:`FetchWatcher` sees every Gradio file
response end) or ``timeout`` seconds have passed. Each tab then gets what its own browser can
take, and every picture sent is shown.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Iterable

FILE_ROUTE = "/gradio_api/file="


class Delivery:
    """Files one tab was sent in one update; ``wait`` until the browser has fetched them all."""

    def __init__(self, owner: Deliveries, names: Iterable[str]) -> None:
        self._owner = owner
        self.names = frozenset(names)
        self._left = set(self.names)
        self._done = threading.Event()
        if not self._left:
            self._done.set()

    def _fetched(self, name: str) -> None:  # under the owner's lock
        self._left.discard(name)
        if not self._left:
            self._done.set()

    def wait(self, timeout: float) -> bool:
        """True when every file was fetched, False after ``timeout`` s (the tab moves on regardless)."""
        return self._done.wait(timeout)

    def close(self) -> None:
        self._owner._forget(self)


class Deliveries:
    """The files handed to tabs and not fetched yet, by file name (each name belongs to one tab)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, Delivery] = {}

    def expect(self, names: Iterable[str]) -> Delivery:
        delivery = Delivery(self, names)
        with self._lock:
            for name in delivery.names:
                self._waiting[name] = delivery
        return delivery

    def fetched(self, name: str) -> None:
        """The server has sent the file ``name`` (a base name) to a browser."""
        with self._lock:
            delivery = self._waiting.pop(name, None)
            if delivery is not None:
                delivery._fetched(name)

    def _forget(self, delivery: Delivery) -> None:
        with self._lock:
            for name in delivery.names:
                if self._waiting.get(name) is delivery:
                    del self._waiting[name]

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)


class FetchWatcher:
    """ASGI middleware: tells ``deliveries`` each time a Gradio file response has been sent in full."""

    def __init__(self, app, deliveries: Deliveries) -> None:
        self.app = app
        self.deliveries = deliveries

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if FILE_ROUTE not in path:
            await self.app(scope, receive, send)
            return
        name = posixpath.basename(path)

        async def watch(message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.deliveries.fetched(name)

        await self.app(scope, receive, watch)
