"""The array tagger: a model's exported arrays as features and scores vectorised over a whole batch, equal to the pipeline's bit for bit.

:func:`from_export` builds a :class:`FastModel` from what :func:`classifier.model.export.export_tagger`
writes at training time (``tagger.npz``, read with ``allow_pickle=False``, and ``tagger.json``)
and, when the version has it, jieba's dictionary (``jieba.npz``). For a batch of texts at once it
computes:

* the normalised texts (OpenCC t2s, NFKC, white space, lower case) with per-code-point tables,
  falling back to :func:`classifier.model.text.normalise` for a text holding a traditional
  character (OpenCC converts phrase by phrase) or a character whose NFKC depends on its
  neighbours; the headline is normalised and cut once, not once per repeat (same features);
* the word block: jieba words from ``rjieba``'s default instance (one dictionary per process,
  loaded when a large batch first needs it) or, for small inputs, :class:`~classifier.tagging.segmenter.JiebaLite`
  over the stored dictionary; each token's column from one C-level ``dict.get`` pass;
* the character block: every 1-3-gram packed into an int64 key (21 bits per code point) and
  looked up in a vectorised open-addressing hash table (:class:`_CharIndex`);
* the term-prior block: leftmost-longest non-overlapping term matches, as ``TermPriors``' regex
  finds them, from rolling hashes over the batch's code points, every match verified exactly;
* the linear decisions with one ``np.bincount`` per topic over the batch's nonzeros.

Every sum is accumulated in the order scikit-learn and SciPy accumulate it (``np.bincount`` adds
its weights in input order; rows are kept in column order), so feature values and scores equal
the pipeline's bit for bit; records are :class:`classifier.tagging.tagger.Tagger`'s.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np

from classifier.chinese import traditional_chars
from classifier.model.decision import assign_columns, calibrate
from classifier.model.lexicon import HASH_MULTIPLIER, pack_ngrams
from classifier.model.lexicon import codes as _codes
from classifier.model.text import JiebaTokenizer, normalise, weigh_title
from classifier.tagging.segmenter import HashIndex, JiebaLite, Lexicon

#: Inputs up to this many characters are cut with :class:`JiebaLite` while rjieba is not loaded: it cuts
#: about 3 us a character after a 10-25 ms load, rjieba about 0.25 us after a 0.11 s load (measured).
LITE_MAX_CHARS = 20_000
#: ... and until this many characters in all: a process that goes on tagging small inputs (a drift
#: report, an evaluation's explanations) then loads rjieba, as the load pays for itself.
LITE_BUDGET_CHARS = 200_000
_BITS = 21  # a code point fits in 21 bits; a 1-3-gram key is three of them (+1 each) in an int64
_UNKNOWN = np.uint32(0xFFFFFFFE)
_COMPLEX = np.uint32(0xFFFFFFFF)
_EXPANDS = np.uint32(0xFFFFFFFD)


def _unpack_ngram(key: int) -> str:
    chars = []
    while key:
        chars.append(chr((key & ((1 << _BITS) - 1)) - 1))
        key >>= _BITS
    return "".join(reversed(chars))


# --- normalising a batch --------------------------------------------------------------------


class _CharTable:
    """Per-code-point facts for normalising, filled lazily for the code points met (one per process).

    ``final(codes)[i]``: ``NFKC(c).lower()`` for ``c = codes[i]`` when that is one character and ``c`` can be normalised on its
    own (see :meth:`_classify`), ``_EXPANDS`` when it is several (``expansion[c]``: their code
    points, as "…" gives "..." and "℃" gives "°c"), ``_COMPLEX`` when ``c`` needs its context,
    ``_UNKNOWN`` until met. ``space[c]`` and ``digit[c]``: whether the normalised character is
    white space (``\\s``) / a decimal digit (``\\d``). ``traditional[c]``: whether OpenCC's ``t2s``
    changes ``c`` (:func:`classifier.chinese.traditional_chars`).
    """

    def __init__(self) -> None:
        # Stored XOR _UNKNOWN, so that an unknown code point is 0: the array is calloc'd zeros and only
        # the pages of the code points met become resident (about 80 KiB for Chinese news, not 4.4 MiB).
        self._final = np.zeros(0x110000, dtype=np.uint32)
        self.space = np.zeros(0x110000, dtype=bool)
        self.digit = np.zeros(0x110000, dtype=bool)
        self.traditional = np.zeros(0x110000, dtype=bool)
        self.traditional[_codes("".join(sorted(traditional_chars())))] = True
        self.expansion: dict[int, tuple[int, ...]] = {}

    def learn(self, codes: np.ndarray) -> None:
        """Fill the tables for the code points of ``codes`` not met before (and their normal forms).

        ``final[c]`` is written last, after everything a reader of it needs (``space``, ``digit``,
        ``expansion`` and the entries of its normal form), so a table is never seen half-filled.
        """
        unknown = codes[self._final[codes] == 0]
        if not len(unknown):
            return
        learnt = []
        for c in _distinct(unknown).tolist():
            ch = chr(c)
            self.space[c] = ch.isspace()
            self.digit[c] = ch.isdecimal()
            learnt.append((c, self._classify(c)))
        here = {c for c, _ in learnt}  # finished by this call; never recurse into them (no cycles)
        finals = {f for _, forms in learnt for f in forms or () if f not in here and self._final[f] == 0}
        if finals:
            self.learn(np.asarray(sorted(finals), dtype=np.uint32))
        for c, forms in learnt:
            if forms is None:
                final = int(_COMPLEX)
            elif len(forms) == 1:
                final = forms[0]
            else:
                self.expansion[c] = forms
                final = int(_EXPANDS)
            self._final[c] = final ^ int(_UNKNOWN)

    def final(self, codes: np.ndarray) -> np.ndarray:
        """``final[c]`` of each code point of ``codes`` (learnt)."""
        return self._final[codes] ^ _UNKNOWN

    @staticmethod
    def _classify(c: int) -> tuple[int, ...] | None:
        """``NFKC(c).lower()`` as code points, or ``None`` when ``c`` needs its context.

        NFKC of a text equals NFKC of each character when no character composes with a
        neighbour: every character a canonical composition can take second is a combining mark
        (category M) or a Hangul jamo (U+1100-U+11FF), and lower-casing is per character except
        for capital sigma (final sigma depends on the next character).
        """
        ch = chr(c)
        nfkc = unicodedata.normalize("NFKC", ch)
        if not nfkc or "\u03a3" in nfkc:
            return None
        lower = nfkc.lower()
        if not lower or lower != "".join(x.lower() for x in nfkc) or (len(nfkc) == 1 and len(lower) != 1):
            return None
        for x in (ch, *nfkc, *lower):
            if unicodedata.category(x).startswith("M") or 0x1100 <= ord(x) <= 0x11FF:
                return None
        return tuple(map(ord, lower))


_TABLE: _CharTable | None = None


def _char_table() -> _CharTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = _CharTable()
    return _TABLE


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (``np.unique`` without its import of ``numpy.ma`` and its slower path)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def normalise_batch(texts: Sequence[str]) -> list[str]:
    """``[normalise(t) for t in texts]``, computed with per-code-point tables over the whole batch."""
    return _normalise_batch(texts)[0]


def _normalise_batch(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The normalised texts, and which of them hold a traditional character.

    A text holding a character OpenCC's ``t2s`` changes goes through
    :func:`classifier.model.text.normalise` whole (OpenCC converts phrase by phrase, so its
    output depends on the neighbours), as does a text holding a character whose NFKC depends on
    its neighbours (combining marks, Hangul jamo, capital sigma; none in the XWLB pool). A
    compatibility character that expands to several ("…", "℃", "Ⅱ": 2.6% of the pool's articles)
    is expanded in place.
    """
    if not texts:
        return [], np.zeros(0, dtype=bool)
    table = _char_table()
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    codes = _codes("".join(texts))
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    traditional_docs = np.zeros(n, dtype=bool)
    traditional_docs[_texts_of(starts, np.flatnonzero(table.traditional[codes]))] = True
    table.learn(codes)
    final = table.final(codes)
    complex_docs = traditional_docs.copy()
    special = np.flatnonzero(final >= _EXPANDS)  # _EXPANDS or _COMPLEX (every code point is learnt)
    if len(special):
        kinds = final[special]
        redone = special[kinds == _COMPLEX]
        complex_docs[_texts_of(starts, redone)] = True
        final[redone] = 0x3F  # those texts are redone below
        expands = special[kinds == _EXPANDS]
        if len(expands):
            # a character whose NFKC is several ("…" -> "...") becomes its code points in place
            forms = [table.expansion[c] for c in codes[expands].tolist()]
            sizes = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
            counts = np.ones(len(final), dtype=np.int64)
            counts[expands] = sizes
            at = np.cumsum(counts) - counts
            final = np.repeat(final, counts)
            final[np.repeat(at[expands], sizes) + _ranges(sizes)] = np.fromiter(
                chain.from_iterable(forms), dtype=np.uint32, count=int(sizes.sum())
            )
            lengths += np.bincount(_texts_of(starts, expands), weights=sizes - 1, minlength=n).astype(np.int64)
            np.cumsum(lengths, out=starts[1:])
    space = table.space[final]
    # a white-space run becomes one space; a space at a text's start or end goes
    previous_space = np.empty_like(space)
    previous_space[1:] = space[:-1]
    previous_space[starts[:-1][lengths > 0]] = False
    keep = ~(space & previous_space)
    np.putmask(final, space, np.uint32(0x20))
    kept = final[keep]
    kept_space = space[keep]
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    kept_starts = kept_before[starts]
    n_kept = np.diff(kept_starts)
    nonempty = n_kept > 0
    first, last = kept_starts[:-1][nonempty], kept_starts[1:][nonempty] - 1
    drop_first, drop_last = kept_space[first], kept_space[last]
    if drop_first.any() or drop_last.any():
        drop = np.zeros(len(kept), dtype=bool)
        drop[first[drop_first]] = True
        drop[last[drop_last]] = True
        kept = kept[~drop]
        n_kept[nonempty] -= drop_first.astype(np.int64) + (drop_last & (last != first))
    joined = kept.tobytes().decode("utf-32-le")
    cuts = np.concatenate(([0], np.cumsum(n_kept))).tolist()
    out = [joined[cuts[i] : cuts[i + 1]] for i in range(n)]
    for i in np.flatnonzero(complex_docs).tolist():
        out[i] = normalise(texts[i])
    return out, traditional_docs


