"""Text features as scikit-learn transformers: the normaliser, term priors, and TF-IDF over words and character n-grams."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import text as sklearn_text
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from classifier.model.text import JiebaTokenizer, char_view, normalise, weigh_title


class TextNormaliser(TransformerMixin, BaseEstimator):
    """Map raw article strings to normalised strings (see :func:`normalise`), headline weighted.

    Input strings are ``"title\nbody"`` (:attr:`classifier.article.Article.full_text`; an empty
    first line means no title). Stateless: ``fit`` learns nothing. Input and output are sequences
    of ``n_samples`` strings.

    Parameters
    ----------
    title_repeats : int
        How many times the title appears in the output. A headline names the subject more
        reliably than any line of the body; repeating it weighs its words up in every block.
    """

    def __init__(self, title_repeats: int = 4) -> None:
        self.title_repeats = title_repeats

    def fit(self, X: Iterable[str], y: object = None) -> TextNormaliser:
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        return [normalise(weigh_title(x, self.title_repeats)) for x in X]


@functools.lru_cache(maxsize=8)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


class ArrayTfidfVectorizer(TfidfVectorizer):
    """scikit-learn's ``TfidfVectorizer``, whose fitted vocabulary is saved as an array, and which
    remembers in how many training texts each term occurred.

    The same vectoriser in every other respect. ``skops`` writes a dict entry by entry, which
    for a vocabulary of 100,000 n-grams takes seconds to save and load; as an array (the terms
    in column order) it takes milliseconds and stays plain data. The document frequencies
    (``document_frequency_``, ``n_documents_``) are the model's record of its training data:
    a drift report compares new articles with them.
    """

    def fit_transform(self, raw_documents: Iterable[str], y: object = None) -> sparse.csr_matrix:
        X = super().fit_transform(raw_documents, y)
        # TF-IDF values are positive: a column's stored entries are its documents.
        self.document_frequency_ = np.bincount(X.indices, minlength=X.shape[1]).astype(np.int64)
        self.n_documents_ = int(X.shape[0])
        return X

    def _count_vocab(self, raw_documents: Iterable[str], fixed_vocab: bool) -> tuple[dict[str, int], Any]:
        """scikit-learn's count of the training n-grams; character 1-3-grams counted with NumPy.

        Only when fitting a character analyzer (``analyzer="char"``, n-grams of at most 3): then
        :func:`_count_char_ngrams` gives the same vocabulary (same terms, same column numbers of
        first appearance) and the same count matrix as scikit-learn's loop over every n-gram,
        about four times faster; the sorting, pruning, binary and IDF steps that follow are
        scikit-learn's own.
        """
        low, high = self.ngram_range
        if fixed_vocab or self.analyzer != "char" or not 1 <= low <= high <= _MAX_PACKED:
            return super()._count_vocab(raw_documents, fixed_vocab)
        preprocess = self.build_preprocessor()
        texts = [self._white_spaces.sub(" ", preprocess(self.decode(doc))) for doc in raw_documents]
        vocabulary, X, self._sorted_columns = _count_char_ngrams(texts, low, high, self.dtype)
        align = getattr(sklearn_text, "_align_api_if_sparse", None)
        return vocabulary, align(X) if align is not None else sparse.csr_matrix(X)

    def _sort_features(self, X: Any, vocabulary: dict[str, int]) -> Any:
        """scikit-learn's renumbering of the columns in term order, from the order the character count knew.

        Python's ``sorted`` over 230,000 terms and a loop over them took longer than the count
        itself. The packed n-grams sort as their strings do, so :func:`_count_char_ngrams` knows
        each column's place already; when no column was pruned since, the vocabulary gets the
        same numbers and the matrix the same indices as scikit-learn's own renumbering gives.
        """
        sorted_columns = self.__dict__.pop("_sorted_columns", None)
        if sorted_columns is None or len(sorted_columns) != len(vocabulary):
            return super()._sort_features(X, vocabulary)
        for term, column in zip(list(vocabulary), sorted_columns.tolist(), strict=True):
            vocabulary[term] = column
        X.indices = sorted_columns.astype(X.indices.dtype).take(X.indices, mode="clip")
        return X

    def fit(self, raw_documents: Iterable[str], y: object = None) -> ArrayTfidfVectorizer:
        self.fit_transform(raw_documents, y)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_sorted_columns", None)  # a fit's scratch, never part of the model
        vocabulary = state.get("vocabulary_")
        if vocabulary is not None:
            terms = [""] * len(vocabulary)
            for term, column in vocabulary.items():
                terms[column] = term
            stored = np.array(terms, dtype=str)
            if stored.tolist() == terms:  # NumPy drops trailing NUL characters: keep such a vocabulary as it is
                del state["vocabulary_"]
                state["vocabulary_terms_"] = stored
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {str(term): column for column, term in enumerate(terms.tolist())}
        super().__setstate__(state)


_BITS = 21  # a code point + 1 fits in 21 bits: three of them in one int64
_MAX_PACKED = 3
_SEPARATOR = "\U0010fffd"  # cuts the joined terms apart (checked absent)


def _count_char_ngrams(texts: Sequence[str], low: int, high: int, dtype: Any) -> tuple[dict[str, int], Any, np.ndarray]:
    """What ``CountVectorizer._count_vocab`` returns for the character ``low``-``high``-grams of ``texts``.

    scikit-learn numbers a term by its first appearance, reading text by text, within a text the
    1-grams, then the 2-grams, ... each left to right; its rows are sorted by those numbers and
    hold counts. Here every n-gram is packed into an int64, left-aligned (``(c1 + 1) << 42 |
    (c2 + 1) << 21 | (c3 + 1)``, 0 for a missing character), and written at its place in that
    reading order; one ``np.unique`` gives each distinct n-gram its first place, hence its number.

    Returns
    -------
    vocabulary : dict of str to int
        Term to column, in column order.
    X : scipy.sparse.csr_array of shape (n_texts, n_terms)
        Counts (as ``dtype``), sorted indices, int32 indices when they fit.
    sorted_columns : ndarray of int64 of shape (n_terms,)
        Each column's place in the terms sorted as strings.
    """
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    sizes = range(low, high + 1)
    counts = np.stack([np.maximum(lengths - n + 1, 0) for n in sizes], axis=1)  # (n_texts, n_sizes)
    text_start = np.zeros(len(texts), dtype=np.int64)  # where each text's n-grams begin in reading order
    np.cumsum(counts.sum(1)[:-1], out=text_start[1:])
    size_start = text_start[:, None] + np.cumsum(counts, axis=1) - counts
    total = int(counts.sum())
    keys = np.empty(total, dtype=np.int64)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)  # the text of each code point
    offset = np.arange(len(codes), dtype=np.int64) - starts[owner]  # its place in the text
    padded = np.concatenate([codes, np.zeros(high, dtype=np.int64)])
    for k, n in enumerate(sizes):
        at = np.flatnonzero(offset <= lengths[owner] - n)  # n-grams that end inside their text
        packed = np.zeros(len(at), dtype=np.int64)
        for j in range(n):
            packed |= padded[at + j] << (_BITS * (_MAX_PACKED - 1 - j))
        keys[size_start[owner[at], k] + offset[at]] = packed
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    number = np.empty(len(unique), dtype=np.int64)
    number[order] = np.arange(len(unique), dtype=np.int64)
    columns = number[inverse.ravel()]
    reader = np.repeat(np.arange(len(texts), dtype=np.int64), counts.sum(1))  # the text of each n-gram
    cells, tallies = np.unique(reader * max(len(unique), 1) + columns, return_counts=True)
    rows, cols = np.divmod(cells, max(len(unique), 1))
    if not len(unique):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    # The terms, in column order, cut from one string of their code points.
    ordered = unique[order]
    chars = np.stack([(ordered >> (_BITS * (_MAX_PACKED - 1 - j))) & ((1 << _BITS) - 1) for j in range(_MAX_PACKED)], 1)
    width = (chars > 0).sum(1)
    flat = chars[chars > 0] - 1
    text = flat.astype(np.uint32).tobytes().decode("utf-32-le")
    if _SEPARATOR in text:  # pragma: no cover - a private-use code point no news text holds
        ends = np.cumsum(width).tolist()
        terms = [text[end - w : end] for end, w in zip(ends, width.tolist(), strict=True)]
    else:
        marked = np.insert(flat.astype(np.uint32), np.cumsum(width)[:-1], ord(_SEPARATOR))
        terms = marked.tobytes().decode("utf-32-le").split(_SEPARATOR)
    vocabulary = dict(zip(terms, range(len(terms)), strict=True))
    index_dtype = np.int64 if len(cells) > np.iinfo(np.int32).max else np.int32
    indptr = np.zeros(len(texts) + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
    X = sparse.csr_array(
        (tallies.astype(np.intc), cols.astype(index_dtype), indptr), shape=(len(texts), len(unique)), dtype=dtype
    )
    X.sort_indices()
    return vocabulary, X, order


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
        # Kept as its source text: a compiled pattern is no data a safe model file can hold.
        self.pattern_source_ = "|".join(map(re.escape, terms))
        return self

    def _pattern(self) -> re.Pattern[str] | None:
        if not self.pattern_source_:
            return None
        return _compiled(self.pattern_source_)

    def transform(self, X: Iterable[str]) -> sparse.csr_matrix:
        """Return a sparse ``(n_samples, n_groups)`` matrix of scaled log hit counts."""
        pattern = self._pattern()
        rows = []
        for text in X:
            counts = np.zeros(len(self.group_names_))
            if pattern is not None:
                for match in pattern.finditer(text):
                    counts[self.term_groups_[match.group()]] += 1
            rows.append(counts)
        dense = np.log1p(np.array(rows).reshape(-1, len(self.group_names_))) * self.weight
        return sparse.csr_matrix(dense)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(self.group_names_, dtype=object)


class _Fitted:
    """Stands in a ``FeatureUnion`` for a block fitted already: its ``fit_transform`` gives that fit's matrix."""

    def __init__(self, matrix: Any) -> None:
        self.matrix = matrix

    def fit(self, X: object, y: object = None, **params: object) -> _Fitted:
        return self

    def fit_transform(self, X: object, y: object = None, **params: object) -> Any:
        return self.matrix

    def transform(self, X: object) -> Any:
        return self.matrix


