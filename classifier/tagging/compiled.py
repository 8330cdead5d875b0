"""The model compiled to plain NumPy: feature rows and scores equal to the scikit-learn pipeline's, bit for bit.

:func:`compile_model` turns the fitted pipeline into plain dictionaries and NumPy arrays
(:class:`CompiledModel`) that reproduce its arithmetic operation for operation, so the scores
are the pipeline's to the last bit, while tagging needs neither scikit-learn nor SciPy (about
1 s of imports). Counting is done with :class:`collections.Counter` over each text's distinct
terms, several times faster than ``CountVectorizer`` for the character n-grams that dominate
the cost. A pipeline the compiler does not recognise (another vectoriser setting, another
block) gives ``None``; the tagger then runs it through scikit-learn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import add
from typing import Any

import numpy as np

from classifier.model.decision import calibrate
from classifier.model.text import JiebaTokenizer, char_view, normalise, weigh_title

# sklearn's char analyzer collapses runs of two or more white-space characters first.
_WHITE_SPACES = re.compile(r"\s\s+")
#: Character-block preprocessors the compiler reproduces, by qualified name (None: none).
_PREPROCESSORS: dict[str | None, Callable[[str], str]] = {
    None: lambda text: text,
    "classifier.model.text.char_view": char_view,
}


def _qualified_name(function: Any) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


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
    title_repeats: int = 4

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
        return calibrate(decision[None, :], self.calibrators)[0]

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
    """The term-prior columns (see :class:`classifier.model.features.TermPriors`)."""
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

        from classifier.model.estimator import TopicClassifier
        from classifier.model.features import TermPriors, TextNormaliser

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
            title_repeats=int(normaliser.title_repeats),
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
