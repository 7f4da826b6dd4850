"""Passwords in URLs never appear in messages or logs."""

from __future__ import annotations

import logging

from streamer.urls import MaskingFilter, is_url, mask_credentials


def test_mask_credentials() -> None:
    assert mask_credentials("rtsp://admin:hunter2@10.0.0.5:554/s") == "rtsp://admin:***@10.0.0.5:554/s"
    assert mask_credentials("x http://u:p%40ss@h/ and rtsp://a:b@c/d") == "x http://u:***@h/ and rtsp://a:***@c/d"
    assert mask_credentials("rtsp://camera.local/stream") == "rtsp://camera.local/stream"
    assert mask_credentials("/videos/a:b@c.mp4") == "/videos/a:b@c.mp4"


def test_is_url() -> None:
    assert is_url("rtsp://x") and is_url("HTTP://x") and not is_url("file.mp4") and not is_url("0")


def test_logging_filter_masks_arguments(caplog) -> None:
    logger = logging.getLogger("test.urls")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.urls"):
        logger.info("opening %s", "rtsp://user:topsecret@127.0.0.1/cam")
    assert "topsecret" not in caplog.text
    assert "user:***@" in caplog.text