def fit_features(prefix: Any, texts: Sequence[str]) -> Any:
    """``prefix.fit_transform(texts)`` for the pipeline's first steps (the normaliser, the feature union).

    The union's blocks other than the character n-grams (jieba words, term priors) are fitted in a
    forked process while this one fits the character block: the two take about as long. The
    union then puts the blocks together itself (``FeatureUnion.fit_transform`` over the blocks
    fitted, so weights and column order are scikit-learn's): the fitted blocks and the matrix are
    those of ``prefix.fit_transform`` bit for bit. Where forking is not possible, or the union is
    not of that shape, it is ``prefix.fit_transform`` itself.
    """
    import multiprocessing
    import pickle

    from classifier.processes import can_fork

    steps = [step for _, step in getattr(prefix, "steps", [])]
    if len(steps) != 2 or not isinstance(steps[1], FeatureUnion) or not can_fork():
        return prefix.fit_transform(texts)
    normaliser, union = steps
    blocks = list(union.transformer_list)
    known = all(isinstance(step, TermPriors | TfidfVectorizer) for _, step in blocks)
    away = [name for name, step in blocks if getattr(step, "analyzer", None) != "char"]
    if not known or not away or len(away) == len(blocks):
        return prefix.fit_transform(texts)
    documents = normaliser.fit_transform(texts)
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)

    def fit_away() -> None:
        try:
            fitted = {name: (step, step.fit_transform(documents)) for name, step in blocks if name in away}
            sender.send_bytes(pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL))
        except BaseException:
            sender.send_bytes(b"")
        finally:
            os._exit(0)

    child = multiprocessing.get_context("fork").Process(target=fit_away, daemon=True)
    child.start()
    sender.close()
    try:
        here = {name: (step, step.fit_transform(documents)) for name, step in blocks if name not in away}
        message = receiver.recv_bytes()
    finally:
        receiver.close()
        child.join()
    if not message:  # the forked fit failed: fit here, for the error to be this process's
        return prefix.fit_transform(texts)
    # Not a file: bytes this function's own forked child wrote into an anonymous pipe that only the
    # two processes hold (what multiprocessing's pools do with every result); nothing a user or
    # another process can replace.
    fitted = {**here, **pickle.loads(message)}
    union.transformer_list = [(name, _Fitted(fitted[name][1])) for name, _ in blocks]
    try:
        X = union.fit_transform(documents)
    finally:
        union.transformer_list = [(name, fitted[name][0]) for name, _ in blocks]
    return X


