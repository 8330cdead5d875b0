"""Word lists as plain arrays: code points grouped by word length and hash-sorted, and jieba's dictionary in that form.

The array tagger (:mod:`classifier.tagging.fast`) matches dictionary words at every position of
a batch's code points by a rolling hash (``h = h * M + (c + 1)`` mod 2**64, :func:`hash_rows`).
This module builds the arrays it matches against: for the term lists at load, and for jieba's
dictionary once at training time, when :mod:`classifier.model.store` writes them into the
version directory (``jieba.npz``), so that a small input is cut without building rjieba's
349,000-word dictionary (0.11 s a process). No scikit-learn, no jieba import.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Multiplier of the rolling hash of code-point strings (odd, 64-bit).
HASH_MULTIPLIER = 0x9E3779B97F4A7C15
_WORD_COUNT = re.compile(r"^[ \t]*(\S+) (\d+)", re.M)
#: The names of jieba's dictionary arrays (and its count total, a 0-d array) in ``jieba.npz``.
JIEBA_ARRAYS = ("jieba.chars", "jieba.hash", "jieba.freq", "jieba.length_ptr", "jieba.total")


def codes(text: str) -> np.ndarray:
    """The code points of a text, as uint32 (a view of its UTF-32 bytes)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def hash_rows(rows: np.ndarray) -> np.ndarray:
    """Rolling hash ``h = h * M + (c + 1)`` (mod 2**64) of each row of an ``(n, L)`` code-point array."""
    mult = np.uint64(HASH_MULTIPLIER)
    h = np.zeros(rows.shape[0], dtype=np.uint64)
    for j in range(rows.shape[1]):
        h = h * mult + (rows[:, j].astype(np.uint64) + np.uint64(1))
    return h


