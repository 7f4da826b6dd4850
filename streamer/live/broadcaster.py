"""Every live channel of one server: the service behind the page's Live tab.

A :class:`Broadcaster` keeps at most one :class:`~streamer.live.channel.Channel` per source spec,
all on the server's one :class:`~streamer.live.pool.ModelPool`. Viewers ``subscribe``; a channel
starts with its first viewer and stops when the last one leaves (after ``linger_s``, so a page
reload does not restart the model). A viewer that stops asking for frames for ``lease_s`` is
dropped, so a browser tab that vanished without saying goodbye does not keep a model running.

Configured cameras (:class:`~streamer.live.cameras.Cameras`) are subscribed to by name: their
channels run whether watched or not, and the broadcaster neither starts nor stops them.
"""

from __future__ import annotations

import logging
import threading
import time

from streamer.live.cameras import Cameras
from streamer.live.channel import Channel, ChannelOptions, ChannelStatus, Subscription
from streamer.live.pool import ModelPool

log = logging.getLogger(__name__)


class Broadcaster:
    """All channels of one server: ``subscribe(spec)`` joins (or starts) the source's channel.

    The pool and the cameras are the caller's: ``close`` stops the viewers' channels, not the models
    nor the cameras.
    """

    def __init__(self, options: ChannelOptions, pool: ModelPool, cameras: Cameras | None = None) -> None:
        self.options = options
        self.pool = pool
        self.cameras = cameras
        self._channels: dict[str, Channel] = {}
        self._stopping: list[Channel] = []
        self._subs: dict[int, Subscription] = {}
        self._lock = threading.Lock()
        self._closing = False
        self._reaper = threading.Thread(target=self._reap, name="streamer-live-reaper", daemon=True)
        self._reaper.start()

    def subscribe(self, spec: str) -> Subscription:
        """Watch the camera named ``spec``, or else the source ``spec`` (its channel started if need be)."""
        with self._lock:
            channel = self._channels.get(spec)
            if self.cameras is not None and spec in self.cameras:
                channel = self.cameras.get(spec)
            elif channel is None or not channel.running or channel.stopping:
                channel = Channel(spec, self.options, self.pool)
                self._channels[spec] = channel
                channel.start()
            sub = Subscription(channel, self._unsubscribe)
            channel.subscribers.add(id(sub))
            self._subs[id(sub)] = sub
            log.info("live: %d watching %s", len(channel.subscribers), channel.name)
            return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.pop(id(sub), None)
            sub.channel.subscribers.discard(id(sub))
            sub.channel.idle_since = time.monotonic()

    def _reap(self) -> None:
        """Drop viewers that stopped pulling; stop channels nobody watched for ``linger_s``."""
        while not self._closing:
            time.sleep(0.25)
            now = time.monotonic()
            for sub in [s for s in list(self._subs.values()) if now - s.last_pull > self.options.lease_s]:
                log.info("live: a viewer of %s stopped asking for frames; dropping it", sub.channel.shown)
                sub.close()
            with self._lock:
                for spec, channel in list(self._channels.items()):
                    idle = channel.idle_since
                    if not channel.subscribers and idle is not None and now - idle >= self.options.linger_s:
                        channel.stop()
                        del self._channels[spec]
                        self._stopping.append(channel)
                self._stopping = [c for c in self._stopping if c.running]

    def status(self) -> list[ChannelStatus]:
        with self._lock:
            channels = list(self._channels.values())
        cameras = self.cameras.status() if self.cameras is not None else []
        return cameras + [c.status() for c in channels]

    def channel(self, spec: str) -> Channel | None:
        if self.cameras is not None and spec in self.cameras:
            return self.cameras.get(spec)
        with self._lock:
            return self._channels.get(spec)

    def close(self) -> None:
        self._closing = True
        with self._lock:
            channels = list(self._channels.values()) + self._stopping
            self._channels.clear()
            self._stopping = []
        for c in channels:
            c.stop()
        for c in channels:
            c.join(timeout=5.0)
