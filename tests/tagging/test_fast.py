"""The array tagger gives the scikit-learn pipeline's feature rows, scores and records, bit for bit."""

from __future__ import annotations

import json
import random
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifier.article import Article
from classifier.tagging import fast
from tests.conftest import MONEY, SPORT, needs_shared
from tests.tagging import TRICKY, sample_texts, seed_articles

# headlines and normalisation: one-character and empty headlines and bodies, characters NFKC
# changes with their neighbours, capital sigma, dotted I, control characters, white space kinds,
# traditional characters (OpenCC converts phrase by phrase) in the headline, the body or both
EDGES = [
    "a\n",
    "a\nb",
    "ab\n",
    "能\n",
    "能源\n",
    "能源\n能源",
    "Ａ\n",
    "\nbody 能源",
    "  \n能源",
    "\u2000能源\n风电",
    "能源 \n 风电",
    "能源\n\n\n风电\n\n",
    "Σ\nΣ",
    "e\u0301\n\u0301e",
    "ㄱ\nㅏ",
    "2024年\n12月１２日",
    "x\ny\nz",
    "\n",
    "\n\n",
    " ",
    "…\n…℃",
    "ΑΣ ΒΣ\nσς",
    "İ\ni",
    "风电\t光伏\r储能\u3000电网\xa0",
    "\x00能源\x00\n\x00",
    "𠮷野家\n𠮷",
    "^$^\n$^$",
    "國務院發佈新能源汽車產業發展規劃\n電動車銷量增長，風電與光伏裝機容量創新高",
    "新能源汽车\n電動車銷量增長",
    "國務院發佈規劃\n电动车销量增长",
    "頭髮\n後來乾燥的天氣",
    "乾隆皇帝\n",
] + ["能" * i + "\n" + "源" * (20 - i) for i in range(0, 21, 4)]


@pytest.fixture(scope="module")
def pipeline(seed_model: Path) -> Any:
    from classifier.model.store import load_model

    return load_model(seed_model).pipeline


@pytest.fixture(scope="module")
def model(seed_model: Path) -> fast.FastModel:
    """The seed model as the tagger loads it: its tagger.npz, tagger.json and jieba.npz."""
    from classifier.tagging.tagger import load_tagging_model

    loaded = load_tagging_model(seed_model).model
    assert isinstance(loaded, fast.FastModel)
    return loaded


def texts() -> list[str]:
    return sample_texts() + EDGES


def random_texts(n: int = 300, seed: int = 0) -> list[str]:
    """Headline and body of random characters: CJK, traditional, ASCII, digits, punctuation, white space, marks."""
    from classifier.chinese import traditional_chars

    rng = random.Random(seed)
    pools = [
        [chr(c) for c in range(0x4E00, 0x9FA6)],
        sorted(traditional_chars()),
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        list("，。！？、；：“”‘’（）《》—…·-_.%#&+ \t\n\u3000\xa0"),
        list("能源风电光伏储能电网经济体育足球比赛"),
        ["\u0301", "\u3099", "\uff21", "\u2163", "ﾊ", "\u00b2", "\u2460"],
    ]
    out = []
    for _ in range(n):
        weights = [rng.random() for _ in pools]
        body = "".join(rng.choice(rng.choices(pools, weights)[0]) for _ in range(rng.randint(0, 120)))
        head = "".join(rng.choice(rng.choices(pools, weights)[0]) for _ in range(rng.randint(0, 12)))
        out.append(f"{head}\n{body}" if rng.random() < 0.8 else body)
    return out


def assert_same_features(model: fast.FastModel, pipeline: Any, sample: list[str]) -> None:
    expected = pipeline[:-1].transform(sample).tocsr()
    got = model.features(sample)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # bit for bit, not only to 1e-9
    scores = model.scores(sample)
    reference = pipeline[-1].predict_proba(expected)
    assert np.abs(scores - reference).max(initial=0.0) <= 1e-9
    assert np.array_equal(scores, reference)


def pipeline_tagger(pipeline: Any, **options: Any) -> Any:
    from classifier.tagging.tagger import Tagger, _PipelineModel

    return Tagger(_PipelineModel(pipeline), **options)


def test_features_and_scores_equal_the_pipeline(model: fast.FastModel, pipeline: Any) -> None:
    assert_same_features(model, pipeline, texts())


def test_random_texts_equal_the_pipeline(model: fast.FastModel, pipeline: Any) -> None:
    assert_same_features(model, pipeline, random_texts())