def lexicon_arrays(prefix: str, words: Sequence[str], values: Sequence[int]) -> dict[str, np.ndarray]:
    """Words grouped by length, hash-sorted within a length, each with a value.

    Returns
    -------
    dict of str to ndarray
        ``<prefix>.chars`` uint16 or uint32 ``(n_chars,)``: the words' code points, by length and,
        within a length, by hash; ``<prefix>.hash`` uint64 ``(n_words,)``: each word's rolling
        hash; ``<prefix>.freq`` ``(n_words,)``: its value (int32 when the values fit);
        ``<prefix>.length_ptr`` int64 ``(max_len + 2,)``: words of length ``L`` are
        ``[length_ptr[L], length_ptr[L + 1])``.

    Raises
    ------
    ValueError
        On a hash collision between two words of one length (never seen; the matcher verifies
        every hit character by character anyway).
    """
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    all_values = np.asarray(values, dtype=np.int64)
    max_len = int(lengths.max()) if len(words) else 0
    codes_all = codes("".join(words))
    starts = np.zeros(len(words), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    char_dtype = np.uint16 if not len(codes_all) or int(codes_all.max()) < 0x10000 else np.uint32
    chars, hashes, vals, ptr = [], [], [], [0, 0]
    for length in range(1, max_len + 1):
        ids = np.flatnonzero(lengths == length)
        if len(ids):
            rows = codes_all[starts[ids][:, None] + np.arange(length)].astype(np.int64)
            h = hash_rows(rows)
            order = np.argsort(h, kind="stable")
            if len(h) > 1 and np.any(np.diff(h[order]) == 0):
                raise ValueError(f"hash collision among the {length}-character words")  # pragma: no cover
            chars.append(rows[order].astype(char_dtype).ravel())
            hashes.append(h[order])
            vals.append(all_values[ids][order])
        ptr.append(ptr[-1] + len(ids))
    value_array = np.concatenate(vals) if vals else np.zeros(0, np.int64)
    if not len(value_array) or (value_array.min() >= -(2**31) and value_array.max() < 2**31):
        value_array = value_array.astype(np.int32)  # jieba's counts fit: a smaller file
    return {
        f"{prefix}.chars": np.concatenate(chars) if chars else np.zeros(0, char_dtype),
        f"{prefix}.hash": np.concatenate(hashes) if hashes else np.zeros(0, np.uint64),
        f"{prefix}.freq": value_array,
        f"{prefix}.length_ptr": np.asarray(ptr, dtype=np.int64),
    }


def jieba_dictionary_path() -> Path | None:
    """The ``dict.txt`` installed with jieba (found without importing jieba), or ``None``."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.is_file() else None


@functools.cache
def jieba_dictionary(path: Path | None = None) -> dict[str, np.ndarray]:
    """jieba's dictionary as :func:`lexicon_arrays` (prefix ``jieba``) plus ``jieba.total``.

    What ``jieba.Tokenizer.gen_pfdict`` reads: ``word count [tag]`` a line; a repeated word keeps
    its last count; only words with a positive count are kept (jieba's DAG ignores the others);
    ``jieba.total`` (int64, 0-d) is the sum of all counts, duplicates included, as jieba's
    ``total``. Built once per process (about 0.5 s): every model trained in it stores the same arrays.

    Raises
    ------
    ValueError
        When jieba (its ``dict.txt``) is not installed.
    """
    path = path or jieba_dictionary_path()
    if path is None:
        raise ValueError("jieba's dict.txt is not installed")
    text = Path(path).read_bytes().decode("utf-8")
    # One regular expression over the file: twice as fast as splitting 349,000 lines one by one.
    pairs = _WORD_COUNT.findall(text)
    if len(pairs) == sum(1 for line in text.splitlines() if line.strip()):
        counts = [int(count) for _, count in pairs]
        freq = dict(zip((word for word, _ in pairs), counts, strict=True))
        total = sum(counts)
    else:  # a line of another shape: read it as gen_pfdict does
        freq, total = {}, 0
        for line in text.splitlines():
            word, count, *_ = line.strip().split(" ")
            freq[word] = int(count)
            total += int(count)
    words = [w for w, f in freq.items() if f > 0]
    arrays = lexicon_arrays("jieba", words, [freq[w] for w in words])
    arrays["jieba.total"] = np.array(total, dtype=np.int64)
    return arrays


#: Bits per code point in a packed character n-gram key (a code point fits in 21 bits, +1 each).
NGRAM_BITS = 21


def pack_ngrams(terms: np.ndarray) -> np.ndarray:
    """Character 1-3-grams (a NumPy unicode array) packed into int64 keys, vectorised, shape ``(n,)``.

    A key is the n-gram's code points, each plus one, :data:`NGRAM_BITS` bits apiece, first code
    point highest: every 1-gram key is below every 2-gram key, below every 3-gram key.

    Raises
    ------
    ValueError
        When a term is empty or longer than three characters.
    """
    terms = np.asarray(terms)
    lengths = np.char.str_len(terms) if len(terms) else np.zeros(0, dtype=np.int64)
    if len(terms) and (lengths.min() < 1 or lengths.max() > 3):
        raise ValueError("character n-grams must be 1-3 characters")
    width = terms.dtype.itemsize // 4
    codes = np.zeros((len(terms), 3), dtype=np.int64)
    codes[:, : min(width, 3)] = terms.view(np.uint32).reshape(len(terms), width)[:, :3]
    keys = np.zeros(len(terms), dtype=np.int64)
    for j in range(3):
        inside = lengths > j
        keys = np.where(inside, (keys << NGRAM_BITS) | (codes[:, j] + 1), keys)
    return keys


def ngram_facts(keys: np.ndarray) -> tuple[np.ndarray, bool]:
    """The columns of packed n-gram keys in ascending key order, and whether the vocabulary is closed.

    Closed: every 2- and 3-gram's two (n-1)-grams are keys too (as with ``min_df=1`` and no
    ``max_features``); then an n-gram need only be looked up where both were found.
    """
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    mask = (1 << NGRAM_BITS) - 1
    length = np.where(keys >= 1 << (2 * NGRAM_BITS), 3, np.where(keys >= 1 << NGRAM_BITS, 2, 1))
    longer = length >= 2
    prefix = keys[longer] >> NGRAM_BITS
    suffix = keys[longer] & np.where(length[longer] == 3, (1 << 2 * NGRAM_BITS) - 1, mask)
    closed = True
    for parts in (prefix, suffix):
        if len(parts) and len(sorted_keys):
            at = np.minimum(np.searchsorted(sorted_keys, parts), len(sorted_keys) - 1)
            closed = closed and bool(np.all(sorted_keys[at] == parts))
    return order, closed
