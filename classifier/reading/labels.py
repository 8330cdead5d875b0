"""Label files: reading them, checking every record, resolving seed articles, statistics.

A label file is JSONL, one record a line, keyed by article id::

    {"id": "000_10373714aa9facff-01", "title": "...", "topics": ["environment"]}
    {"id": "my-0001", "title": "...", "text": "...", "topics": ["energy", "industry"]}

A record without ``text`` points at a seed article (split from ``seeds/``); its ``title``
is kept so that ``labels check`` notices when an id comes to name another article.
A record with ``text`` carries its own article (a user's new labels).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.locations import labels_dir, seed_labels_file, seeds_dir
from classifier.reading.reader import read_text_file


@dataclass
class LabelRecord:
    """One line of a label file, with where it came from."""

    record: dict
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def split_seed_pages(folder: Path | None = None) -> dict[str, Article]:
    """Split every seed page (``*.txt`` in ``folder``, default :func:`~classifier.locations.seeds_dir`) into articles, by id."""
    return dict(_split_seed_pages_cached(Path(folder or seeds_dir()).resolve()))


@lru_cache(maxsize=4)
def _split_seed_pages_cached(folder: Path) -> tuple[tuple[str, Article], ...]:
    from classifier.reading.split import split_page

    pages = sorted(p for p in folder.glob("*") if p.suffix.lower() == ".txt")
    return tuple((article.id, article) for page in pages for article in split_page(read_text_file(page), page.stem))


def label_files(paths: Sequence[Path | str] | None = None) -> list[Path]:
    """The label files named by ``paths`` (files or directories); default: ``labels/*.jsonl``.

    Installed from a wheel, the default also holds the seed labels the wheel carries (while the
    user's labels directory has no ``seed_labels.jsonl`` of its own).
    """
    files: list[Path] = []
    default = [labels_dir()]
    if not paths:
        seed = seed_labels_file()
        if seed.parent != labels_dir() and seed.is_file():
            files.append(seed)
        paths = [d for d in default if d.exists()] or ([] if files else default)
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise ClassifierError(f"{path}: no such label file or directory")
    if not files:
        raise ClassifierError(f"no label files (*.jsonl) in {', '.join(str(p) for p in paths or default)}")
    return files


def read_label_records(files: Iterable[Path]) -> tuple[list[LabelRecord], list[str]]:
    """Parse label files; return the records and the problems of lines that could not be parsed."""
    records: list[LabelRecord] = []
    problems: list[str] = []
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8 text")
            continue
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{path}:{lineno}: not valid JSON ({error.msg})")
                continue
            if not isinstance(record, dict):
                problems.append(f"{path}:{lineno}: not a JSON object")
                continue
            records.append(LabelRecord(record, path, lineno))
    return records, problems


def validate_record(
    record: dict[str, Any], where: str, topics: Sequence[str] | None, seed_articles: dict[str, Article]
) -> list[str]:
    """The problems of one label record, each ``where: message``; an empty list when it is fine.

    ``topics=None`` accepts any topic id (a user's own categories). A record without ``text``
    must name a seed article, and its ``title`` (when given) must still be that article's.
    """
    problems: list[str] = []
    rid = record.get("id")
    if not isinstance(rid, str) or not rid:
        return [f'{where}: no "id"']
    tops = record.get("topics")
    if not isinstance(tops, list) or not all(isinstance(t, str) for t in tops):
        problems.append(f'{where}: "topics" must be a list of topic ids')
    else:
        if topics is not None:
            problems.extend(f"{where}: unknown topic {t!r}{_did_you_mean(t, topics)}" for t in tops if t not in topics)
        if len(set(tops)) != len(tops):
            problems.append(f"{where}: a topic is listed twice")
    if "text" in record:
        if not isinstance(record["text"], str) or not record["text"].strip():
            problems.append(f'{where}: empty "text"')
    elif rid not in seed_articles:
        problems.append(f"{where}: id {rid!r} does not resolve to a seed article and the record has no text")
    elif record.get("title") is not None and record["title"] != seed_articles[rid].title:
        problems.append(f"{where}: id {rid!r} now names {seed_articles[rid].title!r}, not {record['title']!r}")
    return problems


def _did_you_mean(topic: str, topics: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(topic, list(topics), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def check_records(
    records: Sequence[LabelRecord], topics: Sequence[str] | None, seed_articles: dict[str, Article]
) -> list[str]:
    """Every problem of the label records (:func:`validate_record`, and duplicate ids), one ``file:line: message`` each."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for rec in records:
        found = validate_record(rec.record, rec.where, topics, seed_articles)
        rid = rec.record.get("id")
        if isinstance(rid, str) and rid:
            if rid in seen:
                found.insert(0, f"{rec.where}: duplicate id {rid!r} (first at {seen[rid]})")
            else:
                seen[rid] = rec.where
        problems += found
    return problems


def check_labels(paths: Sequence[Path | str] | None, topics: Sequence[str]) -> list[str]:
    """Check label files; an empty list means they are fine."""
    records, problems = read_label_records(label_files(paths))
    return problems + check_records(records, topics, split_seed_pages())


def load_labelled_articles(paths: Sequence[Path | str] | None, topics: Sequence[str] | None) -> list[Article]:
    """The labelled articles of the label files, texts resolved from the seed pages.

    Raises
    ------
    ClassifierError
        With the first problem and a count of the rest, when ``check_labels`` would complain.
    """
    return [article for articles in load_labelled_by_file(paths, topics).values() for article in articles]


def load_labelled_by_file(
    paths: Sequence[Path | str] | None, topics: Sequence[str] | None
) -> dict[Path, list[Article]]:
    """:func:`load_labelled_articles`, grouped by the label file each came from (in file order)."""
    records, problems = read_label_records(label_files(paths))
    seeds = split_seed_pages()
    problems += check_records(records, topics, seeds)
    if problems:
        more = f" (and {len(problems) - 1} more problems; run `classifier labels check`)" if len(problems) > 1 else ""
        raise ClassifierError(problems[0] + more)
    by_file: dict[Path, list[Article]] = {}
    for rec in records:
        r = rec.record
        if "text" in r:
            article = Article.from_dict(r)
        else:
            seed = seeds[r["id"]]
            article = Article(id=seed.id, title=seed.title, text=seed.text, extra=dict(seed.extra))
        article.topics = list(r["topics"])
        by_file.setdefault(rec.file, []).append(article)
    return by_file


def cooccurrence(articles: Sequence[Article], topics: Sequence[str]) -> dict[str, dict[str, int]]:
    """How many articles carry each pair of topics (the diagonal is the topic's own count)."""
    matrix = {a: dict.fromkeys(topics, 0) for a in topics}
    for article in articles:
        tags = [t for t in article.topics or [] if t in matrix]
        for t in tags:
            matrix[t][t] += 1
        for a, b in itertools.permutations(tags, 2):
            matrix[a][b] += 1
    return matrix
