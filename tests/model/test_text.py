"""Text to tokens: rjieba with the compatibility fix gives jieba's own tokens."""

from __future__ import annotations

import pytest

from tests.tagging import sample_texts


@pytest.mark.slow
def test_tokens_are_jiebas() -> None:
    import jieba

    from classifier.model.text import _WORDLIKE, JiebaTokenizer, normalise

    for hmm in (False, True):  # the recipe's setting, and the one older models were trained with
        tokenizer = JiebaTokenizer(hmm=hmm)
        for text in sample_texts():
            text = normalise(text)
            expected = [w for w in jieba.lcut(text, HMM=hmm) if w.strip() and _WORDLIKE.search(w)]
            assert tokenizer(text) == expected, text[:40]
