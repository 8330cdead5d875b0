"""The browser the page tests use starts and renders Chinese (a check of the set-up, not of a page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import console_errors


@pytest.mark.slow
def test_headless_chromium_renders_a_local_page(browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<!doctype html><meta charset="utf-8"><h1 id="t">新闻主题标注</h1>', encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.find_element("id", "t").text == "新闻主题标注"
    assert console_errors(browser) == []
