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
        words = _segmenter(self.user_words, self.hmm)(text)
        return [w for w in words if len(w.strip()) and _WORDLIKE.search(w)]


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
    """The word-cutting function for a set of user words and HMM setting, built once per process."""
    if not user_words:
        try:
            import rjieba
        except ImportError:
            pass
        else:
            engine = rjieba.Jieba()
            return lambda text: _jieba_compatible(engine.cut(text, hmm=hmm), engine.has_word)
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for word in user_words:
        jieba.add_word(word)
    return lambda text: jieba.lcut(text, HMM=hmm)
