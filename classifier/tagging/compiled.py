"""The model compiled to plain NumPy: feature rows and scores equal to the scikit-learn pipeline's, bit for bit.

:class:`CompiledModel` is built from the arrays and settings that :mod:`classifier.model.export`
takes from the fitted pipeline (and the model store keeps beside it), and reproduces the
pipeline's arithmetic operation for operation, so the scores are the pipeline's to the last bit
while tagging needs neither scikit-learn nor SciPy. Counting is done with
:class:`collections.Counter` over each text's distinct terms, several times faster than
``CountVectorizer`` for the character n-grams that dominate the cost.
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
#: Character-block preprocessors, by the qualified name the export records (None: none).
_PREPROCESSORS: dict[str | None, Callable[[str], str]] = {
    None: lambda text: text,
    "classifier.model.text.char_view": char_view,
}


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

    @classmethod
    def from_export(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> CompiledModel:
        """Build from :func:`classifier.model.export.export_tagger`'s arrays and settings (or the files of them).

        Raises
        ------
        KeyError, ValueError, TypeError
            When an array or setting is missing or malformed; the model store turns these into
            a one-line error.
        """
        blocks = []
        for spec in settings["blocks"]:
            name, kind = str(spec["name"]), str(spec["kind"])
            weight = spec.get("union_weight")
            common: dict[str, Any] = {"weight": float(weight) if weight is not None else None}
            if kind == "terms":
                params = {
                    "pattern": str(spec["pattern"]),
                    "term_groups": {str(t): [int(g) for g in gs] for t, gs in spec["term_groups"].items()},
                    "weight": float(spec["prior_weight"]),
                }
                names = [str(g) for g in spec["groups"]]
                blocks.append(Block(name, kind, int(spec["offset"]), names, params=params, **common))
                continue
            names = arrays[f"{name}.terms"].tolist()
            if kind == "words":
                params = {
                    "stop_words": frozenset(spec["stop_words"]),
                    "user_words": tuple(spec["user_words"]),
                    "hmm": bool(spec["hmm"]),
                }
            elif kind == "chars":
                if spec["preprocessor"] not in _PREPROCESSORS:
                    raise ValueError(f"unknown character preprocessor {spec['preprocessor']!r}")
                params = {"ngram_range": tuple(spec["ngram_range"]), "preprocessor": spec["preprocessor"]}
            else:
                raise ValueError(f"unknown block kind {kind!r}")
            blocks.append(
                Block(
                    name,
                    kind,
                    int(spec["offset"]),
                    names,
                    vocabulary={term: column for column, term in enumerate(names)},
                    idf=arrays[f"{name}.idf"] if spec["idf"] else None,
                    sublinear_tf=bool(spec["sublinear_tf"]),
                    binary=bool(spec["binary"]),
                    params=params,
                    **common,
                )
            )
            if blocks[-1].width != int(spec["width"]):
                raise ValueError(f"block {name}: {blocks[-1].width} terms, the settings say {spec['width']}")
        model = cls(
            topics=[str(t) for t in settings["topics"]],
            blocks=blocks,
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            calibrators=arrays["calibrators"],
            thresholds=arrays["thresholds"],
            title_repeats=int(settings["title_repeats"]),
        )
        n_features = sum(b.width for b in blocks)
        if model.coef.shape != (n_features, len(model.topics)):
            raise ValueError(f"coef has shape {model.coef.shape}, expected {(n_features, len(model.topics))}")
        return model

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
    """The compiled form of a fitted pipeline in memory, or ``None`` when it is not one tagging knows."""
    from classifier.model.export import export_tagger

    exported = export_tagger(pipeline)
    return CompiledModel.from_export(*exported) if exported is not None else None
