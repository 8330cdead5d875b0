"""Accuracy forward in time (`evaluate --time-split`) and the drift report (`classifier drift`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import MONEY, SPORT, one_line_error, write_jsonl


def dated_corpus(path: Path) -> Path:
    """Sport and money articles, half of each from 2024 and half from 2025."""
    records = []
    for n, (text, topic) in enumerate([(t, "sport") for t in SPORT] + [(t, "money") for t in MONEY]):
        records.append({"id": f"a{n}", "text": text, "topics": [topic], "date": "20241201"})
        records.append({"id": f"b{n}", "text": text + "，今年再创新高", "topics": [topic], "date": "2025-02-03"})
    return write_jsonl(path, records)


def test_time_split_trains_before_the_cut_and_tests_after(invoke, tmp_path: Path) -> None:
    labels = dated_corpus(tmp_path / "dated.jsonl")
    result = invoke("evaluate", "--labels", labels, "--own-topics", "--time-split", "2025-01-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_train"] == 8 and report["n_articles"] == 8
    assert report["train_dates"] == ["2024-12-01", "2024-12-01"] and report["test_dates"] == ["2025-02-03"] * 2
    assert report["time_split"] == "2025-01-01" and report["micro_f1"] > 0.5


def test_time_split_names_the_files_of_undated_articles(invoke, tmp_path: Path) -> None:
    labels = dated_corpus(tmp_path / "dated.jsonl")
    undated = write_jsonl(tmp_path / "undated.jsonl", [{"id": "u1", "text": "足球", "topics": ["sport"]}])
    message = one_line_error(
        invoke("evaluate", "--labels", labels, "--labels", undated, "--own-topics", "--time-split", "2025-01-01")
    )
    assert message.startswith(f"error: 1 labelled articles have no date ({undated}: 1)")
    result = invoke(
        "evaluate",
        "--labels",
        labels,
        "--labels",
        undated,
        "--own-topics",
        "--time-split",
        "2025-01-01",
        "--train-undated",
        "--format",
        "json",
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["n_train"] == 9
    assert "not a date" in one_line_error(invoke("evaluate", "--labels", labels, "--time-split", "soon"))
    message = one_line_error(invoke("evaluate", "--labels", labels, "--own-topics", "--time-split", "2030-01-01"))
    assert message == "error: no labelled article is dated on or after 2030-01-01; nothing to test on"


def recent_articles(path: Path) -> Path:
    records = [
        {
            "id": f"r{i}",
            "date": f"2025-0{1 + i % 2}-15",
            "title": "",
            "text": f"新型储能电站并网，氢能示范项目第{i}期开工。",
        }
        for i in range(12)
    ]
    records += [{"id": "old", "date": "2024-06-01", "title": "", "text": "旧闻"}]
    return write_jsonl(path, records)


def test_drift_reports_shares_per_month_and_new_words(invoke, tmp_path: Path) -> None:
    source = recent_articles(tmp_path / "recent.jsonl")
    result = invoke("drift", source, "--since", "2025-01-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["articles"] == 12  # the 2024 article is before --since
    assert [p["period"] for p in report["periods"]] == ["2025-01", "2025-02"]
    assert all(0.0 <= p["no_topic"] <= 1.0 and 0.0 <= p["low_confidence"] <= 1.0 for p in report["periods"])
    words = {w["word"]: w for w in report["words"]}
    assert words["电站"]["articles"] == 12 and words["电站"]["new"]  # in every recent article, never in training
    assert all(w["training_texts"] <= 0.01 * report["training_texts"] for w in report["words"])
    table = invoke("drift", source).stdout
    assert "low confidence" in table and "电站" in table


def test_drift_refuses_nothing_to_read_and_a_model_without_its_training_record(
    invoke, tmp_path: Path, seed_model: Path
) -> None:
    import shutil

    from classifier.files import sha256_file

    source = recent_articles(tmp_path / "recent.jsonl")
    assert (
        one_line_error(invoke("drift", source, "--since", "2026-01-01"))
        == "error: no articles dated on or after 2026-01-01"
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert one_line_error(invoke("drift", empty)) == f"error: no articles in {empty}"

    old = tmp_path / "old-model"
    shutil.copytree(seed_model, old)
    with np.load(old / "tagger.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if not k.endswith(".df")}
    np.savez(old / "tagger.npz", **arrays)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["tagger.npz"] = sha256_file(old / "tagger.npz")
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "no record of its training words" in one_line_error(invoke("drift", source, "--model", old))
