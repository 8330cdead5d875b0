"""Hand labels: reading, resolving against the seed pages, checking, statistics.

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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.paths import LABELS_DIR, SEEDS_DIR
from classifier.reader import INPUT_SUFFIXES, read_text_file


@dataclass
class LabelRecord:
    """One line of a label file, with where it came from."""

    record: dict
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def split_seed_pages(seeds_dir: Path = SEEDS_DIR) -> dict[str, Article]:
    """Split every seed page into articles, keyed by article id."""
    return dict(_split_seed_pages_cached(Path(seeds_dir).resolve()))


@lru_cache(maxsize=4)
def _split_seed_pages_cached(seeds_dir: Path) -> tuple[tuple[str, Article], ...]:
    from classifier.split import split_page

    pages = sorted(p for p in seeds_dir.glob("*") if p.suffix.lower() in INPUT_SUFFIXES[:1])
    return tuple((article.id, article) for page in pages for article in split_page(read_text_file(page), page.stem))


def label_files(paths: Sequence[Path | str] | None = None) -> list[Path]:
    """The label files named by ``paths`` (files or directories); default: ``labels/*.jsonl``."""
    files: list[Path] = []
    for raw in paths or [LABELS_DIR]:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise ClassifierError(f"{path}: no such label file or directory")
    if not files:
        raise ClassifierError(f"no label files (*.jsonl) in {', '.join(str(p) for p in paths or [LABELS_DIR])}")
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


def check_records(
    records: Sequence[LabelRecord], topics: Sequence[str] | None, seed_articles: dict[str, Article]
) -> list[str]:
    """Every problem of the label records, one ``file:line: message`` string each.

    ``topics=None`` accepts any topic id (a user's own categories).
    """
    problems: list[str] = []
    seen: dict[str, str] = {}
    for rec in records:
        r = rec.record
        rid = r.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(f'{rec.where}: no "id"')
            continue
        if rid in seen:
            problems.append(f"{rec.where}: duplicate id {rid!r} (first at {seen[rid]})")
        else:
            seen[rid] = rec.where
        tops = r.get("topics")
        if not isinstance(tops, list) or not all(isinstance(t, str) for t in tops):
            problems.append(f'{rec.where}: "topics" must be a list of topic ids')
        else:
            if topics is not None:
                problems.extend(f"{rec.where}: unknown topic {t!r}" for t in tops if t not in topics)
            if len(set(tops)) != len(tops):
                problems.append(f"{rec.where}: a topic is listed twice")
        if "text" in r:
            if not isinstance(r["text"], str) or not r["text"].strip():
                problems.append(f'{rec.where}: empty "text"')
        elif rid not in seed_articles:
            problems.append(f"{rec.where}: id {rid!r} does not resolve to a seed article and the record has no text")
        elif r.get("title") is not None and r["title"] != seed_articles[rid].title:
            problems.append(f"{rec.where}: id {rid!r} now names {seed_articles[rid].title!r}, not {r['title']!r}")
    return problems


def check_labels(paths: Sequence[Path | str] | None, topics: Sequence[str], seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """Check label files; an empty list means they are fine."""
    records, problems = read_label_records(label_files(paths))
    return problems + check_records(records, topics, split_seed_pages(seeds_dir))


def load_labelled_articles(
    paths: Sequence[Path | str] | None, topics: Sequence[str] | None, seeds_dir: Path = SEEDS_DIR
) -> list[Article]:
    """The labelled articles of the label files, texts resolved from the seed pages.

    Raises
    ------
    ClassifierError
        With the first problem and a count of the rest, when ``check_labels`` would complain.
    """
    records, problems = read_label_records(label_files(paths))
    seeds = split_seed_pages(seeds_dir)
    problems += check_records(records, topics, seeds)
    if problems:
        more = f" (and {len(problems) - 1} more problems; run `classifier labels check`)" if len(problems) > 1 else ""
        raise ClassifierError(problems[0] + more)
    articles = []
    for rec in records:
        r = rec.record
        if "text" in r:
            article = Article.from_dict(r)
        else:
            seed = seeds[r["id"]]
            article = Article(id=seed.id, title=seed.title, text=seed.text, extra=dict(seed.extra))
        article.topics = list(r["topics"])
        articles.append(article)
    return articles


def read_training_file(path: Path | str, topics: Sequence[str] | None = None) -> list[Article]:
    """Read a labelled JSONL of full articles (``id``, ``title``, ``text``, ``topics``) such as a test set.

    Raises
    ------
    ClassifierError
        When a line has no ``topics``, or a topic not in ``topics`` (when given).
    """
    from classifier.reader import read_jsonl

    articles = list(read_jsonl(Path(path)))
    for n, article in enumerate(articles, start=1):
        if article.topics is None:
            raise ClassifierError(f'{path}: article {article.id!r} (record {n}) has no "topics"')
        if topics is not None:
            unknown = sorted(set(article.topics) - set(topics))
            if unknown:
                raise ClassifierError(f"{path}: article {article.id!r} has topics unknown to the model: {unknown}")
    return articles


def topic_counts(articles: Sequence[Article], topics: Sequence[str]) -> dict[str, int]:
    """Articles per topic, in taxonomy order, plus ``(none)`` for the empty set."""
    counts = Counter(t for a in articles for t in a.topics or [])
    out = {t: counts.get(t, 0) for t in topics}
    out["(none)"] = sum(1 for a in articles if not a.topics)
    return out


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
