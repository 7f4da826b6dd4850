"""The settings of ``streamer serve``, typed and frozen, and the rule about who may connect.

The page listens on loopback unless told otherwise; any other address needs ``--auth
USER:PASSWORD`` or the explicit ``--insecure-no-auth``. Public share links are never made.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from models import catalog
from streamer.camera_config import CamerasConfig
from streamer.errors import ConfigError

LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(text: str) -> tuple[str, str]:
    """``USER:PASSWORD`` -> (user, password); both must be non-empty."""
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth takes USER:PASSWORD (both non-empty)")
    return user, password


@dataclass(frozen=True)
class ServeConfig:
    """Each field is one ``streamer serve`` flag. ``cameras`` (from ``--source NAME=SPEC`` flags or
    ``--cameras FILE``) replaces ``source``: the page shows each camera, and every camera runs from start
    to stop, recording into its output if it has one."""

    source: str = "demo"
    model: str = "zero-dce++"
    backend: str = "auto"
    device: str = "auto"
    threads: int = 0
    host: str = "127.0.0.1"
    port: int = 7860
    auth: tuple[str, str] | None = None
    insecure_no_auth: bool = False
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    stamp_frames: bool = False
    cameras: CamerasConfig | None = None

    def __post_init__(self) -> None:
        catalog.get(self.model)
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be 1-65535, not {self.port}")
        if self.auth is None and not self.insecure_no_auth and not is_loopback(self.host):
            raise ConfigError(
                f"refusing to serve on {self.host} without a password: add --auth USER:PASSWORD "
                "(or --insecure-no-auth to let anyone who can reach this host watch)"
            )
        if self.open_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")

    def check_port_free(self) -> None:
        """A clear error now rather than a server that dies after start-up."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((self.host, self.port))
            except OSError as e:
                raise ConfigError(f"cannot listen on {self.host}:{self.port}: {e.strerror}; pick another --port") from e

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"
