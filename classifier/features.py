"""Text features: normalisation, jieba word tokens, TF-IDF over words and character n-grams."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

# A token worth keeping has at least one CJK character, letter or digit.
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, runs of white space to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


class TextNormaliser(TransformerMixin, BaseEstimator):
    """Map raw article strings to normalised strings (see :func:`normalise`).

    Stateless: ``fit`` learns nothing. Input and output are sequences of ``n_samples`` strings.
    """

    def fit(self, X: Iterable[str], y: object = None) -> TextNormaliser:
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        return [normalise(x) for x in X]


class JiebaTokenizer:
    """Split Chinese text into words with jieba; a picklable callable for ``TfidfVectorizer``.

    Parameters
    ----------
    user_words : sequence of str
        Extra dictionary words (domain terms) so that jieba keeps them whole.
    """

    def __init__(self, user_words: Sequence[str] = ()) -> None:
        self.user_words = tuple(user_words)
        self._ready = False

    def __getstate__(self) -> dict:
        # The jieba dictionary is global state: never pickle the "ready" flag with the model.
        return {"user_words": self.user_words, "_ready": False}

    def _setup(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        for word in self.user_words:
            jieba.add_word(word)
        self._ready = True

    def __call__(self, text: str) -> list[str]:
        if not self._ready:
            self._setup()
        import jieba

        return [w for w in jieba.lcut(text) if len(w.strip()) and _WORDLIKE.search(w)]


def make_features(
    user_words: Sequence[str] = (),
    word_ngram_range: tuple[int, int] = (1, 1),
    char_ngram_range: tuple[int, int] = (1, 3),
    min_df: int = 1,
    max_features: int | None = None,
) -> FeatureUnion:
    """TF-IDF over jieba words joined with TF-IDF over character n-grams.

    Returns
    -------
    FeatureUnion
        Maps ``n_samples`` normalised strings to a sparse ``(n_samples, n_words + n_chars)``
        matrix; each half is L2-normalised with sublinear term frequency.
    """
    words = TfidfVectorizer(
        tokenizer=JiebaTokenizer(user_words),
        token_pattern=None,
        lowercase=False,
        ngram_range=word_ngram_range,
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
    )
    chars = TfidfVectorizer(
        analyzer="char",
        lowercase=False,
        ngram_range=char_ngram_range,
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def load_user_dictionary(path: Path) -> list[str]:
    """Words of a jieba-style user dictionary file (first column of each line)."""
    return [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