def _texts_of(starts: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The text each position of the joined texts belongs to (``starts``: the texts' starts, then the end)."""
    return np.searchsorted(starts, positions, side="right") - 1


_SEPARATOR = 0x110001  # a code (after the +1 shift) no text has: n-grams across it never match


class _CharIndex:
    """Column of every 1-3-gram of a code-point array, for the character vocabulary.

    Unigrams of the Basic Multilingual Plane go through a direct table (one gather). Longer
    n-grams are looked up by binary search in the sorted keys until this process has looked up
    ``HASH_AFTER`` of them, then through a :class:`HashIndex` built once: building it costs more
    (0.02 s for the default's 433,000 keys) than a single article's lookups, and less than a batch
    run's (a binary search takes 0.24 us a key, the hash 0.02 us: the build pays for itself after
    about 90,000 lookups; measured 18:50 UTC, load 2). When
    the vocabulary is closed (every n-gram's two (n-1)-grams are in it too, as with ``min_df=1``
    and no ``max_features``; checked when the hash is built), an n-gram is looked up only where
    both of its (n-1)-grams were found. Either way the columns found are the same.

    Parameters
    ----------
    keys : ndarray of int64 of shape (n_chars,)
        The packed n-gram of each column (:func:`classifier.model.lexicon.pack_ngrams`).
    order : ndarray of shape (n_chars,) or None
        The columns in ascending key order, and
    closed : bool or None
        whether the vocabulary is closed, as stored by format-5 models
        (:func:`classifier.model.lexicon.ngram_facts`); ``None``: worked out here.
    """

    #: Lookups by binary search before the hash is built (a seed page needs about 20,000).
    HASH_AFTER = 100_000

    def __init__(self, keys: np.ndarray, order: np.ndarray | None = None, closed: bool | None = None) -> None:
        self.keys = keys
        if order is None:
            # Keys of one length are in column order already sorted (the vocabulary is sorted by code
            # points), and every 1-gram key is below every 2-gram key, below every 3-gram key.
            length = np.where(keys >= 1 << (2 * _BITS), 3, np.where(keys >= 1 << _BITS, 2, 1))
            order = np.concatenate([np.flatnonzero(length == n) for n in (1, 2, 3)])
            if len(order) > 1 and not np.all(np.diff(keys[order]) > 0):
                order = np.argsort(keys, kind="stable")
        order = np.asarray(order, dtype=np.int64)
        if np.array_equal(order, np.arange(len(order))):
            self.sorted_keys, self.sorted_columns = keys, None  # columns in key order: no copy
        else:
            self.sorted_keys, self.sorted_columns = keys[order], order
        if len(order) > 1 and not np.all(self.sorted_keys[1:] > self.sorted_keys[:-1]):
            raise ValueError("character keys are not distinct, or not in the stored order")
        self.unigram = np.full(0x10001, -1, dtype=np.int64)  # index: code point + 1
        n_single = int(np.searchsorted(self.sorted_keys, 0x10001))  # BMP unigrams lead the sorted keys
        self.unigram[self.sorted_keys[:n_single]] = order[:n_single]
        self.hash: HashIndex | None = None
        # Known closed: n-grams are looked up only where their (n-1)-grams were found, from the first
        # article on; otherwise learnt when the hash is built.
        self.closed = bool(closed)
        self._closed_known = closed is not None
        self._searched = 0

    def build(self) -> None:
        """Build the hash table (and check closedness) now: before forking workers, which share it."""
        if self.hash is not None:
            return
        keys = self.keys
        self.hash = HashIndex(keys)
        self.sorted_keys, self.sorted_columns = keys[:0], None  # searched no more
        if self._closed_known:
            return
        found = self.hash.get
        length = np.where(keys >= 1 << (2 * _BITS), 3, np.where(keys >= 1 << _BITS, 2, 1))
        mask = (1 << _BITS) - 1
        longer = keys[length >= 2]
        prefix, suffix = longer >> _BITS, longer & np.where(length[length >= 2] == 3, (1 << 2 * _BITS) - 1, mask)
        self.closed = bool(np.all(found(prefix) >= 0) and np.all(found(suffix) >= 0)) if len(longer) else True

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The column of each packed key, ``-1`` for a key not in the vocabulary; shape of ``keys``."""
        if self.hash is None and self._searched + len(keys) > self.HASH_AFTER:
            self.build()
        if self.hash is not None:
            return self.hash.get(keys)
        self._searched += len(keys)
        if not len(self.sorted_keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        columns = at if self.sorted_columns is None else self.sorted_columns[at]
        return np.where(self.sorted_keys[at] == keys, columns, -1)

    def _unigrams(self, codes: np.ndarray) -> np.ndarray:
        bmp = codes <= 0x10000
        out = self.unigram[np.where(bmp, codes, 0)]
        if not bmp.all():
            # codes beyond are the texts' separator: no column (unigram[0] is -1), nothing to look up
            wide = np.flatnonzero(~bmp & (codes <= 0x110000))
            if len(wide):
                out[wide] = self.get(codes[wide])
        return out

    def ngrams(self, codes: np.ndarray, high: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """For ``n = 1..high``: the start positions of the n-grams found and their columns."""
        columns = self._unigrams(codes)
        hit = np.flatnonzero(columns >= 0)
        yield hit, columns[hit]
        found = columns >= 0
        keys = codes
        for n in range(2, high + 1):
            keys = (keys[:-1] << _BITS) | codes[n - 1 :]
            if self.closed:
                candidates = np.flatnonzero(found[:-1] & found[1:])
                columns = self.get(keys[candidates])
                ok = columns >= 0
                hit, columns = candidates[ok], columns[ok]
            else:
                columns = self.get(keys)
                hit = np.flatnonzero(columns >= 0)
                columns = columns[hit]
            yield hit, columns
            if n < high:
                found = np.zeros(len(keys), dtype=bool)
                found[hit] = True


# --- the model ------------------------------------------------------------------------------


@dataclass
class Features:
    """A batch's feature rows in CSR form, columns in the pipeline's order (sorted within a row).

    ``indptr`` int64 ``(n + 1,)``, ``indices`` int64 ``(nnz,)``, ``data`` float64 ``(nnz,)``,
    ``shape`` ``(n, F)``: equal to ``pipeline[:-1].transform(texts).tocsr()``.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.data[a:b]


@dataclass
class _Text:
    """The least an article needs for :meth:`FastModel.records`."""

    id: str
    title: str
    text: str

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}"


@dataclass
class _Pieces:
    """A text's normalised headline (``""``: none) and body, and how often the headline repeats."""

    head: str
    body: str
    repeats: int

    @property
    def full(self) -> str:
        """The pipeline's normalised text."""
        if not self.head:
            return self.body
        return " ".join([self.head] * self.repeats + ([self.body] if self.body else []))

    def once(self) -> str:
        """The headline once, then the body."""
        if not self.head:
            return self.body
        return f"{self.head} {self.body}" if self.body else self.head

    def for_ngrams(self) -> str:
        """A text with the same set of 1-3-character n-grams as :attr:`full`, headline repeated less.

        Every window of three characters or fewer lies in a headline copy and its neighbours: two
        copies (three when there is no body and the headline is one character) show each kind.
        """
        if not self.head:
            return self.body
        copies = min(self.repeats, 2 if self.body or len(self.head) >= 2 else 3)
        return " ".join([self.head] * copies + ([self.body] if self.body else []))


@dataclass
class _Block:
    """One block's entries for a batch: COO sorted by (row, column), columns local to the block (int32 or int64)."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


class FastModel:
    """Tagging over a model's arrays, a batch at a time (build it with :func:`from_export`).

    Parameters
    ----------
    arrays : mapping of str to ndarray
        ``coef``, ``intercept``, ``calibrators``, ``thresholds``, per TF-IDF block ``<name>.idf``
        and, per character block, ``<name>.keys`` (packed n-grams), per term block
        ``<name>.group_ptr`` / ``<name>.group_index`` (each term's distinct groups, CSR).
    settings : dict
        Topics, title repeats, the blocks (kind, offset, width, weights, vocabularies of words
        and terms, flags): what :func:`from_export` makes of ``tagger.json``.
    dictionary : callable or None
        Returns jieba's dictionary arrays (:func:`classifier.model.lexicon.jieba_dictionary`),
        checked against the version's manifest; called only when a small input is first cut
        with :class:`JiebaLite`. ``None``: every input is cut with rjieba.
    """

    def __init__(
        self,
        arrays: Any,
        settings: dict[str, Any],
        dictionary: Callable[[], Mapping[str, np.ndarray]] | None = None,
    ) -> None:
        if int(settings.get("hash_multiplier", HASH_MULTIPLIER)) != HASH_MULTIPLIER:
            raise ValueError("arrays hashed with another multiplier")
        self.settings = settings
        self.topics: list[str] = list(settings["topics"])
        self.title_repeats = int(settings["title_repeats"])
        # One copy of the coefficients, C-contiguous (T, F): each topic's row is gathered on its own in
        # _decisions. ``coef`` (F, T), as the pipeline lays them out, is a view of it. Format-5 models
        # store the (T, F) array (used as read, no copy); older ones the (F, T) array, copied once.
        if "coef_by_topic" in arrays:
            self._coef_by_topic = np.ascontiguousarray(arrays["coef_by_topic"], dtype=np.float64)
        else:
            self._coef_by_topic = np.ascontiguousarray(np.asarray(arrays["coef"], dtype=np.float64).T)
        self.coef = self._coef_by_topic.T
        self.intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        self.calibrators = np.asarray(arrays["calibrators"], dtype=np.float64)
        self.thresholds = np.asarray(arrays["thresholds"], dtype=np.float64)
        self.n_features = int(settings["n_features"])
        self.blocks: list[dict[str, Any]] = settings["blocks"]
        self._arrays = {k: v for k, v in arrays.items() if k != "coef"}
        self._idf = {b["name"]: np.asarray(arrays[f"{b['name']}.idf"]) for b in self.blocks if b.get("idf")}
        self._word_block = next((b for b in self.blocks if b["kind"] == "words"), None)
        self._vocabulary: dict[str, int] | None = None
        self._char_index: dict[str, _CharIndex] = {}
        self._terms: dict[str, Lexicon] = {}
        self._lite: JiebaLite | None = None
        self._rjieba: Any = None
        self._dictionary = dictionary
        self._lite_chars = 0  # cut with JiebaLite so far
        self._long_word: np.ndarray | None = None

    # -- blocks ----------------------------------------------------------------------------

    def _words(self, block: dict[str, Any], texts: Sequence[str]) -> _Block:
        if self._vocabulary is None:
            self._vocabulary = {w: i for i, w in enumerate(block["vocabulary"])}
            for w in block.get("stop_words", ()):
                self._vocabulary.pop(w, None)
        token_lists = self.cut(texts, block)
        # Every token's column (-1: not in the vocabulary) from one C-level pass, ``dict.get(token, -1)``
        # by ``map`` over two iterables: one hash and one lookup per token. _tfidf counts repeats, or
        # drops them for binary counts, as it sorts the entries.
        counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        cols = np.fromiter(
            map(self._vocabulary.get, chain.from_iterable(token_lists), repeat(-1)),
            dtype=np.int64,
            count=int(counts.sum()),
        )
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        known = cols >= 0
        rows, cols = rows[known], cols[known]
        return self._tfidf(block, rows, cols, len(texts))

    def _chars(self, block: dict[str, Any], texts: Sequence[str]) -> _Block:
        name = block["name"]
        if name not in self._char_index:
            keys = np.asarray(self._arrays[f"{name}.keys"], dtype=np.int64)
            self._char_index[name] = _CharIndex(keys)
        index = self._char_index[name]
        table = _char_table()
        # char_view: "^" + digits folded to "0" + "$"; sklearn's analyzer then collapses white space
        # runs, which normalised texts no longer have. Texts are joined with a separator code that
        # no vocabulary key holds, so an n-gram across two texts simply misses.
        marked = block.get("preprocessor", "char_view") == "char_view"
        views = "\x00".join(["^" + t + "$" for t in texts] if marked else texts)
        codes = _codes(views)
        table.learn(codes)
        if marked:
            codes = np.where(table.digit[codes], np.uint32(0x30), codes)
        codes = codes.astype(np.int64) + 1
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + (3 if marked else 1)
        codes[np.cumsum(lengths[:-1]) - 1] = _SEPARATOR
        # each n-gram found as one entry code (row * width + column), int32 when the codes fit: the
        # batch's largest temporaries, so a worker's peak memory, are these
        width = block["width"]
        dtype = np.int32 if len(texts) * width < 2**31 else np.int64
        doc = np.repeat(np.arange(len(texts), dtype=dtype), lengths)[: len(codes)]
        low, high = block["ngram_range"]
        entries = []
        for n, (positions, found) in enumerate(index.ngrams(codes, high), start=1):
            if n >= low:
                entry = doc[positions] * dtype(width)
                np.add(entry, found, out=entry, casting="unsafe")  # a column < width: fits
                entries.append(entry)
        return self._tfidf_codes(block, np.concatenate(entries), len(texts))

    def _tfidf(self, block: dict[str, Any], rows: np.ndarray, cols: np.ndarray, n_rows: int) -> _Block:
        """Binary or count TF-IDF rows with unit L2 norm, as ``TfidfVectorizer.transform``."""
        return self._tfidf_codes(block, rows * block["width"] + cols, n_rows)

    def _tfidf_codes(self, block: dict[str, Any], codes: np.ndarray, n_rows: int) -> _Block:
        """:meth:`_tfidf` of the entries ``row * width + column`` (any order, repeats counted)."""
        width = block["width"]
        if n_rows * width < 2**31:
            codes = codes.astype(np.int32, copy=False)  # sorts twice as fast
        codes = np.sort(codes)
        first = np.empty(len(codes), dtype=bool)
        first[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        rows, cols = np.divmod(codes[starts], width)  # int32 when the codes are
        if block["binary"]:
            # every count is 1, and so is its sublinear form (log(1) + 1): the values are the idf's as they are
            values = self._idf[block["name"]].take(cols) if block.get("idf") else np.ones(len(cols))
        else:
            values = np.diff(np.append(starts, len(first))).astype(np.float64)
            if block["sublinear_tf"]:
                np.log(values, values)
                values += 1.0
            if block.get("idf"):
                values *= self._idf[block["name"]].take(cols)
        squares = np.bincount(rows, weights=values * values, minlength=n_rows)  # in order, like sklearn's loop
        norms = np.sqrt(squares)
        norms[squares == 0.0] = 1.0
        values /= norms.take(rows)
        if block.get("weight") is not None:
            values *= block["weight"]
        return _Block(rows, cols, values)

    def _term_priors(self, block: dict[str, Any], texts: Sequence[str], weights: np.ndarray, n_rows: int) -> _Block:
        """Term-prior columns; ``texts`` are segments, ``len(texts) // n_rows`` consecutive ones per
        row, a match in segment ``k`` counting ``weights[k]`` times."""
        name = block["name"]
        if name not in self._terms:
            self._terms[name] = Lexicon.from_words(block["terms"])
        lexicon = self._terms[name]
        per_row = len(texts) // n_rows if n_rows else 1
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = _codes("".join(texts))
        segment = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        starts, sizes, words = lexicon.matches(codes, segment)
        n_groups = block["width"]
        counts = np.zeros((n_rows, n_groups))
        if len(starts):
            # leftmost-longest, non-overlapping: what the longest-first alternation regex finds
            order = np.lexsort((-sizes, starts))
            starts, sizes, words = starts[order], sizes[order], words[order]
            first = np.ones(len(starts), dtype=bool)
            first[1:] = starts[1:] != starts[:-1]
            starts, sizes, words = starts[first], sizes[first], words[first]
            ends = starts + sizes
            if len(starts) > 1 and np.any(starts[1:] < np.maximum.accumulate(ends)[:-1]):
                chosen = []
                end = -1
                for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
                    if s >= end:
                        chosen.append(i)
                        end = e
                pick = np.asarray(chosen, dtype=np.int64)
                starts, words = starts[pick], words[pick]
            term = lexicon.values[words]  # index into block["terms"]
            ptr = self._arrays[f"{name}.group_ptr"]
            index = self._arrays[f"{name}.group_index"]
            per_term = ptr[term + 1] - ptr[term]
            groups = index[np.repeat(ptr[term], per_term) + _ranges(per_term)]
            segments = np.repeat(segment[starts], per_term)
            rows = segments // per_row
            counts = np.bincount(rows * n_groups + groups, weights=weights[segments], minlength=n_rows * n_groups)
            counts = counts.reshape(n_rows, n_groups)
        dense = np.log1p(counts) * block["prior_weight"]
        if block.get("weight") is not None:
            dense = dense * block["weight"]
        rows, cols = np.nonzero(dense)
        return _Block(rows.astype(np.int64), cols.astype(np.int64), dense[rows, cols])

    # -- the word tokenizer ----------------------------------------------------------------

    def cut(self, texts: Sequence[str], block: dict[str, Any] | None = None) -> list[list[str]]:
        """jieba's tokens of each normalised text (unfiltered: the vocabulary lookup drops the rest).

        rjieba's default instance when it is loaded or the batch is large; :class:`JiebaLite` for
        small inputs when the model carries jieba's dictionary (the same tokens, no 0.1 s load).
        With user words or the HMM, the model's own :class:`~classifier.model.text.JiebaTokenizer`.
        """
        block = block or self._word_block
        assert block is not None
        if block["user_words"] or block["hmm"]:
            tokenizer = JiebaTokenizer(block["user_words"], hmm=block["hmm"])  # keeps jieba-rs' HMM fix-up
            return [tokenizer(t) for t in texts]
        size = sum(map(len, texts))
        if (
            self._rjieba is None
            and self._dictionary is not None
            and size <= LITE_MAX_CHARS
            and self._lite_chars + size <= LITE_BUDGET_CHARS
        ):
            self._lite_chars += size
            if self._lite is None:
                self._lite = JiebaLite(self._dictionary())
            return self._lite.cut_many(texts)
        if self._rjieba is None:
            import rjieba

            # The module's default instance: one dictionary per process. Without the HMM, rjieba's
            # tokens are jieba's own (JiebaTokenizer's fix-up only concerns HMM runs; checked on
            # every XWLB pool and dev article).
            self._rjieba = rjieba.cut
        cut = self._rjieba
        return [cut(t, False) for t in texts]

    def prepare(self) -> None:
        """Build every lookup structure and load rjieba now (before forking workers: they share them).

        Nothing is read from the model's files afterwards (rjieba cuts every input, so jieba's
        stored dictionary is not needed).
        """
        if self._rjieba is None and self._word_block is not None:
            import rjieba

            self._rjieba = rjieba.cut
        self.records([_Text("", "prepare", "")])
        for index in self._char_index.values():
            index.build()

    # -- features and scores ---------------------------------------------------------------

    def normalised(self, texts: Sequence[str]) -> list[str]:
        """What the pipeline's ``normalise`` step gives: headline repeated, NFKC, spaces, lower case."""
        return [p.full for p in self._pieces(texts)]

    def _pieces(self, texts: Sequence[str]) -> list[_Pieces]:
        """Each text's normalised headline and body, normalised once (not once per headline repeat).

        ``normalise("T\\nT\\nT\\nT\\nB") == " ".join([normalise(T)] * 4 + [normalise(B)])``: a line
        break is a stable character for NFKC and lower-casing, and every white-space run becomes
        one space. A text without a headline (or models that do not repeat it) is all body.
        """
        repeats = self.title_repeats
        heads, bodies = [], []
        for text in texts:
            title, newline, body = text.partition("\n")
            if repeats > 1 and newline and title.strip():
                heads.append(title)
                bodies.append(body)
            else:
                heads.append("")
                bodies.append(text)
        norm, traditional = _normalise_batch(heads + bodies)
        n = len(texts)
        out = []
        for i, text in enumerate(texts):
            head, body = norm[i], norm[n + i]
            if heads[i] and (not head or traditional[i] or traditional[n + i]):
                # a headline NFKC turns into white space, or OpenCC's phrases: the plain way
                head, body = "", normalise(weigh_title(text, repeats))
            out.append(_Pieces(head, body, repeats))
        return out

    def _blocks(self, texts: Sequence[str]) -> list[_Block]:
        pieces = self._pieces(texts)
        out = []
        for block in self.blocks:
            kind = block["kind"]
            if kind == "words":
                # binary counts: the set of words of "t t t t b" is the set of "t b"'s (a space
                # always ends a jieba block)
                words = [p.once() for p in pieces] if block["binary"] else [p.full for p in pieces]
                out.append(self._words(block, words))
            elif kind == "chars":
                view = [p.for_ngrams() for p in pieces] if block["binary"] else [p.full for p in pieces]
                out.append(self._chars(block, view))
            elif block.get("spaceless", False):
                # no term holds white space, so no match crosses a space: count the headline's
                # matches once, times the repeats
                segments = [x for p in pieces for x in (p.head, p.body)]
                weights = np.tile(np.array([float(self.title_repeats), 1.0]), len(pieces))
                out.append(self._term_priors(block, segments, weights, len(pieces)))
            else:
                out.append(self._term_priors(block, [p.full for p in pieces], np.ones(len(pieces)), len(pieces)))
        return out

    def features(self, texts: Sequence[str]) -> Features:
        """The feature matrix of a batch, equal to ``pipeline[:-1].transform(texts).tocsr()``.

        Parameters
        ----------
        texts : sequence of ``n`` str
            ``"title\\nbody"`` strings (:attr:`classifier.article.Article.full_text`).

        Returns
        -------
        Features
            CSR arrays of shape ``(n, F)``, columns sorted within each row.
        """
        return self._csr(self._blocks(texts), len(texts))

    def _csr(self, parts: list[_Block], n: int) -> Features:
        rows = np.concatenate([p.rows for p in parts])
        cols = np.concatenate([p.cols + b["offset"] for p, b in zip(parts, self.blocks, strict=True)])
        data = np.concatenate([p.values for p in parts])
        order = np.argsort(rows, kind="stable")  # blocks in column order, each sorted within a row
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return Features(indptr, cols[order], data[order], (n, self.n_features))

    def _decisions(self, parts: list[_Block], n: int) -> np.ndarray:
        """Linear decisions ``(n, T)``, each row's products summed in column order (SciPy's order).

        With SciPy's compiled ``csr_matvec`` (:func:`_csr_matvec`): per block and topic, one C loop
        that continues each row's sum from the previous blocks' (``sum = y[i]; sum += x * coef``),
        so the sums run over the blocks' concatenation in column order, as the pipeline's. Without
        it, one ``np.bincount`` per topic over all entries: the same sums in the same order, four
        times slower on a batch (a gather, a product and a bincount per topic, 19 ms against 2 ms
        for 256 pool articles).
        """
        matvec = _csr_matvec()
        if matvec is None:
            rows = np.concatenate([p.rows for p in parts])
            cols = np.concatenate([p.cols + b["offset"] for p, b in zip(parts, self.blocks, strict=True)])
            data = np.concatenate([p.values for p in parts])
            decisions = np.empty((n, len(self.topics)))
            for j, coef in enumerate(self._coef_by_topic):
                # bincount adds each row's products in input order: the row's column order
                decisions[:, j] = np.bincount(rows, weights=data * coef[cols], minlength=n)
            return decisions + self.intercept
        by_topic = np.zeros((len(self.topics), n))
        for part, block in zip(parts, self.blocks, strict=True):
            if not len(part.rows):
                continue
            # int32 column indices where a block has them (half the memory traffic), the row pointers alike
            index_type = np.int32 if part.cols.dtype == np.int32 else np.int64
            indptr = np.zeros(n + 1, dtype=index_type)
            np.cumsum(np.bincount(part.rows, minlength=n), out=indptr[1:])
            cols = np.ascontiguousarray(part.cols, dtype=index_type)
            values = np.ascontiguousarray(part.values, dtype=np.float64)
            lo, width = block["offset"], block["width"]
            for coef, out in zip(self._coef_by_topic, by_topic, strict=True):
                matvec(n, width, indptr, cols, values, coef[lo : lo + width], out)
        return by_topic.T + self.intercept

    def _calibrate(self, decisions: np.ndarray) -> np.ndarray:
        return calibrate(decisions, self.calibrators)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated topic scores of a batch, equal to the pipeline's ``predict_proba(texts)`` bit for bit.

        Parameters
        ----------
        texts : sequence of ``n`` str
            ``"title\\nbody"`` strings.

        Returns
        -------
        ndarray of float64, shape (n, T)
            Column ``j`` is topic ``self.topics[j]``.
        """
        parts = self._blocks(texts)
        return self._calibrate(self._decisions(parts, len(texts)))

    # -- records (classifier.tagging.tagger.Tagger's output) ----------------------------------------

    def records(
        self,
        articles: Sequence[Any],
        top: int | None = None,
        explain: bool = False,
        n_keywords: int = 5,
    ) -> list[dict[str, Any]]:
        """The tagger's records of a batch of articles, in order: the dicts :class:`~classifier.tagging.tagger.Tagger` makes.

        Parameters
        ----------
        articles : sequence of ``n`` Article
            Anything with ``id``, ``title`` and ``full_text``.
        top : int or None
            Keep at most this many assigned topics (highest score first).
        explain : bool
            Add ``explain``: per assigned topic, the five features whose value times coefficient
            is largest (positive only), rounded to 4 decimals.
        n_keywords : int
            How many words (two characters or more) of the word block to report, highest value first.

        Returns
        -------
        list of ``n`` dict
            ``id``, ``title``, ``topics``, ``scores`` (rounded to 4 decimals), ``keywords`` [, ``explain``].
        """
        n = len(articles)
        if not n:
            return []
        parts = self._blocks([a.full_text for a in articles])
        scores = self._calibrate(self._decisions(parts, n))
        keywords = self._keywords(parts, n, n_keywords)
        features = self._csr(parts, n) if explain else None
        topics = self.topics
        four = repeat(4)  # round(score, 4), from map
        out = []
        for i, (article, row, assigned) in enumerate(
            zip(articles, scores.tolist(), assign_columns(scores, self.thresholds, top), strict=True)
        ):
            record: dict[str, Any] = {
                "id": article.id,
                "title": article.title,
                "topics": [topics[j] for j in assigned],
                "scores": dict(zip(topics, map(round, row, four), strict=True)),
                "keywords": keywords[i],
            }
            if features is not None:
                indices, data = features.row(i)
                record["explain"] = {topics[j]: self._reasons(indices, data, j) for j in assigned}
            out.append(record)
        return out

    def _keywords(self, parts: list[_Block], n: int, k: int) -> list[list[str]]:
        """Each row's highest-valued words of two characters or more (ties: lower column first)."""
        out: list[list[str]] = [[] for _ in range(n)]
        if self.blocks[0]["kind"] != "words" or k <= 0:  # as the Tagger: the first block's words only
            return out
        block, part = self.blocks[0], parts[0]
        vocabulary = block["vocabulary"]
        if self._long_word is None:
            self._long_word = np.fromiter((len(w) >= 2 for w in vocabulary), dtype=bool, count=len(vocabulary))
        keep = self._long_word[part.cols]
        rows, cols, values = part.rows[keep], part.cols[keep], part.values[keep]
        counts = np.bincount(rows, minlength=n)
        width = int(counts.max(initial=0))
        if k < width and n * width <= 16 * len(rows):
            # only entries at or above their row's k-th largest value can be among its first k: that
            # value from a partition of the rows laid out side by side (-inf where a row is shorter)
            rank = np.arange(len(rows)) - (np.cumsum(counts) - counts).take(rows)
            side_by_side = np.full((n, width), np.inf)
            side_by_side[rows, rank] = -values
            kth = -np.partition(side_by_side, k - 1, axis=1)[:, k - 1]
            candidate = values >= kth.take(rows)
            rows, cols, values = rows[candidate], cols[candidate], values[candidate]
        # (row, -value, column) order: the entries come in (row, column) order, so a stable sort by
        # -value then a stable sort by row (a radix sort on int16) give lexsort's order in half its time
        order = np.argsort(-values, kind="stable")
        by_row = rows[order]
        order = order[np.argsort(by_row.astype(np.int16) if n <= 2**15 else by_row, kind="stable")]
        rows, cols = rows[order], cols[order]
        starts = np.searchsorted(rows, np.arange(n))
        rank = np.arange(len(rows)) - starts[rows]
        pick = rank < k
        for r, c in zip(rows[pick].tolist(), cols[pick].tolist(), strict=True):
            out[r].append(vocabulary[c])
        return out

    def reasons(self, text: str, topics: Sequence[str], n: int = 5) -> dict[str, list[list[Any]]]:
        """Per named topic (of this model), the ``n`` terms that raised its score most, as ``explain`` lists them."""
        indices, data = self.features([text]).row(0)
        return {t: self._reasons(indices, data, self.topics.index(t), n) for t in topics if t in self.topics}

    def _reasons(self, indices: np.ndarray, data: np.ndarray, topic: int, n: int = 5) -> list[list[Any]]:
        contributions = data * self.coef[indices, topic]
        order = np.argsort(-contributions)[:n]
        return [
            [self.feature_name(int(indices[k])).replace("__", ":", 1), round(float(contributions[k]), 4)]
            for k in order
            if contributions[k] > 0
        ]

    def feature_name(self, column: int) -> str:
        """``<block>__<term>``, as ``FeatureUnion.get_feature_names_out`` names the column."""
        for block in self.blocks:
            local = column - block["offset"]
            if 0 <= local < block["width"]:
                if block["kind"] == "words":
                    term = block["vocabulary"][local]
                elif block["kind"] == "chars":
                    term = _unpack_ngram(int(self._arrays[f"{block['name']}.keys"][local]))
                else:
                    term = block["groups"][local]
                return f"{block['name']}__{term}"
        raise IndexError(column)


_MATVEC: list[Callable[..., None] | None] = []


def _csr_matvec() -> Callable[..., None] | None:
    """SciPy's compiled ``csr_matvec(n_row, n_col, indptr, indices, data, x, y)`` (``y += A @ x``), or ``None``.

    SciPy comes with scikit-learn. Its extension module ``scipy.sparse._sparsetools`` is loaded on
    its own, from its file, unless ``scipy.sparse`` is imported already: importing ``scipy.sparse``
    costs 0.15 s (its array-API set-up), the module alone 0.5 ms. The function is checked once on a
    small matrix holding a row of several entries, a row continued from a value in ``y`` and an
    empty row: a SciPy without it, or whose loop sums otherwise, leaves ``None`` (the bincount
    path, the same bits).
    """
    if not _MATVEC:
        _MATVEC.append(_checked(_load_sparsetools()))
    return _MATVEC[0]


def _load_sparsetools() -> Any:
    import sys

    module = sys.modules.get("scipy.sparse._sparsetools")
    if module is not None:
        return module
    try:
        import importlib.machinery
        import importlib.util
        from pathlib import Path

        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        if scipy_spec is None or scipy_spec.origin is None:
            return None
        folder = Path(scipy_spec.origin).parent / "sparse"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_sparsetools{suffix}"
            if path.is_file():
                spec = importlib.util.spec_from_file_location("scipy.sparse._sparsetools", path)
                if spec is None or spec.loader is None:
                    return None
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module
    except (ImportError, OSError):
        return None
    return None


def _checked(module: Any) -> Callable[..., None] | None:
    matvec = getattr(module, "csr_matvec", None)
    if matvec is None:
        return None
    indptr = np.array([0, 3, 3, 5], dtype=np.int64)
    indices = np.array([0, 2, 3, 1, 2], dtype=np.int64)
    data = np.array([0.1, 1e16, -1e16, 0.25, -3.0])
    x = np.array([3.0, 5.0, 1.0, 1.0])
    y = np.array([0.0, 7.0, 1.0])
    try:
        matvec(3, 4, indptr, indices, data, x, y)
    except (TypeError, ValueError, RuntimeError):
        return None
    # row 0 in column order: (0.3 + 1e16) - 1e16 == 2.0, not 0.3; row 2 continued from 1.0
    expected = [((0.0 + 0.1 * 3.0) + 1e16) - 1e16, 7.0, (1.0 + 0.25 * 5.0) + -3.0]
    return matvec if y.tolist() == expected else None


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])``, vectorised."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def from_export(
    arrays: Mapping[str, np.ndarray],
    settings: dict[str, Any],
    dictionary: Callable[[], Mapping[str, np.ndarray]] | None = None,
) -> FastModel:
    """A :class:`FastModel` from ``tagger.npz`` / ``tagger.json``, in either layout.

    Export format 2 (:func:`classifier.model.export.stored_tagger`, model format 5) holds the
    arrays as tagging uses them (``coef_by_topic``, packed ``<block>.keys`` with their ``order``
    and closedness): they are taken as they are, views of the file's checked bytes. Export format 1
    (:func:`classifier.model.export.export_tagger`, model formats 3-4 and pipelines in memory)
    stores each character vocabulary as a unicode array ``<block>.terms``: it is converted here
    (about 0.1 s for the shipped model). The term priors' ``term_groups`` (term -> groups) are
    mapped to a term list with distinct groups either way.

    Parameters
    ----------
    arrays, settings
        What :func:`classifier.model.store.read_tagger` returns (its first two items).
    dictionary
        Returns jieba's dictionary arrays for :class:`JiebaLite` (read lazily); ``None``: small
        inputs are cut with rjieba too.

    Raises
    ------
    KeyError, ValueError, TypeError
        When an array or setting is missing or malformed (the caller refuses the model in one line).
    """
    stored = int(settings.get("export_format", 1)) >= 2
    coef_name = "coef_by_topic" if stored else "coef"
    out: dict[str, np.ndarray] = {
        k: np.asarray(arrays[k]) for k in (coef_name, "intercept", "calibrators", "thresholds")
    }
    char_facts: dict[str, tuple[np.ndarray | None, bool | None]] = {}
    long_word: np.ndarray | None = None
    blocks = []
    for spec in settings["blocks"]:
        name, kind = spec["name"], spec["kind"]
        block: dict[str, Any] = {
            "name": name,
            "offset": int(spec["offset"]),
            "width": int(spec["width"]),
            "weight": spec.get("union_weight"),
        }
        if kind in ("words", "chars"):
            block.update(binary=bool(spec["binary"]), sublinear_tf=bool(spec["sublinear_tf"]), idf=bool(spec["idf"]))
            if spec["idf"]:
                out[f"{name}.idf"] = np.asarray(arrays[f"{name}.idf"], dtype=np.float64)
            if kind == "chars":
                preprocessor = spec.get("preprocessor")
                if preprocessor is not None and not str(preprocessor).endswith(".char_view"):
                    raise ValueError(f"block {name!r}: unknown preprocessor {preprocessor!r}")
                if int(spec["ngram_range"][1]) > 3:
                    raise ValueError("character n-grams longer than 3 are not supported")
                block.update(
                    kind="chars",
                    ngram_range=list(spec["ngram_range"]),
                    preprocessor="char_view" if preprocessor else None,
                )
                if stored:
                    keys = np.asarray(arrays[f"{name}.keys"])
                    if keys.dtype != np.int64 or keys.ndim != 1:
                        raise ValueError(f"block {name!r}: keys of type {keys.dtype}")
                    order = np.asarray(arrays[f"{name}.order"])
                    if order.shape != keys.shape or order.dtype.kind != "i":
                        raise ValueError(f"block {name!r}: order does not fit its keys")
                    if len(order) and (int(order.min()) < 0 or int(order.max()) >= len(keys)):
                        raise ValueError(f"block {name!r}: order names columns it does not have")
                    closed = bool(spec["closed"])
                else:  # worked out by the index (closedness when its hash is built), as before format 5
                    keys = pack_ngrams(np.asarray(arrays[f"{name}.terms"]))
                    order, closed = None, None
                out[f"{name}.keys"] = keys
                char_facts[name] = (order, closed)
                n_terms = len(keys)
            else:
                terms = np.asarray(arrays[f"{name}.terms"])
                if block["offset"] == 0 and terms.dtype.kind == "U":  # the keyword words: two characters or more
                    # len(w) >= 2 <=> a code point after the first (NumPy strips only trailing NULs);
                    # from the UTF-32 array itself: np.char would import numpy.char (5 ms)
                    width = terms.dtype.itemsize // 4
                    points = terms.view(np.uint32).reshape(len(terms), width)
                    long_word = np.any(points[:, 1:] != 0, axis=1) if width > 1 else np.zeros(len(terms), dtype=bool)
                n_terms = len(terms)
                block.update(
                    kind="words",
                    vocabulary=terms.tolist(),
                    stop_words=list(spec.get("stop_words", [])),
                    user_words=list(spec.get("user_words", [])),
                    hmm=bool(spec.get("hmm", False)),
                )
        elif kind == "terms":
            term_groups: dict[str, list[int]] = spec["term_groups"]
            terms_list = list(term_groups)
            ptr, groups = [0], []
            for term in terms_list:
                groups.extend(sorted(set(term_groups[term])))
                ptr.append(len(groups))
            out[f"{name}.group_ptr"] = np.asarray(ptr, dtype=np.int32)
            out[f"{name}.group_index"] = np.asarray(groups, dtype=np.int32)
            block.update(
                kind="terms",
                terms=terms_list,
                groups=list(spec["groups"]),
                prior_weight=float(spec["prior_weight"]),
                spaceless=not any(ch.isspace() for term in terms_list for ch in term),
            )
        else:
            raise ValueError(f"block {name!r}: unknown kind {kind!r}")
        blocks.append(block)
        width = len(block["groups"]) if kind == "terms" else n_terms
        if width != block["width"]:
            raise ValueError(f"block {name!r}: {width} columns, the settings say {block['width']}")
    mine: dict[str, Any] = {
        "topics": [str(t) for t in settings["topics"]],
        "title_repeats": int(settings["title_repeats"]),
        "hash_multiplier": HASH_MULTIPLIER,
        "n_features": sum(b["width"] for b in blocks),
        "blocks": blocks,
    }
    if not any(b["kind"] == "words" for b in blocks):
        dictionary = None
    model = FastModel(out, mine, dictionary=dictionary)
    if model.coef.shape != (model.n_features, len(model.topics)):
        raise ValueError(f"coef has shape {model.coef.shape}, expected {(model.n_features, len(model.topics))}")
    # Built now from the stored order and closedness (a gather, no sort): what a first article needs.
    for name, (order, closed) in char_facts.items():
        model._char_index[name] = _CharIndex(out[f"{name}.keys"], order, closed)
    if long_word is not None and blocks[0]["kind"] == "words":
        model._long_word = long_word
    return model


