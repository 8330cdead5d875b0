"""Archive fixtures: small JSONL archives of made-up articles, and one real Dask LocalCluster per module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MONEY, SPORT


def make_archive(folder: Path, parts: int, per_part: int, bad: tuple[int, int] | None = None) -> Path:
    """``parts`` JSONL files of ``per_part`` articles each (``bad=(part, line)``: that line is not JSON)."""
    folder.mkdir(parents=True, exist_ok=True)
    sentences = SPORT + MONEY
    for p in range(parts):
        lines = []
        for n in range(per_part):
            k = p * per_part + n
            text = "。".join(sentences[(k + j * 3) % len(sentences)] for j in range(1 + k % 7))
            record = {"id": f"a{k}", "title": sentences[k % len(sentences)][:8], "text": text}
            lines.append(json.dumps(record, ensure_ascii=False))
        if bad is not None and bad[0] == p:
            lines[bad[1] - 1] = '{"id": "broken", "text": '
        (folder / f"news-{p:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    """A real cluster: two single-threaded worker processes (each behind a nanny that restarts it)."""
    import logging

    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
