"""Chinese text: traditional to simplified (OpenCC), how Chinese a decoding looks, how wide it is on a terminal.

The model's features are simplified characters, so traditional text is converted before it is
featurised (:func:`to_simplified`, used by :func:`classifier.model.text.normalise`). OpenCC is
loaded only when a text holds a character it would change (:data:`TRADITIONAL_CHARS`, the
characters OpenCC's ``t2s`` maps to others, kept in ``traditional_chars.txt`` and checked against
OpenCC by the tests), so simplified text pays one set test per character and no conversion.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

_CHARS_FILE = Path(__file__).with_name("traditional_chars.txt")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.cache
def _traditional() -> frozenset[str]:
    # A set, not a regular-expression class: for 4,572 characters the set test is 10x faster
    # (24 against 242 us for a 480-character article; benchmarks/opencc_cost.py).
    return frozenset(_CHARS_FILE.read_text(encoding="utf-8").strip())


@functools.cache
def _converter() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def traditional_chars() -> frozenset[str]:
    """The characters OpenCC's ``t2s`` maps to others (a text without any is already simplified)."""
    return _traditional()


def has_traditional(text: str) -> bool:
    """Does the text hold a character OpenCC's ``t2s`` would change?"""
    return not _traditional().isdisjoint(text)


def to_simplified(text: str) -> str:
    """The text in simplified characters (OpenCC ``t2s``, phrase-aware); simplified text is returned as it is."""
    return _converter()(text) if has_traditional(text) else text


def chinese_score(text: str) -> float:
    """The share of the text's Han characters that are common simplified ones once converted (in GB2312).

    A right decoding of Chinese bytes scores high, in simplified or traditional script alike; a
    wrong one (Big5 bytes read as GBK, or the reverse) gives rare characters and scores low.
    """
    han = _HAN.findall(to_simplified(text))
    if not han:
        return 0.0
    common = 0
    for char in han:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(han)


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))
