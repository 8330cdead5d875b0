"""The label journal: new hand labels as an append-only decision log and the label file materialised from it.

Two files per label store (default ``labels/new_labels.jsonl``)::

    labels/journal/new_labels.jsonl   # every decision ever made, one JSON object a line, append-only
    labels/new_labels.jsonl           # the latest label per article id, rewritten atomically

The journal is the truth. Each decision is appended and fsync'd before anything else happens,
so a crash or Ctrl-C loses at most the keystroke being typed; the label file is then rebuilt
from the journal with :func:`classifier.files.write_atomic`. A correction is simply a later
decision for the same id: the journal keeps both, the label file holds the latest, so
``labels check`` never sees a duplicate id. A "skip" is journalled too (so a resumed review does
not show the article again) but never reaches the label file.

The journal lives in a sub-directory because ``classifier train`` reads every ``labels/*.jsonl``
(not recursively): the materialised file is training data, the journal is history.

Records of the label file follow :mod:`classifier.reading.labels`: an article split from the seed pages
is referenced by ``id`` and ``title``; any other article carries its own ``text``. Every record
says who labelled it and when (``annotator``, ``labelled``), where the article came from
(``source``) and how the decision relates to the model's guess (``decision``: ``accepted``,
``changed`` or ``none``; ``manual`` when no guess was shown). The guess itself is never written
as a label.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.files import write_atomic
from classifier.locations import labels_dir
from classifier.reading.labels import read_label_records, split_seed_pages, validate_record

#: The label store new decisions go to unless told otherwise, in :func:`~classifier.locations.labels_dir`.
DEFAULT_STORE_NAME = "new_labels.jsonl"
JOURNAL_DIR = "journal"
#: Journal actions: a label (possibly the empty set) or a deliberate skip, the decisions; a review
#: session's claim on an article it shows, and its end (which releases its claims); the commit line
#: that makes an import's lines count.
LABEL, SKIP = "label", "skip"
CLAIM, END, COMMIT = "claim", "end", "commit"
#: A claim not refreshed for this long is taken to belong to a session that died.
CLAIM_TIMEOUT = timedelta(minutes=30)
#: Article fields copied into a label record when the article is not a seed article.
ARTICLE_FIELDS = ("date",)


def default_annotator() -> str:
    """Who is labelling: ``$USER`` (or the login name), ``unknown`` when neither is known."""
    try:
        return os.environ.get("USER") or getpass.getuser() or "unknown"
    except Exception:  # noqa: BLE001 - getuser raises various errors without a passwd entry
        return "unknown"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_topics(text: str, allowed: Sequence[str]) -> list[str]:
    """Parse ``a,b`` (or ``none`` / empty for the empty set) into topic ids, in taxonomy order.

    Raises
    ------
    ClassifierError
        On a topic not in ``allowed``.
    """
    raw = [t.strip() for t in text.replace(" ", ",").split(",") if t.strip()]
    if raw in ([], ["none"], ["-"]):
        return []
    unknown = [t for t in raw if t not in allowed]
    if unknown:
        raise ClassifierError(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(allowed)}")
    return [t for t in allowed if t in raw]


def decision_kind(topics: Sequence[str], guess: Sequence[str] | None) -> str:
    """How a chosen topic set relates to the model's guess."""
    if guess is None:
        return "manual"
    if not topics:
        return "none"
    return "accepted" if sorted(topics) == sorted(guess) else "changed"


