"""Archive inputs: files, directories and globs in order; JSONL files and Parquet row groups as partitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.archive.partitions import Partition, describe_file, expand_inputs, list_partitions, read_partition
from classifier.errors import ClassifierError
from tests.archive.conftest import make_archive


def test_directories_and_globs_in_sorted_order_skipping_markers_and_output(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in", parts=3, per_part=2)
    (archive / "_SUCCESS").write_text("")
    (archive / ".news-9.jsonl.tmp").write_text("")
    (archive / "notes.txt").write_text("not an archive file")
    out = archive / "out"
    out.mkdir()
    (out / "part-00000.jsonl").write_text("{}\n")
    names = [p.name for p in expand_inputs([str(archive)], skip=out)]
    assert names == ["news-000.jsonl", "news-001.jsonl", "news-002.jsonl"]
    assert [p.name for p in expand_inputs([str(archive / "news-00[12].jsonl")])] == names[1:]
    assert all(p.is_absolute() for p in expand_inputs([str(archive)]))


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "a.txt").write_text("x")
    for bad, message in (
        ("missing.jsonl", "no such file"),
        ("nothing-*.jsonl", "matches no"),
        ("empty", "holds no"),
        ("a.txt", ".jsonl or .parquet"),
    ):
        with pytest.raises(ClassifierError, match=message):
            expand_inputs([str(tmp_path / bad)])


def test_parquet_row_groups_are_partitions_with_row_numbers(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": None if i == 3 else f"x{i}", "title": "标题", "text": f"第{i}篇股市上涨"} for i in range(7)]
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=3)
    partitions = list_partitions([path])
    assert partitions == [Partition(str(path), 0, 0), Partition(str(path), 1, 3), Partition(str(path), 2, 6)]
    second = list(read_partition(partitions[1]))
    assert [a.id for a in second] == ["data-R4", "x4", "x5"]  # a missing id: the file's stem and row
    assert describe_file(str(path))["articles"] == 7


def test_a_parquet_row_without_text_names_its_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "a", "text": "股市"}, {"id": "b", "text": None}]), path)
    with pytest.raises(ClassifierError, match=r"data\.parquet: row 2: empty article"):
        list(read_partition(list_partitions([path])[0]))
    pq.write_table(pa.Table.from_pylist([{"id": "a", "body": "股市"}]), path)
    with pytest.raises(ClassifierError, match='no "text" column'):
        list(read_partition(list_partitions([path])[0]))


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("hello")
    with pytest.raises(ClassifierError, match="not a Parquet file"):
        list_partitions([path])


def test_jsonl_partition_and_its_description(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in", parts=1, per_part=4, bad=(0, 2))
    path = archive / "news-000.jsonl"
    with pytest.raises(ClassifierError, match=r"news-000\.jsonl:2: not valid JSON"):
        list(read_partition(Partition(str(path))))
    described = describe_file(str(path))
    assert described["articles"] == 4 and described["bytes"] == path.stat().st_size and len(described["sha256"]) == 64
