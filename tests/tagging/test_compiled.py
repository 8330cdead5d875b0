"""The compiled model gives the scikit-learn pipeline's feature rows, scores and records, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.article import Article
from tests.conftest import MONEY, SPORT, needs_shared
from tests.tagging import sample_texts, seed_articles


def test_compiled_model_equals_the_pipeline_bit_for_bit(seed_model: Path) -> None:
    from classifier.model.store import load_model
    from classifier.tagging.compiled import compile_model

    pipeline = load_model(seed_model).pipeline
    compiled = compile_model(pipeline)
    assert compiled is not None, "the default recipe must compile"
    texts = sample_texts()
    features = pipeline[:-1].transform(texts).tocsr()
    expected = pipeline[-1].predict_proba(features)
    for i, text in enumerate(texts):
        indices, data = compiled.row(text)
        row = features[i]
        assert indices.tolist() == row.indices.tolist()
        assert np.array_equal(data, row.data)
        assert np.array_equal(compiled.scores(indices, data), expected[i])


def test_compiled_model_keeps_the_tokenizers_hmm_setting() -> None:
    """A model cut with jieba's HMM on (as models before the switch were) compiles to the same rows."""
    from classifier.model.text import JiebaTokenizer
    from classifier.model.training import Recipe
    from classifier.tagging.compiled import compile_model

    recipe = Recipe(["money", "sport"], pipeline_params={"features__words__tokenizer": JiebaTokenizer(hmm=True)})
    corpus = [Article(f"s{i}", "", t, ["sport"]) for i, t in enumerate(SPORT)]
    corpus += [Article(f"m{i}", "", t, ["money"]) for i, t in enumerate(MONEY)]
    corpus.append(Article("hmm", "", "锦波生物研发重组胶原蛋白", ["money"]))  # puts HMM's "锦波" in the vocabulary
    pipeline = recipe.fit(corpus).pipeline
    compiled = compile_model(pipeline)
    assert compiled is not None
    # Words jieba's HMM joins but its dictionary alone splits, so the setting changes the tokens.
    texts = ["\n锦波生物研发重组胶原蛋白，足球联赛开赛", "\n央行下调存款准备金率"]
    assert JiebaTokenizer(hmm=True)(texts[0]) != JiebaTokenizer(hmm=False)(texts[0])
    features = pipeline[:-1].transform(texts).tocsr()
    for i, text in enumerate(texts):
        indices, data = compiled.row(text)
        assert indices.tolist() == features[i].indices.tolist()
        assert np.array_equal(data, features[i].data)


def test_compiled_records_equal_the_pipeline_records(seed_model: Path) -> None:
    from classifier.model.store import load_model
    from classifier.tagging.tagger import Tagger, _PipelineModel

    loaded = load_model(seed_model)
    fast = Tagger(loaded, explain=True)
    plain = Tagger(loaded, explain=True)
    plain.model = _PipelineModel(loaded.pipeline)
    articles = seed_articles()
    assert list(fast.tag(articles)) == list(plain.tag(articles))


@pytest.mark.slow
def test_shared_pool_sample_is_tagged_the_same_by_both_paths(seed_model: Path) -> None:
    """A slice of the real pool: rjieba + compiled model against the scikit-learn pipeline."""
    pool = needs_shared("xwlb", "pool.jsonl")
    from itertools import islice

    from classifier.model.store import load_model
    from classifier.reading.reader import read_articles
    from classifier.tagging.tagger import Tagger, _PipelineModel

    articles = list(islice(read_articles([pool]), 300))
    loaded = load_model(seed_model)
    plain = Tagger(loaded)
    plain.model = _PipelineModel(loaded.pipeline)
    assert list(Tagger(loaded).tag(articles)) == list(plain.tag(articles))
