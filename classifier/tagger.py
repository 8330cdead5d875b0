"""Tagging articles with a fitted model: topics, scores, keywords and explanations.

Tagging does not run the scikit-learn pipeline itself. :func:`compile_model` turns the fitted
pipeline into plain dictionaries and NumPy arrays (:class:`CompiledModel`) that reproduce its
arithmetic operation for operation, so the scores are the pipeline's to the last bit, and
:func:`load_tagging_model` keeps that compiled form in a cache keyed by the model file's
SHA-256. Two things follow:

* start-up needs neither scikit-learn nor SciPy (about 1 s of imports), so one article from a
  cold start is answered in well under a second;
* counting is done with :class:`collections.Counter` over each text's distinct terms, several
  times faster than ``CountVectorizer`` for the character n-grams that dominate the cost.

A pipeline the compiler does not recognise (another vectoriser setting, another block) is
tagged through scikit-learn as before, with the same records.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import add
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.text import JiebaTokenizer, char_view, normalise, weigh_title

BATCH_SIZE = 256
#: Bump when :class:`CompiledModel` changes, so that old cache files are ignored.
CACHE_FORMAT = 4
# sklearn's char analyzer collapses runs of two or more white-space characters first.
_WHITE_SPACES = re.compile(r"\s\s+")
#: Character-block preprocessors the compiler reproduces, by qualified name (None: none).
_PREPROCESSORS: dict[str | None, Callable[[str], str]] = {
    None: lambda text: text,
    "classifier.text.char_view": char_view,
    "classifier.features.char_view": char_view,  # its name in models pickled before it moved
}


def _qualified_name(function: Any) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


# --- the compiled model ---------------------------------------------------------------------


@dataclass
class Block:
    """One block of the feature union, in column order.

    Attributes
    ----------
    name : str
        The union's name for it (``words``, ``chars``, ``terms``): the feature-name prefix.
    kind : str
        ``words`` (tokenizer + stop words), ``chars`` (character n-grams) or ``terms`` (term priors).
    offset : int
        Its first column in the union.
    names : list of str
        Feature name of each column (the term, n-gram or group).
    vocabulary : dict
        Term to column (words, chars).
    idf : ndarray or None
    sublinear_tf, binary : bool
        The vectoriser's settings.
    weight : float or None
        The union's ``transformer_weights`` entry: the block's values are scaled by it.
    params : dict
        ``stop_words``/``user_words`` (words), ``ngram_range``/``preprocessor`` (chars),
        ``pattern``/``term_groups``/``weight`` (terms).
    """

    name: str
    kind: str
    offset: int
    names: list[str]
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray | None = None
    sublinear_tf: bool = True
    binary: bool = False
    weight: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.names)


@dataclass
class CompiledModel:
    """What tagging needs of a fitted pipeline, as plain Python and NumPy objects.

    ``coef`` is ``(n_features, n_topics)``: column ``j`` is topic ``j``'s logistic regression.
    """

    topics: list[str]
    blocks: list[Block]
    coef: np.ndarray
    intercept: np.ndarray
    calibrators: np.ndarray
    thresholds: np.ndarray
    title_repeats: int = 1

    def __post_init__(self) -> None:
        self._counters: list[Callable[[str], Counter]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_counters"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._counters = None

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The feature row of a raw text: sorted column indices and values, as the pipeline gives."""
        if self._counters is None:
            self._counters = [_counter(block) for block in self.blocks]
        text = normalise(weigh_title(text, self.title_repeats))
        indices, data = [], []
        for block, count in zip(self.blocks, self._counters, strict=True):
            cols, values = _block_row(block, count(text))
            indices.append(cols + block.offset)
            data.append(values)
        return np.concatenate(indices), np.concatenate(data)

    def scores(self, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
        """Calibrated topic scores of one feature row.

        The dot product is accumulated in column order, one term at a time (``cumsum``), as
        SciPy's sparse product does, so the scores equal the pipeline's bit for bit.
        """
        if len(indices):
            decision = np.cumsum(data[:, None] * self.coef[indices], axis=0)[-1] + self.intercept
        else:
            decision = np.zeros(len(self.topics)) + self.intercept
        return 1.0 / (1.0 + np.exp(-(decision * self.calibrators[:, 0] + self.calibrators[:, 1])))

    def feature_name(self, column: int) -> str:
        for block in self.blocks:
            if column < block.offset + block.width:
                return f"{block.name}__{block.names[column - block.offset]}"
        raise IndexError(column)


def _counter(block: Block) -> Callable[[str], Counter]:
    """The term counter of a block: normalised text to ``Counter`` of its terms."""
    if block.kind == "words":
        tokenizer = JiebaTokenizer(block.params["user_words"], hmm=block.params["hmm"])
        stop = block.params["stop_words"]
        return lambda text: Counter(w for w in tokenizer(text) if w not in stop)
    if block.kind == "chars":
        low, high = block.params["ngram_range"]
        prepare = _PREPROCESSORS[block.params.get("preprocessor")]
        return lambda text: _char_ngram_counts(prepare(text), low, high)
    pattern = re.compile(block.params["pattern"]) if block.params["pattern"] else None
    # The pattern has no groups, so findall gives the matched terms, as TermPriors' finditer does.
    return lambda text: Counter(pattern.findall(text)) if pattern else Counter()


def _char_ngram_counts(text: str, low: int, high: int) -> Counter:
    """Counts of the character n-grams sklearn's ``analyzer="char"`` makes, built at C speed."""
    text = _WHITE_SPACES.sub(" ", text)
    counts: Counter = Counter()
    grams: Iterable[str] = text
    for n in range(1, high + 1):
        if n > 1:
            grams = map(add, grams, text[n - 1 :])  # (n-1)-grams + the next character
        if n >= low:
            grams = list(grams)
            counts.update(grams)
    return counts


def _block_row(block: Block, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    """Column indices (sorted) and values of one block, the same operations as the pipeline."""
    if block.kind == "terms":
        cols, values = _terms_row(block, counts)
    else:
        cols, values = _tfidf_row(block, counts)
    if block.weight is not None:
        values = values * block.weight  # FeatureUnion: transformer output times its weight
    return cols, values


def _tfidf_row(block: Block, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    # Set intersection and map() keep the per-term work in C: most n-grams are not in the vocabulary.
    known = list(counts.keys() & block.vocabulary.keys())
    cols = np.fromiter(map(block.vocabulary.__getitem__, known), dtype=np.int64, count=len(known))
    values = np.fromiter(map(counts.__getitem__, known), dtype=np.float64, count=len(known))
    order = np.argsort(cols)  # columns are distinct: any sort gives CountVectorizer's sorted row
    cols, values = cols[order], values[order]
    if block.binary:
        values[:] = 1.0
    # TfidfTransformer.transform: log(tf) + 1, times idf, then each row to unit L2 norm.
    if block.sublinear_tf:
        np.log(values, values)
        values += 1.0
    if block.idf is not None:
        values *= block.idf[cols]
    squares = np.cumsum(values * values)  # sequential sum, like sklearn's Cython loop
    if len(squares) and squares[-1] != 0.0:
        values /= np.sqrt(squares[-1])
    return cols, values


def _terms_row(block: Block, matches: Counter) -> tuple[np.ndarray, np.ndarray]:
    """The term-prior columns (see :class:`classifier.features.TermPriors`)."""
    counts = np.zeros(block.width)
    groups = block.params["term_groups"]
    for term, n in matches.items():
        for _ in range(n):
            counts[groups[term]] += 1  # one match adds once per distinct group, as in TermPriors
    dense = np.log1p(counts) * block.params["weight"]
    cols = np.flatnonzero(dense)
    return cols, dense[cols]


def compile_model(pipeline: Any) -> CompiledModel | None:
    """The compiled form of a fitted pipeline, or ``None`` when it is not one the compiler knows."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from classifier.features import TermPriors, TextNormaliser
        from classifier.model import TopicClassifier

        normaliser, union, classifier = (step for _, step in pipeline.steps)
        if not (isinstance(normaliser, TextNormaliser) and isinstance(classifier, TopicClassifier)):
            return None
        weights = dict(union.transformer_weights or {})
        if set(vars(normaliser)) - {"title_repeats"}:
            return None
        blocks, offset = [], 0
        for name, step in union.transformer_list:
            if isinstance(step, TfidfVectorizer):
                block = _vectoriser_block(name, step, offset)
            elif isinstance(step, TermPriors):
                block = _terms_block(name, step, offset)
            else:
                return None
            if block is None:
                return None
            block.weight = float(weights[name]) if weights.get(name) is not None else None
            blocks.append(block)
            offset += block.width
        coef = np.column_stack([est.coef_.ravel() for est in classifier.estimators_]).astype(np.float64)
        if coef.shape[0] != offset:
            return None
        return CompiledModel(
            topics=[str(t) for t in classifier.classes_],
            blocks=blocks,
            coef=np.ascontiguousarray(coef),
            intercept=np.array([float(est.intercept_[0]) for est in classifier.estimators_]),
            calibrators=np.asarray(classifier.calibrators_, dtype=np.float64),
            thresholds=np.asarray(classifier.thresholds_, dtype=np.float64),
            # Models pickled before headline weighting have no attribute and did not repeat it.
            title_repeats=int(getattr(normaliser, "title_repeats", 1)),
        )
    except (AttributeError, ValueError, TypeError, IndexError):
        return None


def _vectoriser_block(name: str, vec: Any, offset: int) -> Block | None:
    """A words or chars block, when the vectoriser's settings are ones :func:`_counter` reproduces."""
    preprocessor = _qualified_name(vec.preprocessor) if vec.preprocessor is not None else None
    plain = (
        vec.input == "content"
        and preprocessor in _PREPROCESSORS
        and (vec.preprocessor is not None or not vec.lowercase)
        and vec.strip_accents is None
        and vec.norm == "l2"
        and vec.dtype in (np.float64, float)
    )
    if not plain:
        return None
    names = [""] * len(vec.vocabulary_)
    for term, column in vec.vocabulary_.items():
        names[column] = term
    common = dict(
        name=name,
        offset=offset,
        names=names,
        vocabulary=dict(vec.vocabulary_),
        idf=np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else None,
        sublinear_tf=bool(vec.sublinear_tf),
        binary=bool(vec.binary),
    )
    if vec.analyzer == "char":
        return Block(
            kind="chars", params={"ngram_range": tuple(vec.ngram_range), "preprocessor": preprocessor}, **common
        )
    if (
        vec.analyzer == "word"
        and preprocessor is None
        and isinstance(vec.tokenizer, JiebaTokenizer)
        and tuple(vec.ngram_range) == (1, 1)
    ):
        stop = frozenset(vec.get_stop_words() or ())
        return Block(
            kind="words",
            params={"stop_words": stop, "user_words": vec.tokenizer.user_words, "hmm": vec.tokenizer.hmm},
            **common,
        )
    return None


def _terms_block(name: str, step: Any, offset: int) -> Block:
    pattern = step.pattern_.pattern if step.pattern_ is not None else ""
    return Block(
        name=name,
        kind="terms",
        offset=offset,
        names=[str(g) for g in step.group_names_],
        params={"pattern": pattern, "term_groups": dict(step.term_groups_), "weight": float(step.weight)},
    )


# --- loading with a cache -------------------------------------------------------------------


def cache_dir() -> Path:
    """Where compiled models are kept: ``$CLASSIFIER_CACHE``, else ``$XDG_CACHE_HOME/classifier``."""
    if os.environ.get("CLASSIFIER_CACHE"):
        return Path(os.environ["CLASSIFIER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "classifier"


def load_tagging_model(model: Path | str | None = None) -> CompiledModel | Any:
    """Load a model for tagging: its compiled form when cached or compilable, else the ``LoadedModel``.

    The cache entry is named by the SHA-256 of ``model.joblib`` (checked against ``meta.json``
    here, as :func:`classifier.store.load_model` does), so a changed or retrained model never
    meets a stale entry. A cache miss loads the model the usual way (with all its checks and
    warnings), compiles it and writes the entry; an unwritable cache only costs speed.
    """
    from classifier.errors import ClassifierError
    from classifier.store import MODEL_FILE, read_meta, resolve_model_dir

    model_dir = resolve_model_dir(model)
    meta = read_meta(model_dir)
    model_file = model_dir / MODEL_FILE
    digest = _sha256(model_file) if model_file.is_file() else None
    if digest is not None and digest == meta.get("model_sha256"):
        cached = _read_cache(digest)
        if cached is not None:
            return cached
    from classifier.store import load_model

    loaded = load_model(model_dir)  # raises the usual errors for a missing or corrupt model
    compiled = compile_model(loaded.pipeline)
    if compiled is None:
        return loaded
    if digest is None:
        raise ClassifierError(f"{model_file}: missing")  # pragma: no cover - load_model raised already
    _write_cache(digest, compiled)
    return compiled


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_file(digest: str) -> Path:
    return cache_dir() / f"tagger-{CACHE_FORMAT}-{digest[:32]}.pickle"


def _read_cache(digest: str) -> CompiledModel | None:
    try:
        with _cache_file(digest).open("rb") as stream:
            compiled = pickle.load(stream)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return compiled if isinstance(compiled, CompiledModel) else None


def _write_cache(digest: str, compiled: CompiledModel) -> None:
    path = _cache_file(digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as stream:
            pickle.dump(compiled, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # concurrent runs may race: each writes a whole file
    except OSError:
        return


# --- the tagger -----------------------------------------------------------------------------


class Tagger:
    """Tags articles in batches with one model.

    Parameters
    ----------
    model : CompiledModel or LoadedModel
        A compiled model (see :func:`load_tagging_model`); a ``LoadedModel`` is compiled here,
        or, if it cannot be, tagged through its scikit-learn pipeline.
    top : int or None
        Keep at most this many assigned topics per article (the highest-scored).
    explain : bool
        Add, per assigned topic, the terms that raised its score most.
    n_keywords : int
        How many of the article's top TF-IDF words to report.
    """

    def __init__(self, model: Any, top: int | None = None, explain: bool = False, n_keywords: int = 5):
        if not isinstance(model, CompiledModel):
            model = compile_model(model.pipeline) or _PipelineModel(model.pipeline)
        self.model = model
        self.topics = list(model.topics)
        self.top = top
        self.explain = explain
        self.n_keywords = n_keywords
        first = model.blocks[0]
        self._word_block = first if first.kind == "words" else None

    def tag(self, articles: Iterable[Article]) -> Iterator[dict[str, Any]]:
        """Yield one record per article, in input order, reading the input lazily in batches."""
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH_SIZE)):
            yield from self.tag_batch(batch)

    def tag_batch(self, batch: list[Article]) -> list[dict[str, Any]]:
        """The records of a list of articles (the unit of work of a worker process)."""
        return [self._record(article, *self.model.row(article.full_text)) for article in batch]

    def _record(self, article: Article, indices: np.ndarray, data: np.ndarray) -> dict[str, Any]:
        row = self.model.scores(indices, data)
        thresholds = self.model.thresholds
        assigned = [j for j in np.argsort(-row, kind="stable") if row[j] >= thresholds[j]]
        if self.top is not None:
            assigned = assigned[: self.top]
        record: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "topics": [self.topics[j] for j in assigned],
            "scores": {t: round(float(s), 4) for t, s in zip(self.topics, row, strict=True)},
            "keywords": self._keywords(indices, data),
        }
        if self.explain:
            record["explain"] = {self.topics[j]: self._reasons(indices, data, j) for j in assigned}
        return record

    def _keywords(self, indices: np.ndarray, data: np.ndarray) -> list[str]:
        """The article's highest-weighted jieba words (two characters or more)."""
        block = self._word_block
        if block is None:
            return []
        words = [(w, i) for i, w in zip(indices.tolist(), data.tolist(), strict=True) if i < block.width]
        words.sort(key=lambda pair: -pair[0])
        out = []
        for _, index in words:
            term = block.names[index]
            if len(term) >= 2:
                out.append(term)
            if len(out) == self.n_keywords:
                break
        return out

    def _reasons(self, indices: np.ndarray, data: np.ndarray, topic: int, n: int = 5) -> list[list[Any]]:
        """The terms whose weight times coefficient pushed this topic's score up most."""
        contributions = data * self.model.coef[indices, topic]
        order = np.argsort(-contributions)[:n]
        return [
            [self.model.feature_name(int(indices[k])).replace("__", ":", 1), round(float(contributions[k]), 4)]
            for k in order
            if contributions[k] > 0
        ]


class _PipelineModel:
    """A pipeline the compiler does not know, behind the same interface (slower, imports sklearn)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        classifier = pipeline[-1]
        self.topics = [str(t) for t in classifier.classes_]
        self.thresholds = classifier.thresholds_
        self.coef = np.column_stack([est.coef_.ravel() for est in classifier.estimators_])
        union = pipeline.named_steps["features"]
        self._names = union.get_feature_names_out()
        first_name, first = union.transformer_list[0]
        vocabulary = getattr(first, "vocabulary_", None)
        words = [""] * len(vocabulary or {})
        for term, column in (vocabulary or {}).items():
            words[column] = term
        kind = "words" if isinstance(getattr(first, "tokenizer", None), JiebaTokenizer) else "other"
        self.blocks = [Block(name=first_name, kind=kind, offset=0, names=words)]

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        features = self.pipeline[:-1].transform([text]).tocsr()
        return features.indices.astype(np.int64), features.data.astype(np.float64)

    def scores(self, indices: np.ndarray, data: np.ndarray) -> np.ndarray:
        from scipy import sparse

        row = sparse.csr_matrix((data, indices, [0, len(indices)]), shape=(1, self.coef.shape[0]))
        return self.pipeline[-1].predict_proba(row)[0]

    def feature_name(self, column: int) -> str:
        return str(self._names[column])


# --- many articles ------------------------------------------------------------------------

_WORKER_TAGGER: Tagger | None = None


def _tag_in_worker(batch: list[Article]) -> list[dict[str, Any]]:
    assert _WORKER_TAGGER is not None, "set by tag_batches before the workers are forked"
    return _WORKER_TAGGER.tag_batch(batch)


def tag_batches(tagger: Tagger, articles: Iterable[Article], jobs: int = 1) -> Iterator[list[dict[str, Any]]]:
    """Yield the records batch by batch, in input order, over ``jobs`` processes.

    An input of a single batch is tagged in this process whatever ``jobs`` says: starting
    workers would cost more than it saves.
    """
    from classifier.batch import ordered_map

    global _WORKER_TAGGER
    iterator = iter(articles)
    head = [batch for batch in (list(islice(iterator, BATCH_SIZE)) for _ in range(2)) if batch]
    if len(head) < 2 or jobs <= 1:
        yield from map(tagger.tag_batch, head)
        yield from map(tagger.tag_batch, iter(lambda: list(islice(iterator, BATCH_SIZE)), []))
        return
    batches = _chain_batches(head, iterator)
    _WORKER_TAGGER = tagger  # the forked workers inherit it: the model is never pickled
    try:
        yield from ordered_map(_tag_in_worker, batches, jobs)
    finally:
        _WORKER_TAGGER = None


def _chain_batches(head: list[list[Article]], iterator: Iterator[Article]) -> Iterator[list[Article]]:
    yield from head
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch
