"""The driver on a real Dask LocalCluster (two worker processes): identical output, crashes, resume, Parquet, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from classifier.archive.parts import MANIFEST, SUCCESS, read_output
from classifier.archive.run import parse_cluster, tag_archive
from classifier.errors import ClassifierError
from tests.archive.conftest import make_archive
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def local_jsonl(invoke, *paths: Path) -> str:
    """What `classifier tag PATHS --format jsonl` prints on one machine."""
    result = invoke("tag", *paths, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def concatenated(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(out.glob("part-*.jsonl")))


def worker_loads(client) -> dict[str, int]:
    return client.run(lambda: __import__("classifier.archive.udf", fromlist=["loads"]).loads)


def test_identical_to_local_tagging_and_one_model_load_per_worker(dask_client, tmp_path: Path, invoke) -> None:
    archive = make_archive(tmp_path / "in", parts=6, per_part=40)
    before = worker_loads(dask_client)
    report = tag_archive([str(archive)], tmp_path / "out", "unused", client=dask_client)
    after = worker_loads(dask_client)
    out = tmp_path / "out"
    assert concatenated(out) == local_jsonl(invoke, archive)
    assert (out / SUCCESS).exists()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["counts"] == {"parts": 6, "parts_done": 6, "articles": 240}
    assert [p["articles"] for p in manifest["parts"]] == [40] * 6
    assert len(manifest["inputs"]) == 6 and all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert (report.parts, report.tagged, report.skipped, report.articles) == (6, 6, 0, 240)
    # Six tasks, one (new) model: loaded at most once by each worker, never once per task.
    assert all(after[w] - before.get(w, 0) <= 1 for w in after)
    assert sum(after.values()) - sum(before.values()) >= 1
    # Run again: every part is found done and nothing is tagged.
    again = tag_archive([str(archive)], out, "unused", client=dask_client)
    assert (again.tagged, again.skipped) == (0, 6)


def test_the_cli_on_a_local_cluster(tmp_path: Path, invoke) -> None:
    archive = make_archive(tmp_path / "in", parts=2, per_part=20)
    result = invoke("tag", str(archive / "*.jsonl"), "--cluster", "local:2", "--output", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "dashboard: http" in result.stderr
    assert concatenated(tmp_path / "out") == local_jsonl(invoke, archive)


def test_a_worker_killed_mid_job(dask_client, tmp_path: Path, invoke) -> None:
    archive = make_archive(tmp_path / "in", parts=10, per_part=150)
    out = tmp_path / "out"
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["report"] = tag_archive([str(archive)], out, "unused", client=dask_client)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not list(out.glob("part-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert thread.is_alive(), "the job ended before a worker could be killed; make the input larger"
    victim = next(iter(dask_client.run(os.getpid).values()))
    os.kill(victim, signal.SIGKILL)
    thread.join(120)
    assert "error" not in outcome, outcome.get("error")
    assert concatenated(out) == local_jsonl(invoke, archive)
    assert (out / SUCCESS).exists() and not list(out.glob(".part-*"))
    dask_client.wait_for_workers(2, timeout=60)


def test_the_client_killed_then_rerun_resumes(dask_client, tmp_path: Path, invoke) -> None:
    archive = make_archive(tmp_path / "in", parts=16, per_part=150)
    out = tmp_path / "out"
    address = dask_client.scheduler.address
    command = [sys.executable, "-m", "classifier", "tag", str(archive), "--cluster", address, "--output", str(out)]
    client = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done: list[dict] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and client.poll() is None:
        try:
            manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            manifest = {"parts": []}
        done = [p for p in manifest["parts"] if p.get("done")]
        if len(done) >= 2:
            break
        time.sleep(0.01)
    client.send_signal(signal.SIGKILL)
    client.wait()
    assert 2 <= len(done) < 16, f"killed with {len(done)} parts done; {client.stderr.read().decode()[-500:]}"
    assert not (out / SUCCESS).exists()
    stamps = {p["name"]: (out / p["name"]).stat().st_mtime_ns for p in done}
    time.sleep(0.05)
    report = tag_archive([str(archive)], out, "unused", client=dask_client)
    # The parts the manifest had recorded are kept as they were; only the rest were tagged again.
    assert report.skipped >= len(done) and report.tagged == 16 - report.skipped
    assert all((out / name).stat().st_mtime_ns == stamp for name, stamp in stamps.items())
    assert concatenated(out) == local_jsonl(invoke, archive)
    assert (out / SUCCESS).exists()


def test_parquet_in_and_out_value_for_value(dask_client, tmp_path: Path, invoke) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    archive = make_archive(tmp_path / "in", parts=2, per_part=30)
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for path in sorted(archive.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        pq.write_table(pa.Table.from_pylist(rows), dataset / f"{path.stem}.parquet", row_group_size=10)
    report = tag_archive([str(dataset)], tmp_path / "out", "unused", fmt="parquet", client=dask_client)
    assert report.parts == 6  # three row groups a file
    expected = [json.loads(line) for line in local_jsonl(invoke, archive).splitlines()]
    assert read_output(tmp_path / "out") == expected
    # And JSONL in, Parquet out, with explanations.
    tag_archive([str(archive)], tmp_path / "out2", "unused", fmt="parquet", explain=True, client=dask_client)
    result = invoke("tag", archive, "--format", "jsonl", "--explain")
    assert read_output(tmp_path / "out2") == [json.loads(line) for line in result.stdout.splitlines()]


def test_a_bad_line_names_file_and_line_and_no_success(dask_client, tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "in", parts=4, per_part=20, bad=(2, 7))
    out = tmp_path / "out"
    with pytest.raises(ClassifierError, match=r"news-002\.jsonl:7: not valid JSON"):
        tag_archive([str(archive)], out, "unused", client=dask_client)
    assert not (out / SUCCESS).exists()
    assert not json.loads((out / MANIFEST).read_text(encoding="utf-8"))["complete"]


def test_a_bad_line_on_the_command_line(tmp_path: Path, invoke) -> None:
    from tests.conftest import one_line_error

    archive = make_archive(tmp_path / "in", parts=2, per_part=5, bad=(1, 3))
    result = invoke("tag", archive, "--cluster", "local:1", "--output", tmp_path / "out")
    assert "news-001.jsonl:3: not valid JSON" in one_line_error(result)
    assert not (tmp_path / "out" / SUCCESS).exists()


def test_cluster_spellings() -> None:
    assert parse_cluster("local") == ("local", None)
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("tcp://host:8786") == ("tcp://host:8786", None)
    for bad in ("local:0", "local:x", "spark"):
        with pytest.raises(ClassifierError):
            parse_cluster(bad)


def test_the_progress_line_counts_parts_and_articles() -> None:
    import io

    from classifier.archive.run import ArchiveProgress

    progress = ArchiveProgress(parts=20, done_parts=3, total=230_000, stream=io.StringIO())
    progress.done = 52_000
    line = progress.line(26.0)
    assert line.startswith("parts 3/20  [")
    assert "52,000/230,000 articles  2,000/s  ETA 1:29" in line
