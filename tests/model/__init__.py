"""Tests of classifier.model; ``corpus()`` is a tiny training set shared by them."""

from __future__ import annotations

from classifier.article import Article
from tests.conftest import MONEY, SPORT


def corpus() -> list[Article]:
    """Eight articles of two categories of the user's own."""
    return [Article(f"s{i}", "", t, ["sport"]) for i, t in enumerate(SPORT)] + [
        Article(f"m{i}", "", t, ["money"]) for i, t in enumerate(MONEY)
    ]
