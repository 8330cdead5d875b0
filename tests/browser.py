"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) for the tests of pages.

Tests take the ``browser`` fixture; without Chromium they skip and say why, except under CI
(``CI=true``), whose set-up installs it: there a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    # The machine's network is closed: background fetches only fail, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",
)


def find_chromium() -> tuple[str, str] | None:
    """Paths of the Chromium binary and its driver, or ``None``."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


def _why_missing() -> str:
    return "no chromium/chromedriver: run .ci/install-chromium as root (apt-get install chromium chromium-driver)"


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Selenium WebDriver on headless Chromium, 1280x800 (a laptop screen), shared by the session."""
    found = find_chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(_why_missing())
        pytest.skip(_why_missing())
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    driver = start_chromium(found, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


def start_chromium(found: tuple[str, str], profile: Path) -> Any:
    """A Selenium WebDriver on headless Chromium (``found``: binary and driver), 1280x800, a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,800")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(found[1]), options=options)


def console_errors(driver: Any) -> list[str]:
    """The browser console's SEVERE messages since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path
