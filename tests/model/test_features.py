"""Text features: the term priors, and the character vectoriser against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.model.features import TermPriors


def test_term_priors_count_longest_terms_per_group() -> None:
    priors = TermPriors(groups={"energy": ["煤炭", "煤炭保供", "电网"], "none": ["外交部"]}, weight=1.0).fit([])
    X = priors.transform(["煤炭保供和电网，电网", "外交部发言人", "无关"]).toarray()
    # "煤炭保供" is matched once as the longer term, not again as "煤炭".
    assert X[:, 0] == pytest.approx(np.log1p([3, 0, 0]))
    assert X[:, 1] == pytest.approx(np.log1p([0, 1, 0]))
    assert list(priors.get_feature_names_out()) == ["energy", "none"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"min_df": 2},
        {"max_features": 12},
        {"ngram_range": (2, 3)},
        {"ngram_range": (1, 4)},  # longer than the packed count takes: scikit-learn's own loop
        {"binary": False, "sublinear_tf": True},
    ],
)
def test_the_character_vectoriser_fits_what_scikit_learn_fits_bit_for_bit(params: dict) -> None:
    """The NumPy count of character n-grams: same vocabulary (terms, numbers, order), idf and matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.model.features import ArrayTfidfVectorizer, TextNormaliser
    from classifier.model.text import char_view
    from tests.model import corpus

    texts = [a.full_text for a in corpus()] + ["", "a", "ab", "😀x  y\n\nz\t", "\x00b", "ab ab ab", "\U0010fffd"]
    texts = TextNormaliser().transform(texts)
    settings = dict(analyzer="char", preprocessor=char_view, ngram_range=(1, 3), lowercase=False, binary=True)
    ours = ArrayTfidfVectorizer(**{**settings, **params})
    theirs = TfidfVectorizer(**{**settings, **params})
    X, expected = ours.fit_transform(texts), theirs.fit_transform(texts)
    assert list(ours.vocabulary_.items()) == list(theirs.vocabulary_.items())
    assert [type(v) for v in ours.vocabulary_.values()] == [type(v) for v in theirs.vocabulary_.values()]
    assert ours.idf_.tobytes() == theirs.idf_.tobytes()
    assert type(X) is type(expected)
    for part in ("indptr", "indices", "data"):
        assert getattr(X, part).dtype == getattr(expected, part).dtype
        assert getattr(X, part).tobytes() == getattr(expected, part).tobytes(), part
    assert set(vars(ours)) - set(vars(theirs)) == {"document_frequency_", "n_documents_"}
    assert (ours.document_frequency_ == (expected.toarray() > 0).sum(0)).all()


@pytest.mark.parametrize("fork", [True, False])
def test_fitting_the_blocks_side_by_side_fits_what_the_pipeline_fits(
    fork: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    import classifier.processes
    from classifier.model.estimator import build_pipeline
    from classifier.model.features import fit_features
    from tests.model import corpus

    if not fork:
        monkeypatch.setattr(classifier.processes, "can_fork", lambda: False)
    texts = [a.full_text for a in corpus()]
    groups = {"sport": ["比赛", "冠军"], "money": ["股市"], "none": ["天气"]}
    ours, theirs = (build_pipeline(["money", "sport"], term_groups=groups)[:-1] for _ in range(2))
    X, expected = fit_features(ours, texts), theirs.fit_transform(texts)
    assert (X != expected).nnz == 0 and X.indices.tobytes() == expected.indices.tobytes()
    assert X.data.tobytes() == expected.data.tobytes()
    for (name, a), (_, b) in zip(ours[1].transformer_list, theirs[1].transformer_list, strict=True):
        assert type(a) is type(b), name

        def state(step: object) -> dict:
            return {k: pickle.dumps(v) for k, v in step.__getstate__().items() if k != "_stop_words_id"}

        assert state(a) == state(b), name
