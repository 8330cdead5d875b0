"""Exact dictionary matching over code points: jieba's dictionary-only cut (:class:`JiebaLite`) and the term lists.

Words are found at every position of a batch's code points by a rolling hash and verified
character by character (:class:`Lexicon`), over arrays built by :mod:`classifier.model.lexicon`.
:class:`JiebaLite` is ``jieba.lcut(text, HMM=False)`` over jieba's dictionary as stored in a model
version (``jieba.npz``): loading it is a few array reads (10-25 ms) where rjieba builds a
349,000-word dictionary (0.11 s), so one small input is cut without paying that; it cuts about
3 us a character (rjieba 0.25 us), so large batches still go to rjieba.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np

from classifier.model.lexicon import HASH_MULTIPLIER, hash_rows, lexicon_arrays
from classifier.model.lexicon import codes as code_points


def _salted(hashes: np.ndarray, length: int) -> np.ndarray:
    """Hashes of ``length``-character strings made distinct from other lengths' (one index for all)."""
    return hashes ^ np.uint64((length * HASH_MULTIPLIER) & 0xFFFFFFFFFFFFFFFF)


class Lexicon:
    """Exact lookup of every dictionary word at every position of a code-point array.

    Words are grouped by length and sorted by rolling hash within a length. A position's
    substring of length ``L`` is hashed incrementally and looked up, and every hit is verified
    character by character, so a hash collision can never make a false match. Two modes:

    * ``indexed`` (the term lists, a few hundred words): per length, a :class:`HashIndex` of the
      hashes of every word and every prefix of a longer word, so positions stop as soon as their
      substring starts no word, and a first-character table filters the positions first;
    * plain (jieba's 349k words, for one article at a time): every position and length, with
      ``searchsorted`` in the stored sorted hashes; nothing to build at load.
    """

    def __init__(self, chars: np.ndarray, hashes: np.ndarray, length_ptr: np.ndarray, indexed: bool = False):
        self.chars = chars
        self.hashes = hashes
        self.length_ptr = length_ptr.tolist()
        self.max_len = len(self.length_ptr) - 2
        # where each length's code points start in ``chars``
        self.char_start = [0] * (self.max_len + 2)
        for length in range(1, self.max_len + 1):
            count = self.length_ptr[length + 1] - self.length_ptr[length]
            self.char_start[length + 1] = self.char_start[length] + count * length
        self.index: HashIndex | None = None
        self.first_char: np.ndarray | None = None
        if indexed:
            self.first_char = np.zeros(0x110000, dtype=bool)
            keys, values = [], []
            for length in range(1, self.max_len + 1):
                codes = self._codes_of_length(length)
                if not len(codes):
                    continue
                self.first_char[codes[:, 0]] = True
                # every prefix of a word (value -2) and the word itself (value: its index)
                lo = self.length_ptr[length]
                for size in range(1, length):
                    keys.append(_salted(hash_rows(codes[:, :size].astype(np.int64)), size))
                    values.append(np.full(len(codes), -2, dtype=np.int64))
                keys.append(_salted(self.hashes[lo : self.length_ptr[length + 1]], length))
                values.append(np.arange(lo, lo + len(codes), dtype=np.int64))
            all_keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
            all_values = np.concatenate(values) if values else np.zeros(0, np.int64)
            # one entry per key: a word's index wins over "prefix only"
            order = np.lexsort((-all_values, all_keys))
            all_keys, all_values = all_keys[order], all_values[order]
            first = np.ones(len(all_keys), dtype=bool)
            first[1:] = all_keys[1:] != all_keys[:-1]
            self.index = HashIndex(all_keys[first], all_values[first])

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Lexicon:
        arrays = lexicon_arrays("x", words, range(len(words)))
        lexicon = cls(arrays["x.chars"], arrays["x.hash"], arrays["x.length_ptr"], indexed=True)
        lexicon.values = arrays["x.freq"]
        return lexicon

    values: np.ndarray

    def _codes_of_length(self, length: int) -> np.ndarray:
        lo, hi = self.length_ptr[length], self.length_ptr[length + 1]
        return self.chars[self.char_start[length] : self.char_start[length] + (hi - lo) * length].reshape(
            hi - lo, length
        )

    def matches(self, codes: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ``(start, length, word)`` with ``codes[start:start + length]`` a word inside one segment.

        Parameters
        ----------
        codes : ndarray of shape (n,)
            Code points.
        segment : ndarray of int of shape (n,)
            Segment id of each position (contiguous runs); ``-1``: matches nothing.

        Returns
        -------
        starts, lengths, words : ndarray of int64 of shape (n_matches,)
            Ordered by length, then start; ``words`` indexes the lexicon's (length, hash) order.
        """
        n = len(codes)
        mult = np.uint64(HASH_MULTIPLIER)
        if self.first_char is not None:
            alive = np.flatnonzero(self.first_char[codes] & (segment >= 0))
        else:
            alive = np.flatnonzero(segment >= 0)
        h = np.zeros(len(alive), dtype=np.uint64)
        out_s, out_l, out_w = [], [], []
        wide = codes.astype(np.uint64) + np.uint64(1)
        # how many characters each position's segment holds from it on: a word of length L fits if L <= room
        if n:
            run_ends = np.append(np.flatnonzero(segment[1:] != segment[:-1]) + 1, n)
            room = run_ends[np.searchsorted(run_ends, alive, side="right")] - alive
        else:
            room = np.zeros(0, dtype=np.int64)
        for length in range(1, self.max_len + 1):
            if not len(alive):
                break
            ok = room >= length
            if not ok.all():
                alive, h, room = alive[ok], h[ok], room[ok]
            end = alive + (length - 1)
            h = h * mult + wide[end]
            lo, hi = self.length_ptr[length], self.length_ptr[length + 1]
            if self.index is not None and length == 1:
                # every position alive starts a word (the first-character filter): no lookup, only
                # the one-character words to find, by their code points
                singles = self.chars[self.char_start[1] : self.char_start[2]].astype(np.uint32)
                order = np.argsort(singles)
                first = codes[alive]
                hit = np.isin(first, singles)
                words = lo + order[np.searchsorted(singles[order], first[hit])]
                keep = None
            elif self.index is not None:
                found = self.index.get(_salted(h, length))
                # a salted hash of another length can collide: only words of this length count
                hit = (found >= lo) & (found < hi)
                words = found[hit]
                keep = found != -1
            else:
                hit = np.zeros(len(h), dtype=bool)
                words = np.zeros(0, dtype=np.int64)
                keep = None
                if hi > lo:
                    group = self.hashes[lo:hi]
                    at = np.searchsorted(group, h)
                    at[at == len(group)] = 0
                    hit = group[at] == h
                    words = at[hit] + lo
            if hit.any():
                starts = alive[hit]
                offsets = np.arange(length)
                stored = self.chars[self.char_start[length] + (words - lo)[:, None] * length + offsets]
                exact = np.all(codes[starts[:, None] + offsets] == stored, axis=1)
                out_s.append(starts[exact])
                out_l.append(np.full(int(exact.sum()), length, dtype=np.int64))
                out_w.append(words[exact])
            if keep is not None:
                alive, h, room = alive[keep], h[keep], room[keep]
        if not out_s:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(out_s), np.concatenate(out_l), np.concatenate(out_w)


class HashIndex:
    """Vectorised open-addressing hash map (linear probing) from distinct int64 keys to their positions, or to values.

    Built at load from arrays the file holds (a few vectorised insertion rounds), so the format
    keeps only the keys. A slot holds only a key's position in ``keys`` (int32, ``-1``: empty)
    and a lookup compares ``keys[position]``: a quarter of the memory of a table of (key, value)
    pairs (8 MiB for the default model's 434,000 character n-grams, not 32, in every worker
    process). Load factor at most 1/4: most lookups end at the first probe, where a binary search
    takes twenty dependent steps.

    Parameters
    ----------
    keys : ndarray of int64 or uint64 of shape (n,)
        Distinct keys (kept, not copied).
    values : ndarray of int64 of shape (n,) or None
        What :meth:`get` gives for each key; ``None``: its position in ``keys``.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray | None = None) -> None:
        keys = np.asarray(keys)
        self.keys = keys.view(np.int64) if keys.dtype == np.uint64 else np.asarray(keys, np.int64)
        self.values = None if values is None else np.asarray(values, dtype=np.int64)
        bits = max(4, int(np.ceil(np.log2(4 * len(self.keys) + 1))))
        self.shift = 64 - bits
        self.mask = (1 << bits) - 1
        self.table = np.full(1 << bits, -1, dtype=np.int32)
        home = self._slot(self.keys)
        pending = np.arange(len(self.keys), dtype=np.int32)
        probe = 0
        while len(pending):
            slots = (home[pending] + probe) & self.mask
            empty = self.table[slots] == -1
            claim, claim_slots = pending[empty], slots[empty]
            self.table[claim_slots] = claim  # of several claims on one slot, one is stored: it won
            won = np.zeros(len(self.keys), dtype=bool)
            won[claim[self.table[claim_slots] == claim]] = True
            pending = pending[~won[pending]]
            probe += 1

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        """Home slot of each key: the top bits of ``key * multiplier mod 2**64`` (a logical shift, no mask)."""
        hashed = keys.view(np.uint64) * np.uint64(HASH_MULTIPLIER)
        hashed >>= np.uint64(self.shift)
        return hashed.view(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value (or position) of each key, ``-1`` for a key not in the map; int64, shape of ``keys``.

        An empty slot (``-1``) is looked up as ``keys[-1]``, the last key, without a test: a key
        equal to it is in the map, and a key of the map is reached along its probe sequence before
        any empty slot, so the comparison alone tells hits (most lookups end at the first probe).
        """
        keys = np.asarray(keys)
        keys = keys.view(np.int64) if keys.dtype == np.uint64 else keys.astype(np.int64, copy=False)
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        slots = self._slot(keys)
        stored = self.table.take(slots)
        hit = self.keys.take(stored) == keys
        out = np.where(hit, stored, -1)
        pending = np.flatnonzero(hit < (stored >= 0))  # another key in the slot: probe the next ones
        probe = 1
        while len(pending):
            wanted = keys[pending]
            stored = self.table.take((slots[pending] + probe) & self.mask)
            hit = self.keys.take(stored) == wanted
            out[pending[hit]] = stored[hit]
            pending = pending[hit < (stored >= 0)]
            probe += 1
        if self.values is not None:
            found = out >= 0
            out[found] = self.values[out[found]]
        return out


# --- jieba's dictionary-only cut, exactly, without loading jieba or rjieba ---------------------

_JIEBA_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
_JIEBA_SKIP = re.compile("(\r\n|\\s)")
_JIEBA_ENG = re.compile("[a-zA-Z0-9]")


class JiebaLite:
    """``jieba.lcut(text, HMM=False)`` over the prebuilt dictionary arrays of :func:`classifier.model.lexicon.jieba_dictionary`.

    The same algorithm as jieba's ``Tokenizer.cut`` with ``HMM=False``: text split into runs of
    ``[\\u4e00-\\u9fd5a-zA-Z0-9+#&._%-]`` (other characters one by one), a DAG of dictionary words
    over each run, the route of highest log-probability (ties to the longer word, jieba's
    ``max`` over ``(score, end)``), single ASCII letters and digits merged. Loading is a few array
    reads (10-25 ms) instead of building a 349k-word dictionary (rjieba: 0.11 s); it cuts about
    3 us a character (rjieba: 0.25 us), so it serves small inputs and large batches use rjieba.
    Checked token for token against ``jieba.lcut(HMM=False)`` on every XWLB pool and dev article
    and every THUCNews test headline, raw and normalised (the research branch's ``benchmarks/verify_fast.py``;
    ``tests/tagging/test_fast.py`` checks it on the seeds, random texts and the pool's first 2,000 articles).

    Parameters
    ----------
    arrays : mapping of str to ndarray
        ``jieba.chars``, ``jieba.hash``, ``jieba.freq``, ``jieba.length_ptr`` and ``jieba.total``
        (the dictionary's count total, jieba's ``total``), as
        :func:`classifier.model.lexicon.jieba_dictionary` makes them.
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        total = int(arrays["jieba.total"])
        self.lexicon = Lexicon(arrays["jieba.chars"], arrays["jieba.hash"], arrays["jieba.length_ptr"])
        self.freq = arrays["jieba.freq"]
        self.log_total = math.log(total)

    def cut(self, text: str) -> list[str]:
        """The tokens of one text, white space included, as ``jieba.lcut(text, HMM=False)``."""
        return self.cut_many([text])[0]

    def cut_many(self, texts: Sequence[str]) -> list[list[str]]:
        joined = "".join(texts)
        codes = code_points(joined)
        lengths = [len(t) for t in texts]
        # segment id = the han run each position belongs to (-1 outside runs)
        segment = np.full(len(codes), -1, dtype=np.int64)
        runs: list[list[tuple[int, int]]] = []
        position, run_id = 0, 0
        for text in texts:
            spans = []
            for match in _JIEBA_HAN.finditer(text):
                a, b = match.span()
                segment[position + a : position + b] = run_id
                spans.append((a, b))
                run_id += 1
            runs.append(spans)
            position += len(text)
        starts, word_lengths, words = self.lexicon.matches(codes, segment)
        # the DAG: per start, its words' ends in increasing order with log(freq) - log(total),
        # computed with math.log as jieba does (so every float is jieba's own)
        order = np.lexsort((word_lengths, starts))
        log, log_total = math.log, self.log_total
        weights = [log(f) - log_total for f in self.freq[words[order]].tolist()]
        ends = (starts + word_lengths - 1)[order].tolist()
        first = np.searchsorted(starts[order], np.arange(len(codes) + 1)).tolist()
        out: list[list[str]] = []
        position = 0
        for text, spans, length in zip(texts, runs, lengths, strict=True):
            tokens: list[str] = []
            cursor = 0
            for a, b in spans:
                if cursor < a:
                    tokens.extend(self._other(text[cursor:a]))
                route = self._route(position + a, position + b, first, ends, weights)
                tokens.extend(self._words(text[a:b], route))
                cursor = b
            if cursor < length:
                tokens.extend(self._other(text[cursor:]))
            out.append(tokens)
            position += length
        return out

    def _route(self, start: int, stop: int, first: list[int], ends: list[int], weights: list[float]) -> list[int]:
        """jieba's ``calc``: the end of the best word at each position of the run ``[start, stop)``.

        ``route[idx] = max((log(freq) - log(total) + route[end + 1][0], end) for end in DAG[idx])``:
        the highest score, ties to the larger end (the candidates come in increasing end order).
        """
        n = stop - start
        score = [0.0] * (n + 1)
        best_end = list(range(n))
        fallback = 0.0 - self.log_total  # log(FREQ.get(c) or 1) - log(total) for a character not a word
        for idx in range(n - 1, -1, -1):
            lo, hi = first[start + idx], first[start + idx + 1]
            if lo == hi:
                score[idx] = fallback + score[idx + 1]
                continue
            best, end = -math.inf, idx
            for k in range(lo, hi):
                e = ends[k] - start
                candidate = weights[k] + score[e + 1]
                if candidate >= best:
                    best, end = candidate, e
            score[idx] = best
            best_end[idx] = end
        return best_end

    @staticmethod
    def _words(sentence: str, route: list[int]) -> list[str]:
        """Words along the route, consecutive single ASCII letters or digits joined (jieba's ``buf``)."""
        n = len(sentence)
        tokens: list[str] = []
        x, buf = 0, ""
        while x < n:
            y = route[x] + 1
            word = sentence[x:y]
            if len(word) == 1 and _JIEBA_ENG.match(word):
                buf += word
            else:
                if buf:
                    tokens.append(buf)
                    buf = ""
                tokens.append(word)
            x = y
        if buf:
            tokens.append(buf)
        return tokens

    @staticmethod
    def _other(block: str) -> list[str]:
        tokens = []
        for x in _JIEBA_SKIP.split(block):
            if _JIEBA_SKIP.match(x):
                tokens.append(x)
            else:
                tokens.extend(x)
        return tokens
