"""What tagging needs of a fitted pipeline, as plain data: NumPy arrays and JSON settings, no code.

:func:`export_tagger` reads the fitted pipeline and returns

* ``arrays``: ``coef`` ``(n_features, n_topics)``, ``intercept`` ``(n_topics,)``, ``calibrators``
  ``(n_topics, 2)``, ``thresholds`` ``(n_topics,)`` (all float64), and per TF-IDF block
  ``<block>.terms`` (the vocabulary in column order, a unicode array), ``<block>.idf``
  (float64, when the block uses IDF) and ``<block>.df`` (int64: in how many training texts
  each term occurred, when the vectoriser recorded it);
* ``settings``: a JSON-able dict: ``topics``, ``title_repeats`` and per block its kind, column
  offset and width, vectoriser flags, the union weight and the block's own settings (stop words,
  tokenizer settings, n-gram range, the term-prior pattern and groups).

:func:`stored_tagger` turns them into the form tagging uses (export format 2, model format 5),
which the model store writes beside the pipeline at training time (``tagger.npz``, ``tagger.json``),
so that loading is reading: ``coef_by_topic`` ``(n_topics, n_features)`` C-contiguous instead of
``coef``; per character block ``<block>.keys`` (int64: each n-gram packed, see
:func:`classifier.model.lexicon.pack_ngrams`), ``<block>.order`` (its columns in ascending key
order) and the vocabulary's closedness (``closed`` in the block's settings) instead of
``<block>.terms`` and ``<block>.df``. :mod:`classifier.tagging.fast` computes the same feature rows
and scores from either form without scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from classifier.model.estimator import TopicClassifier
from classifier.model.features import TermPriors, TextNormaliser
from classifier.model.text import JiebaTokenizer

#: Bump when the layout of the exported arrays or settings changes.
EXPORT_FORMAT = 1
#: The layout :func:`stored_tagger` makes (what model format 5 stores).
STORED_FORMAT = 2
#: Character-block preprocessors tagging knows, by qualified name (``None``: none).
KNOWN_PREPROCESSORS = (None, "classifier.model.text.char_view")


def qualified_name(function: Any) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


def export_tagger(pipeline: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and settings of a fitted pipeline, or ``None`` when it is not one tagging knows.

    Known: ``TextNormaliser`` -> ``FeatureUnion`` of TF-IDF blocks (jieba words, character
    n-grams) and ``TermPriors`` -> ``TopicClassifier`` without an abstention model. Anything else
    is tagged through the pipeline itself.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        normaliser, union, classifier = (step for _, step in pipeline.steps)
    except (AttributeError, ValueError):
        return None
    if not (isinstance(normaliser, TextNormaliser) and isinstance(classifier, TopicClassifier)):
        return None
    if set(normaliser.get_params()) != {"title_repeats"}:
        return None
    if getattr(classifier, "abstainer_", None) is not None:
        # The arrays hold thresholds only; a learned "has no topic" decision needs the pipeline.
        return None
    union_weights = dict(getattr(union, "transformer_weights", None) or {})
    arrays: dict[str, np.ndarray] = {}
    blocks: list[dict[str, Any]] = []
    offset = 0
    for name, step in getattr(union, "transformer_list", []):
        if isinstance(step, TfidfVectorizer):
            block = _vectoriser_block(name, step, arrays)
        elif isinstance(step, TermPriors):
            block = _terms_block(step)
        else:
            return None
        if block is None:
            return None
        weight = union_weights.get(name)
        block.update(name=name, offset=offset, union_weight=float(weight) if weight is not None else None)
        blocks.append(block)
        offset += block["width"]
    coef = np.column_stack([est.coef_.ravel() for est in classifier.estimators_]).astype(np.float64)
    if coef.shape[0] != offset:
        return None
    arrays.update(
        coef=np.ascontiguousarray(coef),
        intercept=np.array([float(est.intercept_[0]) for est in classifier.estimators_]),
        calibrators=np.asarray(classifier.calibrators_, dtype=np.float64),
        thresholds=np.asarray(classifier.thresholds_, dtype=np.float64),
    )
    settings = {
        "export_format": EXPORT_FORMAT,
        "topics": [str(t) for t in classifier.classes_],
        "title_repeats": int(normaliser.title_repeats),
        "blocks": blocks,
    }
    return arrays, settings


def _vectoriser_block(name: str, vec: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """A words or chars block, when the vectoriser's settings are ones tagging reproduces."""
    preprocessor = qualified_name(vec.preprocessor) if vec.preprocessor is not None else None
    plain = (
        vec.input == "content"
        and preprocessor in KNOWN_PREPROCESSORS
        and (vec.preprocessor is not None or not vec.lowercase)
        and vec.strip_accents is None
        and vec.norm == "l2"
        and vec.dtype in (np.float64, float)
    )
    if not plain:
        return None
    terms = [""] * len(vec.vocabulary_)
    for term, column in vec.vocabulary_.items():
        terms[column] = term
    block: dict[str, Any] = {
        "width": len(terms),
        "idf": bool(vec.use_idf),
        "sublinear_tf": bool(vec.sublinear_tf),
        "binary": bool(vec.binary),
    }
    if vec.analyzer == "char":
        block.update(kind="chars", ngram_range=list(vec.ngram_range), preprocessor=preprocessor)
    elif (
        vec.analyzer == "word"
        and preprocessor is None
        and isinstance(vec.tokenizer, JiebaTokenizer)
        and tuple(vec.ngram_range) == (1, 1)
    ):
        block.update(
            kind="words",
            stop_words=sorted(vec.get_stop_words() or ()),
            user_words=list(vec.tokenizer.user_words),
            hmm=bool(vec.tokenizer.hmm),
        )
    else:
        return None
    stored = np.array(terms, dtype=str)
    if stored.tolist() != terms:  # a term NumPy cannot hold as it is (trailing NUL characters)
        return None
    arrays[f"{name}.terms"] = stored
    if vec.use_idf:
        arrays[f"{name}.idf"] = np.asarray(vec.idf_, dtype=np.float64)
    if getattr(vec, "document_frequency_", None) is not None:
        # The training data's fingerprint: in how many of the n training texts each term occurred.
        arrays[f"{name}.df"] = np.asarray(vec.document_frequency_, dtype=np.int64)
        block["n_documents"] = int(vec.n_documents_)
    return block