def from_pipeline(pipeline: Any) -> FastModel | None:
    """The array tagger of a fitted pipeline in memory, or ``None`` when the exporter does not know the pipeline."""
    from classifier.model.export import export_tagger

    exported = export_tagger(pipeline)
    return from_export(*exported) if exported is not None else None


def compiled_scorer(
    pipeline: Any, batch_size: int = 256
) -> Callable[[Sequence[str]], tuple[np.ndarray, list[list[str]]]] | None:
    """A function scoring texts with a fitted pipeline through its compiled tagger, or ``None`` when it has none.

    For self-training (:attr:`classifier.model.training.Recipe.scorer`): the first fit scores up to
    2,000 unlabelled articles, about three times faster this way than through scikit-learn.

    Parameters
    ----------
    pipeline : Pipeline
        Fitted; one :func:`classifier.model.export.export_tagger` knows (else ``None`` is returned).
    batch_size : int
        Texts per batch (bounds the temporaries).

    Returns
    -------
    callable or None
        ``score(texts) -> (scores, topics)``: ``scores`` of shape ``(n, T)`` equal bit for bit to
        ``pipeline.predict_proba(texts)``, and each text's assigned topic ids, highest score first,
        as :func:`classifier.model.estimator.scores_and_topics` gives them.
    """
    model = from_pipeline(pipeline)
    if model is None:
        return None
    model.prepare()  # before any fork: rjieba's dictionary and the hash tables, built once

    def score(texts: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
        texts = list(texts)
        parts = [model.scores(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        scores = np.concatenate(parts) if parts else np.zeros((0, len(model.topics)))
        topics = [[model.topics[j] for j in row] for row in assign_columns(scores, model.thresholds)]
        return scores, topics

    return score
