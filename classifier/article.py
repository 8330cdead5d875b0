"""The article record every module passes around, and counts of its topics."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: Fields with a fixed meaning; anything else a reader finds goes to ``Article.extra``.
CORE_FIELDS = ("id", "title", "text", "topics")


@dataclass
class Article:
    """One news article.

    Attributes
    ----------
    id : str
        Stable identifier. For split newspaper pages it is ``<page stem>-<NN>``.
    title : str
        Headline, possibly empty.
    text : str
        Body text, paragraphs separated by ``\\n``.
    topics : list of str or None
        Gold topics when the article is labelled, ``None`` when it is not.
    extra : dict
        Optional metadata: ``date``, ``source``, and from the page splitter
        ``kind`` (article / caption / notice / slogan), ``byline``, ``continued_from``.
    """

    id: str
    title: str
    text: str
    topics: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        """``"title\nbody"``, the input the model sees (the first line is always the title, maybe empty)."""
        return f"{self.title}\n{self.text}"

    @property
    def date(self) -> date | None:
        """The article's date (``extra["date"]``), or ``None`` when it has none or it cannot be read."""
        return parse_date(self.extra.get("date"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title, "text": self.text}
        if self.topics is not None:
            out["topics"] = list(self.topics)
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, record: dict[str, Any], default_id: str = "") -> Article:
        extra = {k: v for k, v in record.items() if k not in CORE_FIELDS}
        topics = record.get("topics")
        return cls(
            id=str(record.get("id") or default_id),
            title=str(record.get("title") or ""),
            text=str(record.get("text") or ""),
            topics=list(topics) if topics is not None else None,
            extra=extra,
        )


def topic_counts(articles: Sequence[Article], topics: Sequence[str]) -> dict[str, int]:
    """Articles per topic, in ``topics`` order, plus ``(none)`` for the articles with the empty set."""
    counts = Counter(t for a in articles for t in a.topics or [])
    out = {t: counts.get(t, 0) for t in topics}
    out["(none)"] = sum(1 for a in articles if not a.topics)
    return out


_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_SEPARATED_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def parse_date(value: object) -> date | None:
    """A date from ``20250102``, ``2025-01-02``, ``2025/1/2`` or an ISO timestamp; ``None`` otherwise."""
    if not isinstance(value, str):
        return None
    match = _COMPACT_DATE.match(value) or _SEPARATED_DATE.match(value)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