def _terms_block(step: TermPriors) -> dict[str, Any]:
    return {
        "kind": "terms",
        "width": len(step.group_names_),
        "groups": [str(g) for g in step.group_names_],
        "pattern": step.pattern_source_,
        "term_groups": {term: list(groups) for term, groups in step.term_groups_.items()},
        "prior_weight": float(step.weight),
    }


def stored_tagger(
    arrays: dict[str, np.ndarray], settings: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """:func:`export_tagger`'s arrays and settings in the form tagging uses, so that loading them is reading.

    ``coef`` becomes ``coef_by_topic`` (its transpose, C-contiguous: what the scorer gathers a topic
    at a time from); each character block's unicode ``<block>.terms`` become ``<block>.keys``
    (packed n-grams) and ``<block>.order`` (the columns by ascending key, int64),
    with ``closed`` added to its settings; ``<block>.df`` of character blocks goes (only the word
    block's is read, by drift reports). Word blocks keep ``terms``, ``idf`` and ``df``.

    Raises
    ------
    ValueError
        When a character term is not 1-3 characters.
    """
    from classifier.model.lexicon import ngram_facts, pack_ngrams

    out = {k: v for k, v in arrays.items() if k != "coef"}
    out["coef_by_topic"] = np.ascontiguousarray(np.asarray(arrays["coef"], dtype=np.float64).T)
    blocks = []
    for spec in settings["blocks"]:
        spec = dict(spec)
        if spec["kind"] == "chars":
            name = spec["name"]
            keys = pack_ngrams(out.pop(f"{name}.terms"))
            out.pop(f"{name}.df", None)
            order, closed = ngram_facts(keys)
            out[f"{name}.keys"] = keys
            out[f"{name}.order"] = order  # int64, as the index uses it: no conversion at load
            spec["closed"] = closed
        blocks.append(spec)
    return out, {**settings, "export_format": STORED_FORMAT, "blocks": blocks}
