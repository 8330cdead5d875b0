"""The editors' page in headless Chromium against the real server: paste an article, press 标注, see its topic."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import console_errors, screenshot
from tests.conftest import ROOT
from tests.service.conftest import ARTICLE, Server

pytestmark = pytest.mark.slow

#: README's screenshot is refreshed only when asked (CLASSIFIER_SCREENSHOTS=1), so a test run leaves the checkout as it was.
SCREENSHOT = ROOT / "benchmarks" / "results" / "serve_page.png"
PAGE_ARTICLE = ARTICLE + "\n国家电网加快特高压输电线路建设，推动风电光伏基地电力外送，提高清洁能源消纳水平。"


def test_paste_tag_and_see_the_chip_bars_keywords_and_explanation(
    browser, shared_server: Server, tmp_path: Path
) -> None:
    browser.get(shared_server.url + "/")
    wait = WebDriverWait(browser, 20)
    wait.until(lambda d: d.find_element(By.ID, "model").text.startswith("模型 "))
    box = browser.find_element(By.ID, "article")
    box.clear()
    # send_keys types one character at a time; setting the value is what a paste does.
    browser.execute_script("arguments[0].value = arguments[1];", box, PAGE_ARTICLE)
    browser.find_element(By.ID, "tag").click()
    chip = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, '.chip[data-topic="energy"]')))
    assert chip.text.startswith("能源 ")
    bars = browser.find_elements(By.CSS_SELECTOR, "#bars .bar")
    assert len(bars) == 8
    assert browser.find_elements(By.CSS_SELECTOR, "#keywords span")
    marks = browser.find_elements(By.CSS_SELECTOR, '#highlighted mark[data-topic="energy"]')
    assert marks and all(m.text in PAGE_ARTICLE for m in marks)
    assert "完成" in browser.find_element(By.ID, "status").text
    time.sleep(0.2)
    screenshot(browser, SCREENSHOT if os.environ.get("CLASSIFIER_SCREENSHOTS") else tmp_path / SCREENSHOT.name)
    assert console_errors(browser) == []


def test_a_gbk_file_dropped_on_the_page_is_read(browser, shared_server: Server, tmp_path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(PAGE_ARTICLE.encode("gbk"))
    browser.get(shared_server.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(path))
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "article").get_attribute("value").startswith("国家能源局")
    )
    browser.find_element(By.ID, "tag").click()
    WebDriverWait(browser, 20).until(ec.visibility_of_element_located((By.CSS_SELECTOR, '.chip[data-topic="energy"]')))


def test_an_empty_article_says_so(browser, shared_server: Server) -> None:
    browser.get(shared_server.url + "/")
    browser.find_element(By.ID, "tag").click()
    assert "请先粘贴" in browser.find_element(By.ID, "status").text


def test_the_api_docs_render_offline(browser, shared_server: Server) -> None:
    browser.get(shared_server.url + "/docs")
    WebDriverWait(browser, 20).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info")))
    assert "/v1/tag" in browser.page_source
    assert console_errors(browser) == []