@dataclass
class LabelJournal:
    """One label store: its decision journal and materialised label file, and the other label files it must not clash with.

    Parameters
    ----------
    path : Path
        The materialised label file (``labels/new_labels.jsonl`` by default).
    seed_articles : dict
        Seed articles by id: their labels need no ``text``.
    other_labels : dict
        Ids already labelled in other label files (id -> ``file:line``). A decision on one of
        those ids would make a duplicate, so it is refused.
    """

    path: Path
    seed_articles: dict[str, Article] = field(default_factory=dict)
    other_labels: dict[str, str] = field(default_factory=dict)

    @property
    def journal_path(self) -> Path:
        return self.path.parent / JOURNAL_DIR / self.path.name

    # -- reading -------------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every journal line in order: decisions, claims, session ends, import commits.

        A torn last line (a crash mid-write) is ignored, and so are the lines of an import whose
        commit line never came (a crash mid-import): an import counts all or nothing.
        """
        if not self.journal_path.is_file():
            return []
        out = []
        lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if n == len(lines):
                    continue
                raise ClassifierError(f"{self.journal_path}:{n}: not valid JSON") from None
            out.append(entry)
        committed = {e["txn"] for e in out if e.get("action") == COMMIT}
        return [e for e in out if "txn" not in e or e["txn"] in committed]

    def journal(self) -> list[dict[str, Any]]:
        """Every decision (labels and skips) in order."""
        return [e for e in self.entries() if e.get("action", LABEL) in (LABEL, SKIP)]

    def latest(self) -> dict[str, dict[str, Any]]:
        """The last decision per id (labels and skips), in first-decided order."""
        latest: dict[str, dict[str, Any]] = {}
        for entry in self.journal():
            latest[entry["id"]] = entry
        return latest

    def labels(self) -> dict[str, dict[str, Any]]:
        """The current label record per id (skips left out)."""
        return {i: label_record(e) for i, e in self.latest().items() if e.get("action", LABEL) == LABEL}

    def snapshot(self, until: datetime) -> list[dict[str, Any]]:
        """The label records as they stood at ``until`` (decisions made later left out)."""
        latest: dict[str, dict[str, Any]] = {}
        for entry in self.journal():
            if datetime.fromisoformat(entry["labelled"]) <= until:
                latest[entry["id"]] = entry
        return [label_record(e) for e in latest.values() if e.get("action", LABEL) == LABEL]

    # -- writing -------------------------------------------------------------------------

    def check_free(self, article_id: str) -> None:
        """Refuse an id labelled in another file: a second label would be a duplicate id."""
        if article_id in self.other_labels:
            raise ClassifierError(
                f"{article_id}: already labelled at {self.other_labels[article_id]}; correct it there"
            )

    def record(self, article: Article, topics: Sequence[str] | None, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Journal one decision and refresh the label file. ``topics=None`` records a skip.

        The arguments are :meth:`entry`'s.

        Returns
        -------
        dict
            The journal entry written.
        """
        entry = self.entry(article, topics, *args, **kwargs)
        with self.locked():
            self._append([entry])
            self.materialise()
        return entry

    def entry(
        self,
        article: Article,
        topics: Sequence[str] | None,
        annotator: str,
        source: str,
        guess: Sequence[str] | None = None,
        model: str | None = None,
        session: str | None = None,
    ) -> dict[str, Any]:
        """The journal entry of one decision (not written)."""
        self.check_free(article.id)
        entry: dict[str, Any] = {"id": article.id, "title": article.title}
        if article.id not in self.seed_articles:
            entry["text"] = article.text
            entry.update({k: article.extra[k] for k in ARTICLE_FIELDS if k in article.extra})
        if topics is None:
            entry["action"] = SKIP
        else:
            entry["action"] = LABEL
            entry["topics"] = list(topics)
            entry["decision"] = decision_kind(topics, guess)
        entry.update({"annotator": annotator, "labelled": now_iso(), "source": source})
        if guess is not None:
            # Kept for auditing how often the model was right; never read as a label.
            entry["model_topics"] = list(guess)
            if model:
                entry["model"] = model
        if session:
            entry["session"] = session
        return entry

    def record_all(self, entries: Sequence[dict[str, Any]]) -> None:
        """Journal many decisions all or nothing (an import): a crash before the commit line leaves none."""
        txn = uuid.uuid4().hex
        with self.locked():
            self._append([{**e, "txn": txn} for e in entries] + [{"action": COMMIT, "txn": txn, "at": now_iso()}])
            self.materialise()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock: one writer at a time, so a label file is never rebuilt from a stale journal."""
        import fcntl

        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        with (self.journal_path.parent / f".{self.path.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _append(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append lines in one write and fsync them: after this returns, they survive a crash."""
        self.journal_path.parent.mkdir(parents=True, exist_ok=True)
        line = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
        with self.journal_path.open("a+b") as out:
            out.seek(0, os.SEEK_END)
            if out.tell() > 0:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":
                    # A crash mid-write left a torn last line, a decision never confirmed: cut it
                    # off, or this entry would be glued to it and lost.
                    out.seek(0)
                    out.truncate(out.read().rfind(b"\n") + 1)
            out.write(line.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())

    # -- review sessions ------------------------------------------------------------------

    def start_session(self, annotator: str) -> Session:
        """A review session: its claims keep other sessions off the articles it shows."""
        return Session(
            id=f"{annotator}-{os.getpid()}-{uuid.uuid4().hex[:8]}", annotator=annotator, start=len(self.entries())
        )

    def claim(self, article_id: str, session: Session) -> str | None:
        """Claim an article for a session before showing it; ``None`` when it may be shown, else why not.

        Refused when another live session claims it, or someone decided it since the session started.
        """
        with self.locked():
            entries = self.entries()
            decided = self._decided_since(entries, article_id, session)
            if decided is not None:
                return f"{decided.get('annotator', 'someone')} decided it since this session started"
            holder = self._claims(entries).get(article_id)
            if holder is not None and holder["session"] != session.id:
                return f"{holder.get('annotator', 'someone')} has it on screen"
            self._append(
                [
                    {
                        "id": article_id,
                        "action": CLAIM,
                        "session": session.id,
                        "annotator": session.annotator,
                        "at": now_iso(),
                    }
                ]
            )
        return None

    def conflict(self, article_id: str, session: Session) -> dict[str, Any] | None:
        """The decision someone else made on this article since the session started, if any."""
        return self._decided_since(self.entries(), article_id, session)

    def end_session(self, session: Session) -> None:
        """Release the session's claims."""
        with self.locked():
            self._append([{"action": END, "session": session.id, "at": now_iso()}])

    @staticmethod
    def _decided_since(entries: list[dict[str, Any]], article_id: str, session: Session) -> dict[str, Any] | None:
        found = None
        for entry in entries[session.start :]:
            if entry.get("id") == article_id and entry.get("action", LABEL) in (LABEL, SKIP):
                found = None if entry.get("session") == session.id else entry
        return found

    @staticmethod
    def _claims(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Live claims by article id: not released by a decision of the same session or its end, not stale."""
        now = datetime.now(UTC)
        ended = {e["session"] for e in entries if e.get("action") == END}
        claims: dict[str, dict[str, Any]] = {}
        for entry in entries:
            action = entry.get("action", LABEL)
            if action == CLAIM and entry["session"] not in ended:
                claims[entry["id"]] = entry
            elif action in (LABEL, SKIP) and claims.get(entry.get("id"), {}).get("session") == entry.get("session"):
                claims.pop(entry["id"], None)
        return {i: c for i, c in claims.items() if now - datetime.fromisoformat(c["at"]) < CLAIM_TIMEOUT}

    def materialise(self) -> int:
        """Rewrite the label file from the journal; return the number of labels."""
        records = list(self.labels().values())
        write_atomic(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return len(records)


@dataclass(frozen=True)
class Session:
    """One review session: who, and where the journal stood when it started (an entry count)."""

    id: str
    annotator: str
    start: int


def label_record(entry: dict[str, Any]) -> dict[str, Any]:
    """The label-file record of a journal entry: the label fields, without the model's guess."""
    keep = ("id", "title", "text", *ARTICLE_FIELDS, "topics", "decision", "annotator", "labelled", "source")
    return {k: entry[k] for k in keep if k in entry}


def default_store_path() -> Path:
    """``labels/new_labels.jsonl`` (in :func:`~classifier.locations.labels_dir`)."""
    return labels_dir() / DEFAULT_STORE_NAME


def open_journal(path: Path | None = None) -> LabelJournal:
    """The label store at ``path`` (default :func:`default_store_path`); the other ``*.jsonl`` files beside it count as existing labels.

    The journal is replayed into the label file on opening, which repairs a crash that came
    between the journal append and the label-file rewrite.
    """
    path = Path(path or default_store_path())
    if path.suffix != ".jsonl":
        raise ClassifierError(f"{path}: a label file must end in .jsonl")
    seeds = split_seed_pages()
    others = sorted(p for p in path.parent.glob("*.jsonl") if p.resolve() != path.resolve())
    records, _ = read_label_records(others)
    # Only records with topics are labels: an article file may sit beside the label file.
    other_labels = {str(r.record.get("id")): r.where for r in records if "topics" in r.record}
    store = LabelJournal(path=path, seed_articles=seeds, other_labels=other_labels)
    if store.journal_path.is_file():
        with store.locked():
            store.materialise()
    elif path.is_file() and path.stat().st_size:
        raise ClassifierError(f"{path}: has labels but no journal at {store.journal_path}; import it instead")
    return store


def find_articles(ids: Iterable[str], sources: Sequence[str | Path], store: LabelJournal) -> dict[str, Article]:
    """Find articles by id: in the store's journal, the seed pages, then the source files."""
    from classifier.reading.reader import read_articles

    wanted = set(ids)
    found: dict[str, Article] = {}
    for article_id, entry in store.latest().items():
        if article_id in wanted and "text" in entry:
            found[article_id] = Article.from_dict({k: v for k, v in entry.items() if k in ("id", "title", "text")})
    for article_id in wanted - found.keys():
        if article_id in store.seed_articles:
            found[article_id] = store.seed_articles[article_id]
    if wanted - found.keys() and sources:
        for article in read_articles(sources):
            if article.id in wanted and article.id not in found:
                found[article.id] = article
                if not wanted - found.keys():
                    break
    return found


def import_records(
    store: LabelJournal,
    records: Iterable[tuple[str, dict[str, Any]]],
    topics: Sequence[str],
    annotator: str,
    source: str,
) -> int:
    """Journal labelled records (``where``, record) from a file; return how many.

    Every record is checked (:func:`~classifier.reading.labels.validate_record`, and
    against ids labelled in other files) before any is written, so a bad line imports nothing.

    Raises
    ------
    ClassifierError
        With the first problem found.
    """
    staged = []
    for where, r in records:
        problems = validate_record(r, where, topics, store.seed_articles)
        if problems:
            raise ClassifierError(problems[0])
        store.check_free(r["id"])
        article = Article.from_dict(r) if "text" in r else store.seed_articles[r["id"]]
        staged.append((article, [t for t in topics if t in r["topics"]], str(r.get("annotator") or annotator)))
    store.record_all([store.entry(article, tops, who, source) for article, tops, who in staged])
    return len(staged)


def add_labels(
    store: LabelJournal,
    ids: Sequence[str],
    topics: str,
    sources: Sequence[str | Path],
    allowed: Sequence[str],
    annotator: str,
) -> list[dict[str, Any]]:
    """Label articles by id with the topics ``a,b`` (or ``none``); return the journal entries written.

    Articles are found in the store's journal, the seed pages, then ``sources``. Nothing is
    written unless every id is found and free (not labelled in another label file).
    """
    chosen = parse_topics(topics, allowed)
    for article_id in ids:
        store.check_free(article_id)
    found = find_articles(ids, sources, store)
    missing = [i for i in ids if i not in found]
    if missing:
        hint = "" if sources else " (give --from FILE for articles that are not seed articles)"
        raise ClassifierError(f"no article with id {', '.join(missing)}{hint}")
    where = ",".join(Path(s).name for s in sources) or "cli"
    return [store.record(found[i], chosen, annotator, source=where) for i in ids]


def import_file(store: LabelJournal, path: Path, topics: Sequence[str], annotator: str) -> int:
    """Import the labels of a JSONL file (all or nothing; see :func:`import_records`); return how many."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierError(f"{path}: no such file")
    records, problems = read_label_records([path])
    if problems:
        raise ClassifierError(problems[0])
    return import_records(store, ((r.where, r.record) for r in records), topics, annotator, path.name)


def journalled_stores(folder: Path | None = None) -> list[LabelJournal]:
    """Every label store with a journal in ``folder`` (default: the labels directory), oldest name first.

    Their history rebuilds the labels an older model was trained on.
    """
    folder = Path(folder or labels_dir())
    journals = folder / JOURNAL_DIR
    paths = sorted(journals.glob("*.jsonl")) if journals.is_dir() else []
    return [open_journal(folder / p.name) for p in paths]