def make_features(
    user_words: Sequence[str] = (),
    term_groups: Mapping[str, Sequence[str]] | None = None,
    prior_weight: float = 0.5,
    word_ngram_range: tuple[int, int] = (1, 1),
    char_ngram_range: tuple[int, int] = (1, 3),
    char_weight: float = 1.4,
    min_df: int = 1,
    max_features: int | None = None,
) -> FeatureUnion:
    """Binary TF-IDF over jieba words and over character n-grams, and term priors.

    Parameters
    ----------
    user_words : sequence of str
        Domain words for jieba's dictionary.
    term_groups : mapping of str to terms, or None
        Hand-written term lists (see :class:`TermPriors`); ``None`` leaves that block out.
    prior_weight : float
        Scale of the term-prior block.
    char_weight : float
        Scale of the character block against the word block (both have unit L2 rows).

    Returns
    -------
    FeatureUnion
        Maps ``n_samples`` normalised strings to a sparse ``(n_samples, n_words + n_chars
        [+ n_groups])`` matrix. The settings (binary counts, digits folded, start/end marks,
        characters weighted 1.4) were chosen by 5-fold cross-validation on THUCNews train.jsonl.
    """
    # Binary counts, no lower-casing (the normaliser did it), the same vocabulary limits for both.
    common = dict(lowercase=False, min_df=min_df, max_features=max_features, binary=True)
    words = ArrayTfidfVectorizer(
        tokenizer=JiebaTokenizer(user_words), token_pattern=None, ngram_range=word_ngram_range, **common
    )
    chars = ArrayTfidfVectorizer(analyzer="char", preprocessor=char_view, ngram_range=char_ngram_range, **common)
    blocks: list[tuple[str, object]] = [("words", words), ("chars", chars)]
    if term_groups:
        blocks.append(("terms", TermPriors(groups=dict(term_groups), weight=prior_weight)))
    return FeatureUnion(blocks, transformer_weights={"chars": char_weight})
