"""Credentials in URLs never leave this process: mask them wherever a URL is shown."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s]*):(?P<password>[^/@\s]*)@")

URL_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")


def is_url(spec: str) -> bool:
    return spec.lower().startswith(URL_SCHEMES)


# The port a URL means when it names none, for the schemes that run over TCP.
DEFAULT_TCP_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}


def tcp_address(url: str) -> tuple[str, int] | None:
    """``(host, port)`` that a URL's stream is fetched from over TCP, or ``None`` (UDP, SRT, a URL
    without a host or with a malformed port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or (scheme not in DEFAULT_TCP_PORTS and not (scheme == "tcp" and port)):
        return None
    return parts.hostname, port or DEFAULT_TCP_PORTS[scheme]


def mask_credentials(text: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``text`` by ``***``."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks URL passwords in every record, arguments included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_credentials(record.getMessage())
        record.args = None
        return True