def test_batches_of_one_and_of_many_agree(model: fast.FastModel) -> None:
    sample = texts()[:40]
    together = model.scores(sample)
    one_by_one = np.vstack([model.scores([t]) for t in sample])
    assert np.array_equal(together, one_by_one)


def test_scipys_loop_is_found_and_the_bincount_path_gives_the_same_bits(
    model: fast.FastModel, pipeline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fast._csr_matvec() is not None, "SciPy (scikit-learn's) compiled csr_matvec, checked"
    sample = texts() + random_texts(60, seed=3)
    with_loop = model.scores(sample)
    monkeypatch.setattr(fast, "_MATVEC", [None])
    assert np.array_equal(model.scores(sample), with_loop)
    assert np.array_equal(with_loop, pipeline.predict_proba(sample))


def test_a_loop_that_sums_in_another_order_is_refused() -> None:
    def reversed_matvec(
        n_row: int, n_col: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> None:
        for i in range(n_row):
            total = y[i]
            for k in reversed(range(indptr[i], indptr[i + 1])):
                total += data[k] * x[indices[k]]
            y[i] = total

    class Module:
        csr_matvec = staticmethod(reversed_matvec)

    assert fast._checked(Module()) is None
    assert fast._checked(object()) is None
    assert fast._checked(fast._load_sparsetools()) is not None


def test_keywords_take_each_rows_highest_values_ties_to_the_lower_column(model: fast.FastModel) -> None:
    rng = np.random.default_rng(7)
    vocabulary = model.blocks[0]["vocabulary"]
    n = 40
    entries = sorted(
        {
            (int(r), int(c))
            for r, c in zip(rng.integers(0, n, 3000), rng.integers(0, len(vocabulary), 3000), strict=True)
        }
    )
    rows = np.array([r for r, _ in entries], dtype=np.int64)
    cols = np.array([c for _, c in entries], dtype=np.int64)
    values = rng.choice([0.1, 0.2, 0.25, 0.3], len(entries))  # many ties
    parts = [fast._Block(rows, cols, values)]
    for k in (1, 5, 40):
        expected: list[list[str]] = [[] for _ in range(n)]
        for i in np.lexsort((cols, -values, rows)).tolist():
            if len(vocabulary[cols[i]]) >= 2 and len(expected[rows[i]]) < k:
                expected[rows[i]].append(vocabulary[cols[i]])
        assert model._keywords(parts, n, k) == expected


def test_records_are_byte_identical_to_the_pipelines(model: fast.FastModel, pipeline: Any) -> None:
    from classifier.tagging.tagger import Tagger

    articles = seed_articles() + [Article(f"t{i}", "标题" if i % 2 else "", t) for i, t in enumerate(TRICKY + EDGES)]
    articles.append(Article("empty", "", ""))
    for options in ({}, {"explain": True}, {"top": 1, "explain": True}):
        expected = pipeline_tagger(pipeline, **options).tag_batch(articles)
        got = Tagger(model, **options).tag_batch(articles)
        assert [json.dumps(r, ensure_ascii=False) for r in got] == [json.dumps(r, ensure_ascii=False) for r in expected]


def test_reasons_equal_the_pipelines(model: fast.FastModel, pipeline: Any) -> None:
    from classifier.tagging.tagger import Tagger

    topics = list(model.topics)
    for article in seed_articles()[:5]:
        assert Tagger(model).reasons(article, topics) == pipeline_tagger(pipeline).reasons(article, topics)


def test_traditional_text_is_tagged_as_its_simplified_form(model: fast.FastModel) -> None:
    from classifier.model.text import normalise
    from classifier.tagging.tagger import Tagger

    traditional = Article("t", "國務院發佈新能源汽車產業發展規劃", "電動車銷量增長，風電與光伏裝機容量創新高。")
    simplified = Article("t", "国务院发布新能源汽车产业发展规划", "电动车销量增长，风电与光伏装机容量创新高。")
    assert normalise(traditional.full_text) == normalise(simplified.full_text)
    one, two = Tagger(model).tag_batch([traditional, simplified])
    assert one["scores"] == two["scores"] and one["keywords"] == two["keywords"]


def test_empty_text_and_empty_batch(model: fast.FastModel, pipeline: Any) -> None:
    from classifier.tagging.tagger import Tagger

    assert Tagger(model).tag_batch([]) == []
    empty = [Article("e", "", ""), Article("f", "", " \n ")]
    assert Tagger(model).tag_batch(empty) == pipeline_tagger(pipeline).tag_batch(empty)


@pytest.mark.slow
def test_light_cutter_equals_jieba(model: fast.FastModel) -> None:
    import jieba

    from classifier.model.text import normalise
    from classifier.tagging.segmenter import JiebaLite

    assert model._dictionary is not None, "the version holds jieba's dictionary"
    lite = JiebaLite(model._dictionary())
    sample = texts() + random_texts(100, seed=1)
    for text in sample + [normalise(t) for t in sample]:
        assert lite.cut(text) == jieba.lcut(text, HMM=False), text[:40]


def test_small_inputs_do_not_load_rjieba(seed_model: Path) -> None:
    from classifier.tagging.tagger import Tagger, load_tagging_model

    model = load_tagging_model(seed_model).model
    Tagger(model).tag_batch(seed_articles()[:1])
    assert model._rjieba is None and model._lite is not None


def test_a_process_that_goes_on_tagging_small_inputs_moves_to_rjieba(
    seed_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier.tagging.tagger import Tagger, load_tagging_model

    monkeypatch.setattr(fast, "LITE_BUDGET_CHARS", 1_000)
    model = load_tagging_model(seed_model).model
    tagger = Tagger(model)
    articles = [Article(a.id, a.title, a.text[:300]) for a in seed_articles() * 2]
    records = [tagger.tag_batch([article])[0] for article in articles]
    assert model._lite is not None and model._rjieba is not None
    assert records == Tagger(load_tagging_model(seed_model)).tag_batch(articles)


def test_normalise_batch_equals_normalise() -> None:
    from classifier.model.text import normalise

    sample = texts() + ["".join(chr(c) for c in range(0x20, 0x3000, 7)), "\u1100\u1161\u11a8", "ﾊﾝｶｸ ｶﾀｶﾅ"]
    assert fast.normalise_batch(sample) == [normalise(t) for t in sample]


def test_characters_that_expand_are_normalised_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "…", "℃", "Ⅲ" and others NFKC turns into several characters need no per-text fallback."""
    from classifier.model.text import normalise

    sample = ["气温 30℃…", "Ⅲ期 …… 项目", "㈠ ⑴ ½ ﬁ ㏘", "\u3000…\u3000\n℃ ", "…", " ℃", "ＡⅫ\u2000…b"]
    expected = [normalise(t) for t in sample]

    def no_fallback(text: str) -> str:
        raise AssertionError(f"{text!r} went through normalise")

    monkeypatch.setattr(fast, "normalise", no_fallback)
    assert fast.normalise_batch(sample) == expected


def test_normalise_batch_on_random_code_points() -> None:
    """Any characters of planes 0-2 (marks, jamo, compatibility forms, white space of every kind)."""
    from classifier.model.text import normalise

    rng = random.Random(0)
    points = [c for c in range(0x09, 0x30000) if not 0xD800 <= c <= 0xDFFF]
    sample = ["".join(chr(rng.choice(points)) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    sample += random_texts(300, seed=2)
    assert fast.normalise_batch(sample) == [normalise(t) for t in sample]


def test_hash_index_finds_exactly_its_keys() -> None:
    from classifier.tagging.segmenter import HashIndex

    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(-(2**63), 2**63 - 1, 5000, dtype=np.int64))
    keys = np.unique(np.concatenate([keys, [-1, 0, 1]]))  # the empty-slot filler is a key like any other
    index = HashIndex(keys, np.arange(len(keys)))
    assert np.array_equal(index.get(keys), np.arange(len(keys)))
    others = rng.integers(-(2**63), 2**63 - 1, 5000, dtype=np.int64)
    others = others[~np.isin(others, keys)]
    assert (index.get(others) == -1).all()


def test_hash_index_of_positions_finds_exactly_its_keys_even_when_slots_collide() -> None:
    from classifier.tagging.segmenter import HashIndex

    rng = np.random.default_rng(1)
    keys = np.unique(rng.integers(0, 2**62, 5000, dtype=np.int64))
    keys = np.concatenate([keys, keys[:50] + (1 << 62)])  # shares the low bits: other home slots, same probes
    table = HashIndex(keys)
    assert np.array_equal(table.get(keys), np.arange(len(keys)))
    assert table.table.dtype == np.int32 and len(table.table) >= 4 * len(keys)
    others = rng.integers(0, 2**62, 5000, dtype=np.int64)
    others = others[~np.isin(others, keys)]
    assert (table.get(others) == -1).all()
    small = HashIndex(np.arange(3, dtype=np.int64) * 16)  # 16 slots, keys hashed close together
    assert np.array_equal(small.get(np.array([32, 16, 0, 48], np.int64)), [2, 1, 0, -1])


def test_term_matching_by_hash_index_equals_the_plain_search() -> None:
    """The indexed lexicon (term lists: one-character words found by code point, longer ones hashed) finds what the plain one finds."""
    from classifier.model.lexicon import codes, lexicon_arrays
    from classifier.tagging.segmenter import Lexicon

    rng = random.Random(5)
    alphabet = "能源风电光伏储网中国"
    words = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(80)})
    assert any(len(w) == 1 for w in words)
    arrays = lexicon_arrays("x", words, range(len(words)))
    plain = Lexicon(arrays["x.chars"], arrays["x.hash"], arrays["x.length_ptr"])
    indexed = Lexicon(arrays["x.chars"], arrays["x.hash"], arrays["x.length_ptr"], indexed=True)
    texts = ["".join(rng.choice(alphabet + "x ") for _ in range(rng.randint(0, 40))) for _ in range(50)]
    points = codes("".join(texts))
    segment = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    segment[points == ord(" ")] = -1
    found = {tuple(m) for m in zip(*(a.tolist() for a in indexed.matches(points, segment)), strict=True)}
    expected = {tuple(m) for m in zip(*(a.tolist() for a in plain.matches(points, segment)), strict=True)}
    assert found == expected and found


def test_char_lookups_by_search_and_by_hash_give_the_same_features(seed_model: Path, pipeline: Any) -> None:
    from classifier.tagging.tagger import load_tagging_model

    single = load_tagging_model(seed_model).model
    single.scores(texts()[:1])
    assert all(index.hash is None for index in single._char_index.values()), "one article: no hash built"
    searching = load_tagging_model(seed_model).model
    for index in searching._char_index.values():
        index.HASH_AFTER = 10**12  # binary search throughout
    hashing = load_tagging_model(seed_model).model
    hashing.prepare()
    sample = texts()[:30] + random_texts()[:30]
    assert_same_features(searching, pipeline, sample)
    assert_same_features(hashing, pipeline, sample)
    assert all(index.hash is None for index in searching._char_index.values())
    assert all(index.hash is not None and index.closed for index in hashing._char_index.values())


def test_char_index_builds_its_hash_after_enough_lookups() -> None:
    keys = np.array([0x4E01, 0x4E02, (0x4E01 << 21) | 0x4E02, (((0x4E01 << 21) | 0x4E02) << 21) | 0x4E01], np.int64)
    index = fast._CharIndex(keys)
    assert np.array_equal(index.get(keys), np.arange(4)) and index.hash is None
    assert np.array_equal(index.get(np.array([5, 0x4E03], np.int64)), [-1, -1])
    many = np.tile(keys, index.HASH_AFTER // 4 + 1)
    assert np.array_equal(index.get(many), np.tile(np.arange(4), len(many) // 4)) and index.hash is not None


def own_pipeline(**params: Any) -> tuple[Any, list[Article]]:
    """The user's own categories: no taxonomy, so no term block."""
    from classifier.model.training import Recipe

    corpus = [Article(f"s{i}", "", t, ["sport"]) for i, t in enumerate(SPORT)]
    corpus += [Article(f"m{i}", "标题", t + " 2024", ["money"]) for i, t in enumerate(MONEY)]
    return Recipe(["money", "sport"], pipeline_params=params).fit(corpus).pipeline, corpus


def test_a_model_without_term_priors() -> None:
    pipeline, corpus = own_pipeline()
    model = fast.from_pipeline(pipeline)
    assert model is not None and [b["kind"] for b in model.blocks] == ["words", "chars"]
    assert_same_features(model, pipeline, [a.full_text for a in corpus] + TRICKY + EDGES)


def test_characters_without_the_char_view() -> None:
    """A character block with no preprocessor (no marks, no digit folding) is reproduced too."""
    pipeline, corpus = own_pipeline(features__chars__preprocessor=None)
    model = fast.from_pipeline(pipeline)
    assert model is not None and model.blocks[1]["preprocessor"] is None
    assert_same_features(model, pipeline, [a.full_text for a in corpus] + TRICKY + EDGES)


def test_the_hmm_and_user_words_go_through_the_models_tokenizer() -> None:
    from classifier.model.text import JiebaTokenizer

    pipeline, corpus = own_pipeline(features__words__tokenizer=JiebaTokenizer(["美军f-22"], hmm=True))
    model = fast.from_pipeline(pipeline)
    assert model is not None
    assert_same_features(model, pipeline, [a.full_text for a in corpus] + TRICKY + EDGES)


def test_a_pipeline_the_exporter_does_not_know_is_tagged_through_the_pipeline(pipeline: Any) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from classifier.tagging.tagger import Tagger, _PipelineModel

    odd = Pipeline([("extra", FunctionTransformer()), *pipeline.steps])
    assert fast.from_pipeline(odd) is None

    class Loaded:
        pass

    loaded = Loaded()
    loaded.pipeline = odd  # type: ignore[attr-defined]
    tagger = Tagger(loaded)
    assert isinstance(tagger.model, _PipelineModel)
    articles = seed_articles()[:3]
    assert tagger.tag_batch(articles) == pipeline_tagger(pipeline).tag_batch(articles)


def test_workers_share_what_the_parent_prepared(seed_model: Path) -> None:
    from classifier.tagging.tagger import Tagger, load_tagging_model
    from classifier.tagging.workers import tag_batches

    model = load_tagging_model(seed_model).model
    articles = [Article(f"a{i:03d}", a.title, a.text[: 50 + i]) for i, a in enumerate(seed_articles() * 120)]
    tagger = Tagger(model)
    two = [r for batch in tag_batches(tagger, articles, jobs=2) for r in batch]
    assert model._rjieba is not None and model._char_index, "prepared in the parent, before the fork"
    assert two == [r for batch in tag_batches(tagger, articles, jobs=1) for r in batch]


@pytest.mark.slow
def test_the_shared_pool_equals_the_pipeline(model: fast.FastModel, pipeline: Any) -> None:
    """The whole 11,549-article pool: feature rows, scores (bit for bit) and records (byte for byte)."""
    pool = needs_shared("xwlb", "pool.jsonl")
    from classifier.reading.reader import read_articles
    from classifier.tagging.tagger import Tagger

    iterator = iter(read_articles([pool]))
    tagger = Tagger(model)
    while batch := list(islice(iterator, 1024)):
        assert_same_features(model, pipeline, [a.full_text for a in batch])
        sample = batch[:64]  # the per-article pipeline path is slow: records of a share of them
        assert tagger.tag_batch(sample) == pipeline_tagger(pipeline).tag_batch(sample)


@pytest.mark.slow
def test_the_shared_pool_is_cut_the_same_by_both_cutters(model: fast.FastModel) -> None:
    """JiebaLite (small inputs) and rjieba (batches) give the same tokens on the pool's first 2,000 articles."""
    pool = needs_shared("xwlb", "pool.jsonl")
    import rjieba

    from classifier.reading.reader import read_articles
    from classifier.tagging.segmenter import JiebaLite

    assert model._dictionary is not None
    lite = JiebaLite(model._dictionary())
    articles = list(islice(read_articles([pool]), 2000))
    sample = model.normalised([a.full_text for a in articles])
    assert lite.cut_many(sample) == [rjieba.cut(t, False) for t in sample]


def test_compiled_scorer_gives_the_pipelines_scores_and_topics(pipeline: Any) -> None:
    from classifier.model.estimator import scores_and_topics, scores_and_topics_in_processes

    sample = texts() + random_texts(60)
    score = fast.compiled_scorer(pipeline, batch_size=7)  # batches of 7: the batch seams are crossed
    assert score is not None
    scores, topics = score(sample)
    expected_scores, expected_topics = scores_and_topics(pipeline, sample)
    assert np.array_equal(scores, expected_scores)
    assert topics == expected_topics
    assert any(topics) and not all(topics)
    # the pieces forked processes score give the same as one pass
    in_processes = scores_and_topics_in_processes(pipeline, sample * 2, processes=2, score=score)
    assert np.array_equal(in_processes[0], np.vstack([expected_scores] * 2))
    assert in_processes[1] == expected_topics * 2
    empty_scores, empty_topics = score([])
    assert empty_scores.shape == (0, len(pipeline[-1].classes_)) and empty_topics == []


def test_self_training_scored_by_the_compiled_tagger_is_the_same_training() -> None:
    from dataclasses import replace

    from classifier.model.training import load_training

    articles, recipe, _ = load_training(None, None, False, prior_weight=0.5)  # the project's hand labels
    unlabelled = [Article(f"u{i}", a.title, a.text) for i, a in enumerate(seed_articles())]
    plain = replace(recipe, unlabelled=unlabelled, self_train_margin=0.5)
    compiled = replace(plain, scorer=fast.compiled_scorer)
    first = plain._fit(articles).pipeline
    expected = plain.self_training_articles(first)
    assert expected, "some unlabelled articles are confident enough to join"
    assert compiled.self_training_articles(first) == expected
