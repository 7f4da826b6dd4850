"""Fixtures for the browser tests (marker ``browser``): skip with the reason when chromium,
playwright or gradio is missing."""

from __future__ import annotations

import pytest

from tests.web.browser import CHROMIUM, FLAGS, missing


@pytest.fixture(scope="session")
def chromium():
    reason = missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
