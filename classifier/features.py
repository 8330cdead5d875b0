"""Text features: normalisation, jieba word tokens, TF-IDF over words and character n-grams."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

# A token worth keeping has at least one CJK character, letter or digit.
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")
#: Function words left out of the word block: they carry no topic, and without this list the
#: model learns them as weak "is a real article" signals against the term-list pseudo-articles.
STOP_WORDS = tuple(
    "的 了 和 与 及 以及 是 在 等 对 为 将 也 都 并 从 把 被 由 以 于 之 其 中 上 下 个 这 那 有 "
    "我 他 她 们 着 或 又 就 而 但 要 会 能 可 让 向 到 此 该 各 后 前 年 月 日".split()
)


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


class TermPriors(TransformerMixin, BaseEstimator):
    """Prior-knowledge features: how often each group's hand-written terms occur in a text.

    One column per group (a topic, or ``none`` for the no-topic vocabulary): ``weight *
    log(1 + hits)``, where ``hits`` counts non-overlapping occurrences of the group's terms
    (longest first). With few labels these columns carry what the labels cannot: a text full of
    energy words scores on the energy column even if no training article used those words.

    Parameters
    ----------
    groups : mapping of str to sequence of str
        Group name to its terms (already normalised: lower case, NFKC).
    weight : float
        Scale of the columns relative to the TF-IDF blocks, whose rows have unit L2 norm.
    """

    def __init__(self, groups: Mapping[str, Sequence[str]] | None = None, weight: float = 0.5) -> None:
        self.groups = groups
        self.weight = weight

    def fit(self, X: Iterable[str], y: object = None) -> TermPriors:
        groups = dict(self.groups or {})
        self.group_names_ = list(groups)
        self.term_groups_: dict[str, list[int]] = {}
        for g, terms in enumerate(groups.values()):
            for term in terms:
                self.term_groups_.setdefault(normalise(term), []).append(g)
        self.term_groups_.pop("", None)
        terms = sorted(self.term_groups_, key=len, reverse=True)
        self.pattern_ = re.compile("|".join(map(re.escape, terms))) if terms else None
        return self

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        """Return a sparse ``(n_samples, n_groups)`` matrix of scaled log hit counts."""
        rows = []
        for text in X:
            counts = np.zeros(len(self.group_names_))
            if self.pattern_ is not None:
                for match in self.pattern_.finditer(text):
                    counts[self.term_groups_[match.group()]] += 1
            rows.append(counts)
        dense = np.log1p(np.array(rows).reshape(-1, len(self.group_names_))) * self.weight
        return sparse.csr_matrix(dense)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(self.group_names_, dtype=object)


def make_features(
    user_words: Sequence[str] = (),
    term_groups: Mapping[str, Sequence[str]] | None = None,
    prior_weight: float = 0.5,
    word_ngram_range: tuple[int, int] = (1, 1),
    char_ngram_range: tuple[int, int] = (1, 3),
    min_df: int = 1,
    max_features: int | None = None,
) -> FeatureUnion:
    """TF-IDF over jieba words joined with TF-IDF over character n-grams, and term priors.

    Parameters
    ----------
    user_words : sequence of str
        Domain words for jieba's dictionary.
    term_groups : mapping of str to terms, or None
        Hand-written term lists (see :class:`TermPriors`); ``None`` leaves that block out.
    prior_weight : float
        Scale of the term-prior block.

    Returns
    -------
    FeatureUnion
        Maps ``n_samples`` normalised strings to a sparse ``(n_samples, n_words + n_chars
        [+ n_groups])`` matrix; each TF-IDF block is L2-normalised with sublinear term frequency.
    """
    words = TfidfVectorizer(
        tokenizer=JiebaTokenizer(user_words),
        token_pattern=None,
        lowercase=False,
        stop_words=list(STOP_WORDS),
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
    blocks: list[tuple[str, object]] = [("words", words), ("chars", chars)]
    if term_groups:
        blocks.append(("terms", TermPriors(groups=dict(term_groups), weight=prior_weight)))
    return FeatureUnion(blocks)


def load_user_dictionary(path: Path) -> list[str]:
    """Words of a jieba-style user dictionary file (first column of each line)."""
    return [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
