"""Two people labelling one store: claims keep them off each other's articles, nothing is silently
replaced, and an import counts all or nothing."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.article import Article
from classifier.labelling.journal import LabelJournal, open_journal
from classifier.labelling.review import Guesser, Item, Review
from tests.conftest import write_jsonl

TOPICS = ["environment", "energy", "culture"]
ARTICLES = [Article(f"t{i}", f"标题{i}", f"正文{i}") for i in range(1, 5)]


class Keys:
    """A keyboard whose keys come from a list; a callable in the list runs at that point (the other person)."""

    def __init__(self, *keys: object) -> None:
        self._keys = keys

    def keys(self) -> Iterator[str]:
        for key in self._keys:
            if callable(key):
                key()
                continue
            yield str(key)
        yield "q"


def review(store: LabelJournal, annotator: str) -> Review:
    items = (Item(article=a, source="pool") for a in ARTICLES)
    return Review(items, store, TOPICS, {}, Guesser(None), annotator, out=io.StringIO())


def shown(r: Review) -> list[str]:
    return [item.article.id for item in r.history]


@pytest.fixture
def store(tmp_path: Path) -> LabelJournal:
    return open_journal(tmp_path / "labels" / "new_labels.jsonl")


def test_two_sessions_are_never_offered_the_same_article(store: LabelJournal) -> None:
    """Both used to show t1 first; the second decision silently replaced the first, both told "saved"."""
    ann, bob = review(store, "ann"), review(store, "bob")
    bob_saw: list[str] = []

    def bob_works() -> None:
        # Ann has t1 on screen: Bob starts and is shown t2; he labels it culture and quits.
        bob.run(Keys("c", "\r"))
        bob_saw.extend(shown(bob))

    ann.run(Keys(bob_works, "e", "\r", "n", "\r"))
    assert bob_saw[0] == "t2"
    assert shown(ann) == ["t1", "t3", "t4"]  # t2 was Bob's: passed over
    labels = {i: r["topics"] for i, r in store.labels().items()}
    assert labels == {"t1": ["environment"], "t2": ["culture"], "t3": ["energy"]}
    assert ann.taken == 1


def test_a_decision_made_meanwhile_is_not_silently_replaced(store: LabelJournal) -> None:
    ann = review(store, "ann")

    def bob_labels_t1() -> None:  # e.g. `classifier labels add t1 --topics culture`
        store.record(ARTICLES[0], ["culture"], "bob", "cli")

    ann.run(Keys("e", bob_labels_t1, "\r"))
    assert "bob decided t1 since you started (culture)" in ann.out.getvalue()
    assert store.labels()["t1"]["topics"] == ["culture"]  # Ann's first Enter saved nothing
    ann = review(store, "ann")
    ann.run(Keys("e", bob_labels_t1, "\r", "\r"))  # told, she saves again: hers replaces his
    assert store.labels()["t1"]["topics"] == ["environment"] and store.labels()["t1"]["annotator"] == "ann"


def test_a_session_that_died_holds_its_claims_only_until_they_time_out(
    store: LabelJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.labelling.journal as journal

    dead = store.start_session("ann")
    assert store.claim("t1", dead) is None  # shown, then the process was killed: no end line
    bob = store.start_session("bob")
    assert store.claim("t1", bob) == "ann has it on screen"
    monkeypatch.setattr(journal, "CLAIM_TIMEOUT", journal.timedelta(0))
    assert store.claim("t1", bob) is None


def test_an_import_interrupted_half_way_imports_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 during `label import` used to leave 1,010 of 1,979 labels."""
    from classifier.labelling.journal import import_records

    store = open_journal(tmp_path / "labels" / "new_labels.jsonl")
    records = [(f"f:{i}", {"id": f"a{i}", "text": f"正文{i}", "topics": ["energy"]}) for i in range(100)]
    real_append = LabelJournal._append

    def dies_half_way(self: LabelJournal, entries: list) -> None:
        real_append(self, entries[: len(entries) // 2])
        raise KeyboardInterrupt  # the process is gone: nothing after this runs

    monkeypatch.setattr(LabelJournal, "_append", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        import_records(store, records, ["energy"], "ann", "f.jsonl")
    monkeypatch.undo()
    reopened = open_journal(tmp_path / "labels" / "new_labels.jsonl")
    assert reopened.labels() == {}
    assert len(store.journal_path.read_text(encoding="utf-8").splitlines()) == 50  # the half written is there, unread
    assert import_records(reopened, records, ["energy"], "ann", "f.jsonl") == 100
    assert len(open_journal(tmp_path / "labels" / "new_labels.jsonl").labels()) == 100


@pytest.mark.slow
def test_kill_9_during_import_imports_all_or_nothing(tmp_path: Path) -> None:
    records = [
        {"id": f"a{i}", "title": "", "text": "光伏发电并网，新能源装机增长。" * 20, "topics": ["energy"]}
        for i in range(2000)
    ]
    source = write_jsonl(tmp_path / "many.jsonl", records)
    outcomes = set()
    for n, delay in enumerate((0.6, 0.8, 1.0, 1.2, 1.5)):
        store_path = tmp_path / f"store{n}" / "new_labels.jsonl"
        command = [
            sys.executable,
            "-m",
            "classifier",
            "labels",
            "import",
            str(source),
            "--label-store",
            str(store_path),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        count = len(open_journal(store_path).labels())
        assert count in (0, 2000), f"{count} of 2000 imported after kill -9 at {delay} s"
        outcomes.add(count)
    assert json.dumps(sorted(outcomes))  # 0, 2000, or both, never a part
