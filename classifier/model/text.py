"""Text to tokens without scikit-learn: normalisation, the headline weight, the character view and jieba words.

Kept apart from :mod:`classifier.model.features` so that tagging with the array tagger
(:mod:`classifier.tagging`) can start without importing scikit-learn or SciPy.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence

from classifier.chinese import to_simplified

# A token worth keeping has at least one CJK character, letter or digit.
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Traditional characters to simplified (OpenCC), NFKC (full-width letters and digits to ASCII),
    lower case, runs of white space to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", to_simplified(text))).strip().lower()


_DIGIT = re.compile(r"\d")


def weigh_title(text: str, repeats: int) -> str:
    """Repeat the first line of ``"title\nbody"`` so that it appears ``repeats`` times.

    An empty first line means no title, and the text is returned as it is.
    """
    title, newline, body = text.partition("\n")
    if not newline or not title.strip() or repeats <= 1:
        return text
    return "\n".join([title] * repeats + [body])


def char_view(text: str) -> str:
    """What the character n-grams see: digits folded to ``0``, ``^`` and ``$`` marking start and end.

    Folding digits keeps "2023年" and "2024年" one feature; the marks let n-grams tell a text's
    first and last characters apart (a headline's opening word matters).
    """
    return "^" + _DIGIT.sub("0", text) + "$"


class JiebaTokenizer:
    """Split Chinese text into words with jieba's dictionary; a picklable callable for ``TfidfVectorizer``.

    Without user words it runs on ``rjieba`` (jieba-rs: the same dictionary and HMM, compiled),
    about ten times faster than pure-Python jieba and with no dictionary cache to build at start
    up; :func:`_jieba_compatible` undoes the one place where jieba-rs splits differently, so the
    tokens are jieba's own (checked on every article of the XWLB dev set and pool and of
    THUCNews). With user words, or when ``rjieba`` is missing, it runs on jieba itself.

    Parameters
    ----------
    user_words : sequence of str
        Extra dictionary words (domain terms) so that jieba keeps them whole.
    hmm : bool
        Let jieba's HMM guess words missing from its dictionary. Off by default: it chose better
        on THUCNews by cross-validation, and dictionary-only cutting is faster.
    """

    def __init__(self, user_words: Sequence[str] = (), hmm: bool = False) -> None:
        self.user_words = tuple(user_words)
        self.hmm = hmm

    def __call__(self, text: str) -> list[str]:
        return _segmenter(self.user_words, self.hmm)(text)


def _kept(word: str) -> bool:
    return bool(len(word.strip()) and _WORDLIKE.search(word))


#: Distinct words remembered per segmenter before its memory starts afresh (a few tens of MB).
_MEMO_MAX = 500_000


def _memoised(cut: Callable[[str], list[str]], fix: Callable[[list[str]], list[str]]) -> Callable[[str], list[str]]:
    """``cut``, each word then mapped through ``fix`` and the filter of :class:`JiebaTokenizer`, remembered per word.

    Both act on each word alone, and a text's words are mostly words seen before: one dict lookup
    a word instead of two regular-expression searches (a third of training's word block).
    """
    memo: dict[str, tuple[str, ...]] = {}

    def tokens(text: str) -> list[str]:
        words = cut(text)
        new = set(words).difference(memo)
        if new:
            if len(memo) + len(new) > _MEMO_MAX:
                memo.clear()
                new = set(words)
            for word in new:
                memo[word] = tuple(token for token in fix([word]) if _kept(token))
        return [token for word in words for token in memo[word]]

    return tokens


# jieba's rule for a run of non-Chinese characters that is not a dictionary word (finalseg's
# re_han / re_skip): letters and digits stay together, every other character stands alone.
_HAN = re.compile("[\u4e00-\u9fd5]")
_ALNUM_RUN = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")


def _jieba_compatible(words: list[str], in_dictionary: Callable[[str], bool]) -> list[str]:
    """Re-split the tokens jieba-rs keeps whole but jieba does not.

    jieba-rs's HMM step keeps runs such as ``f-22``, ``1-4`` or ``20th.cpcnews.cn`` as one
    token; jieba splits them into ``f``, ``-``, ``22``. Only non-Chinese, non-dictionary runs
    are affected, and only those are touched here.
    """
    out: list[str] = []
    for word in words:
        if len(word) > 1 and not _HAN.search(word) and not _ALNUM_RUN.fullmatch(word) and not in_dictionary(word):
            out.extend(piece for piece in _ALNUM_RUN.split(word) if piece)
        else:
            out.append(word)
    return out


@functools.cache
def _segmenter(user_words: tuple[str, ...], hmm: bool) -> Callable[[str], list[str]]:
    """The word-cutting function (words kept by :class:`JiebaTokenizer`) for a set of user words and HMM setting.

    Built once per process.
    """
    if not user_words:
        try:
            import rjieba
        except ImportError:
            pass
        else:
            # The module's default instance, which importing rjieba builds (0.1 s), as the array
            # tagger uses: a second instance of the same dictionary cost as much again. Nothing
            # here adds words to it (user words go to jieba).
            return _memoised(
                lambda text: rjieba.cut(text, hmm=hmm), lambda words: _jieba_compatible(words, rjieba.has_word)
            )
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in user_words:
        jieba.add_word(word)
    return _memoised(lambda text: jieba.lcut(text, HMM=hmm), lambda words: words)
