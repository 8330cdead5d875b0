"""The output directory: parts written atomically, read back; what a rerun resumes and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.archive.parts import (
    FORMAT,
    MANIFEST,
    SUCCESS,
    part_name,
    plan,
    read_part,
    remove_temporaries,
    write_manifest,
    write_part,
)
from classifier.errors import ClassifierError

RECORDS = [
    {"id": "a", "title": "股市", "topics": ["经济"], "scores": {"经济": 0.9, "体育": 0.1}, "keywords": ["股市"]},
    {"id": "b", "title": "", "topics": [], "scores": {"经济": 0.2, "体育": 0.3}, "keywords": []},
]


def test_part_names_sort_in_order() -> None:
    assert part_name(3, 10, "jsonl") == "part-00003.jsonl"
    assert part_name(7, 1_000_000, "parquet") == "part-000007.parquet"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_part_round_trips(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"part-00000.{fmt}"
    result = write_part(path, [RECORDS[:1], RECORDS[1:]], fmt, ["经济", "体育"], explain=False)
    assert result["articles"] == 2 and result["bytes"] == path.stat().st_size
    assert read_part(path) == RECORDS
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left beside it
    if fmt == "jsonl":
        assert path.read_text(encoding="utf-8").splitlines()[0] == json.dumps(RECORDS[0], ensure_ascii=False)


def test_a_failed_part_leaves_nothing(tmp_path: Path) -> None:
    def batches():
        yield RECORDS
        raise ClassifierError("in.jsonl:9: not valid JSON")

    with pytest.raises(ClassifierError):
        write_part(tmp_path / "part-00000.jsonl", batches(), "jsonl", ["经济", "体育"], explain=False)
    assert list(tmp_path.iterdir()) == []


def fresh(model: str = "m1", sha: str = "s1") -> dict:
    return {
        "format": FORMAT,
        "model": {"version": model, "path": "/models/" + model, "checksum": "sum-" + model},
        "options": {"format": "jsonl", "top": None, "explain": False},
        "inputs": [{"path": "/in/a.jsonl", "bytes": 10, "sha256": sha, "articles": 2}],
        "parts": [{"name": "part-00000.jsonl", "input": 0, "row_group": None}],
        "complete": False,
    }


def finished(out: Path) -> dict:
    manifest = fresh()
    result = write_part(out / "part-00000.jsonl", [RECORDS], "jsonl", ["经济", "体育"], explain=False)
    manifest["parts"][0].update(result, done=True)
    write_manifest(out, manifest)
    (out / SUCCESS).write_text("")
    return manifest


def test_resume_keeps_parts_that_match_and_redoes_changed_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    finished(out)
    resumed = plan(out, fresh(), overwrite=False)
    assert resumed["parts"][0]["done"] and (out / SUCCESS).exists()
    (out / "part-00000.jsonl").write_text("tampered\n")
    resumed = plan(out, fresh(), overwrite=False)
    assert "done" not in resumed["parts"][0] and not (out / SUCCESS).exists()


def test_another_model_or_input_is_refused_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    finished(out)
    with pytest.raises(ClassifierError, match=r"other model \(was m1, now m2\); pass --overwrite"):
        plan(out, fresh(model="m2"), overwrite=False)
    with pytest.raises(ClassifierError, match=r"other inputs \(/in/a.jsonl: changed since\)"):
        plan(out, fresh(sha="s2"), overwrite=False)
    (out / "mine.txt").write_text("kept")
    assert plan(out, fresh(model="m2"), overwrite=True) == fresh(model="m2")
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]  # only the run's own files go


def test_parts_without_a_manifest_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "part-00000.jsonl").write_text("{}\n")
    with pytest.raises(ClassifierError, match=f"no {MANIFEST}"):
        plan(out, fresh(), overwrite=False)
    (out / MANIFEST).write_text("not json")
    with pytest.raises(ClassifierError, match="not a valid manifest"):
        plan(out, fresh(), overwrite=False)


def test_half_written_parts_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".part-00001.jsonl.x1y2").write_text('{"id": "half')
    (tmp_path / "part-00000.jsonl").write_text("{}\n")
    remove_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["part-00000.jsonl"]
