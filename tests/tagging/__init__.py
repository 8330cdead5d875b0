"""Tests of classifier.tagging; the texts below are shared by them and by tests/model/test_text.py."""

from __future__ import annotations

from classifier.article import Article
from classifier.locations import shared_data_dir
from tests.conftest import SEEDS

# Texts where jieba-rs and jieba split differently unless corrected (see classifier.model.text).
TRICKY = [
    "日称,美军f-22战机已于当天飞抵",
    "今年1-4月继续保持增长势头,增长3.5%",
    "详见20th.cpcnews.cn和相关平台",
    "发射5米s-sar 01星 t-shirt b2b",
    "",
]


def seed_articles() -> list[Article]:
    from classifier.reading.reader import read_articles

    return list(read_articles([SEEDS]))


def sample_texts() -> list[str]:
    """Seed articles, texts where jieba-rs and jieba differ unless corrected, and the dev set when present."""
    texts = [a.full_text for a in seed_articles()] + TRICKY + [f"标题\n{t}" for t in TRICKY]
    dev = shared_data_dir() / "xwlb" / "dev.jsonl"
    if dev.exists():
        from classifier.reading.reader import read_articles

        texts += [a.full_text for a in read_articles([dev])]
    return texts
