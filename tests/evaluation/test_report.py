"""The accuracy report: its numbers (scikit-learn's, equal in HTML and JSON), the self-contained page, bad input."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.browser import console_errors, screenshot
from tests.conftest import ROOT, one_line_error, own_corpus, write_jsonl

#: Seed articles that make a small labelled test file (the seed model has seen them: this tests the
#: report, not the model).
N_TEST = 24


@pytest.fixture(scope="module")
def test_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classifier.reading.labels import load_labelled_articles

    articles = load_labelled_articles([ROOT / "labels" / "seed_labels.jsonl"], topics=None)
    base = tmp_path_factory.mktemp("report-test")
    return write_jsonl(base / "test.jsonl", [a.to_dict() for a in articles[:N_TEST]])


class _Page(HTMLParser):
    """What a test needs of the page: the JSON blob, table cells with their attributes, src/href values."""

    def __init__(self) -> None:
        super().__init__()
        self.blob = ""
        self.links: list[str] = []
        self.cells: list[tuple[str, dict[str, str], str]] = []  # (table id, attributes, text)
        self._table: list[str] = []
        self._cell: dict[str, str] | None = None
        self._text = ""
        self._in_blob = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.links += [v for k, v in a.items() if k in ("src", "href", "xlink:href")]
        if tag == "table":
            self._table.append(a.get("id", ""))
        elif tag in ("td", "th") and self._table:
            self._cell, self._text = a, ""
        elif tag == "script" and a.get("id") == "report-data":
            self._in_blob = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append((self._table[-1], self._cell, self._text))
            self._cell = None
        elif tag == "script":
            self._in_blob = False

    def handle_data(self, data: str) -> None:
        if self._in_blob:
            self.blob += data
        if self._cell is not None:
            self._text += data


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


# --- the numbers -----------------------------------------------------------------------------


def _random_case(seed: int, n: int = 60, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.random((n, k)) < 0.25
    gold[:5] = False  # some articles with no topic
    scores = np.clip(gold * 0.5 + rng.random((n, k)) * 0.6, 0, 1)
    return gold, scores >= 0.55, scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_resampled_metrics_equal_scikit_learn_with_sample_weight(seed: int) -> None:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    from classifier.evaluation.report import bootstrap_weights, resampled_metrics, summary_metrics

    gold, predicted, scores = _random_case(seed)
    weights = bootstrap_weights(len(gold), resamples=5, seed=seed)
    fast = resampled_metrics(weights, gold, predicted, scores)
    for b, w in enumerate(weights):
        supported = np.flatnonzero((w @ gold) > 0)
        has_gold, untagged = gold.any(1), ~predicted.any(1)
        expected = {
            "micro_f1": f1_score(gold, predicted, average="micro", sample_weight=w, zero_division=0),
            "macro_f1": f1_score(gold, predicted, average="macro", labels=supported, sample_weight=w, zero_division=0),
            "samples_f1": f1_score(gold, predicted, average="samples", sample_weight=w, zero_division=1.0),
            "subset_accuracy": accuracy_score(gold, predicted, sample_weight=w),
            "empty_precision": precision_score(~has_gold, untagged, sample_weight=w, zero_division=0),
            "empty_recall": recall_score(~has_gold, untagged, sample_weight=w, zero_division=0),
        }
        for key, value in expected.items():
            assert fast[key][b] == pytest.approx(value), key
        per_topic = f1_score(gold, predicted, average=None, sample_weight=w, zero_division=0)
        assert fast["f1"][b] == pytest.approx(per_topic)
    # One resample of every article once is the point estimate.
    ones = resampled_metrics(np.ones((1, len(gold)), dtype=int), gold, predicted, scores)
    point = summary_metrics(gold, predicted, scores)
    assert {k: float(v[0]) for k, v in ones.items() if k != "f1"} == pytest.approx(point)


def test_summary_metrics_agree_with_compute_metrics() -> None:
    from classifier.evaluation.report import summary_metrics
    from classifier.metrics import compute_metrics

    gold, predicted, scores = _random_case(3)
    topics = [f"t{j}" for j in range(gold.shape[1])]
    as_lists = [[topics[j] for j in np.flatnonzero(row)] for row in gold]
    pred_lists = [[topics[j] for j in np.flatnonzero(row)] for row in predicted]
    old = compute_metrics(as_lists, pred_lists, scores, topics)
    new = summary_metrics(gold, predicted, scores)
    for key in ("micro_f1", "macro_f1", "top1_accuracy", "subset_accuracy", "empty_precision", "empty_recall"):
        assert new[key] == pytest.approx(old[key]), key


def test_calibration_bins_and_error() -> None:
    from classifier.evaluation.report import calibration

    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    scores = np.array([0.1, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0])
    cal = calibration(truth, scores, bins=2)
    assert cal["count"] == [5, 5]
    # Bin 1: scores 0.1-0.6, one right in five; bin 2: 0.7-1.0, all right.
    assert cal["prob_true"] == [0.2, 1.0]
    assert cal["ece"] == pytest.approx(0.5 * abs(0.2 - 0.26) + 0.5 * abs(1.0 - 0.86), abs=1e-4)


# --- the command and the page ----------------------------------------------------------------


@pytest.mark.slow
def test_html_numbers_equal_json_and_page_is_self_contained(invoke, test_file: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    result = invoke("evaluate", "--test", test_file, "--report", page_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    page = parse(page_path)
    assert json.loads(page.blob) == printed
    # The visible tables: each number as data (full precision) and as text (3 decimals).
    rows = [(attrs, text) for table, attrs, text in page.cells if table == "summary-table" and "data-key" in attrs]
    assert [a["data-key"] for a, _ in rows] == [
        "micro_f1",
        "macro_f1",
        "samples_f1",
        "top1_accuracy",
        "subset_accuracy",
        "empty_precision",
        "empty_recall",
    ]
    for attrs, text in rows:
        assert float(attrs["data-value"]) == printed[attrs["data-key"]]
        assert text == f"{printed[attrs['data-key']]:.3f}"
    cells = [(a, t) for table, a, t in page.cells if table == "per-topic"]
    header = [a["data-key"] for a, _ in cells if "data-key" in a]
    body = [(a, t) for a, t in cells if "data-key" not in a]
    assert len(body) == len(header) * len(printed["per_topic"])
    for r, topic in enumerate(printed["per_topic"]):
        row = dict(zip(header, body[r * len(header) : (r + 1) * len(header)], strict=True))
        assert row["topic"][0]["data-value"] == topic
        for key in ("precision", "recall", "f1", "average_precision", "ece"):
            value = printed["per_topic"][topic][key]
            assert float(row[key][0]["data-value"]) == value
            assert row[key][1] == f"{value:.3f}"
        assert int(row["support"][1]) == printed["per_topic"][topic]["support"]
    # No external reference: every src/href is in-page (#...) or data.
    assert page.links and all(link.startswith(("#", "data:")) for link in page.links), page.links
    text = page_path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text)
    # What the issue asks the page to hold.
    assert printed["header"]["model"] and printed["header"]["thresholds"]
    assert set(printed["intervals"]) >= {"micro_f1", "macro_f1", "samples_f1", "empty_recall"}
    for topic, curves in printed["curves"].items():
        assert curves["calibration"]["ece"] == printed["per_topic"][topic]["ece"]
    assert printed["matrix"]["gold"][-1] == "none"
    for section in ("figure-pr", "figure-f1", "figure-calibration", "figure-matrix", "errors"):
        assert f'id="{section}"' in text
    assert text.count("<svg") == 4


def test_table_output_keeps_the_table_and_adds_intervals(invoke, test_file: Path) -> None:
    result = invoke("evaluate", "--test", test_file, "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("topic")
    assert re.search(r"micro_f1\s+\d\.\d{3}  \(95% \d\.\d{3}-\d\.\d{3}\)", result.stdout)


def _copy_of_default_model(tmp_path: Path) -> Path:
    from classifier.model.store import resolve_model_dir

    other = tmp_path / "other-version"
    shutil.copytree(resolve_model_dir(None), other)
    return other


@pytest.mark.slow
def test_compare_side_by_side(invoke, test_file: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    other = _copy_of_default_model(tmp_path)
    result = invoke("evaluate", "--test", test_file, "--compare", other, "--report", page_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    comparison = json.loads(result.stdout)["comparison"]
    assert comparison["a"] == "other-version"
    # The same model twice: no difference, and none called one.
    assert all(m["delta"] == 0 and m["verdict"] == "within noise" for m in comparison["metrics"].values())
    assert comparison["changed"] == []
    page = parse(page_path)
    assert json.loads(page.blob)["comparison"] == comparison
    assert any(table == "comparison-topics" for table, _, _ in page.cells)


@pytest.mark.slow
def test_models_compare_report(invoke, test_file: Path, tmp_path: Path) -> None:
    from classifier.model.store import default_version

    page_path = tmp_path / "compare.html"
    other = _copy_of_default_model(tmp_path)
    result = invoke(
        "models", "compare", other, default_version(), "--test", test_file, "--report", page_path, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["changed"] == []
    assert json.loads(parse(page_path).blob) == printed["report"]
    assert printed["report"]["comparison"]["b"] == default_version()


# --- bad input: one line, non-zero, no report left behind ------------------------------------


def _refused(invoke, tmp_path: Path, *args: Any) -> str:
    page_path = tmp_path / "report.html"
    message = one_line_error(invoke("evaluate", *args, "--report", page_path))
    assert not page_path.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.html")] == []
    return message


def test_empty_test_file_is_one_line(invoke, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    message = _refused(invoke, tmp_path, "--test", empty)
    assert message.startswith("error:") and "empty.jsonl" in message


def test_topics_the_model_does_not_know_is_one_line(invoke, tmp_path: Path) -> None:
    test = write_jsonl(tmp_path / "odd.jsonl", [{"id": "x", "title": "t", "text": "正文", "topics": ["sport"]}])
    message = _refused(invoke, tmp_path, "--test", test)
    assert "sport" in message


def test_compare_with_a_model_of_other_topics_is_one_line(invoke, test_file: Path, tmp_path: Path) -> None:
    own = tmp_path / "own-model"
    trained = invoke("train", "--labels", own_corpus(tmp_path / "own.jsonl"), "--own-topics", "--output", own)
    assert trained.exit_code == 0, trained.stderr
    message = _refused(invoke, tmp_path, "--test", test_file, "--compare", own)
    assert "other topics" in message


def test_compare_without_a_test_file_is_one_line(invoke, tmp_path: Path) -> None:
    message = _refused(invoke, tmp_path, "--compare", _copy_of_default_model(tmp_path))
    assert "--test" in message


def test_report_is_not_written_when_rendering_fails(invoke, test_file: Path, tmp_path: Path, monkeypatch) -> None:
    import classifier.evaluation.html as html

    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError(28, "No space left on device")

    page_path = tmp_path / "report.html"
    page_path.write_text("the old report", encoding="utf-8")
    monkeypatch.setattr(html, "pr_figure", broken)
    one_line_error(invoke("evaluate", "--test", test_file, "--report", page_path))
    assert page_path.read_text(encoding="utf-8") == "the old report"


# --- cross-validation and the browser --------------------------------------------------------


@pytest.mark.slow
def test_report_of_a_cross_validation(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    page_path = tmp_path / "cv.html"
    result = invoke(
        "evaluate", "--labels", labels, "--own-topics", "--folds", "3", "--report", page_path, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["folds"] == 3 and "cross-validation" in printed["header"]["method"]
    assert json.loads(parse(page_path).blob) == printed


@pytest.mark.slow
def test_report_renders_in_chromium(browser, invoke, test_file: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "report.html"
    other = _copy_of_default_model(tmp_path)
    result = invoke("evaluate", "--test", test_file, "--compare", other, "--report", page_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    console_errors(browser)  # drop what an earlier page logged
    browser.get(page_path.as_uri())
    assert "准确率报告" in browser.find_element("tag name", "h1").text
    assert console_errors(browser) == []
    # The per-topic table sorts by a column when its header is clicked (twice: descending).
    f1_header = browser.find_element("css selector", '#per-topic th[data-key="f1"]')
    f1_header.click()
    f1_header.click()
    shown = [
        float(td.get_attribute("data-value"))
        for td in browser.find_elements("css selector", "#per-topic tbody tr td:nth-child(4)")
    ]
    assert shown == sorted((m["f1"] for m in printed["per_topic"].values()), reverse=True)
    assert f1_header.get_attribute("aria-sort") == "descending"
    for svg in browser.find_elements("css selector", "figure svg"):
        assert svg.size["width"] > 300
    assert console_errors(browser) == []
    shot = screenshot(browser, tmp_path / "report.png")
    assert shot.stat().st_size > 10_000


def test_matplotlib_is_imported_only_to_write_a_report() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import classifier.cli, classifier.evaluation.report, classifier.evaluation.html; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
