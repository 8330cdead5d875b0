"""The per-partition function: a pandas frame of articles in, a frame of tag records out (Dask, Spark, Ray).

The model is loaded once per process and kept, keyed by its checksum (:func:`model_checksum`):
from a directory the worker can see (Spark, Ray), or from a :class:`ModelBundle`, the files
tagging needs, which the Dask driver broadcasts to every worker once. Later calls reuse it, so
a task or a batch never carries the model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.files import sha256_file
from classifier.model.store import (
    MANIFEST_FILE,
    META_FILE,
    PIPELINE_FILE,
    TAGGER_ARRAYS,
    TAGGER_SETTINGS,
    resolve_model_dir,
    verify_version,
)
from classifier.reading.reader import _article_from_record
from classifier.tagging.tagger import BATCH_SIZE, Tagger, TaggingModel, load_tagging_model

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Record columns, in the order of the CLI's JSON records (``explain`` only with ``explain=True``).
RECORD_COLUMNS = ("id", "title", "topics", "scores", "keywords")

_MODELS: dict[tuple[str, str], TaggingModel] = {}
_LOCK = threading.Lock()
#: How many models this process has loaded (tests check: once per worker, not once per task).
loads = 0


def model_checksum(model_dir: Path | str) -> str:
    """A model version's identity: the SHA-256 of its manifest, which holds the SHA-256 of every file.

    The version is verified first (:func:`classifier.model.store.verify_version`), so a checksum
    is only ever given for files that match their manifest.
    """
    verify_version(Path(model_dir))
    return sha256_file(Path(model_dir) / MANIFEST_FILE)


def cached_model(model_dir: Path | str, checksum: str | None = None) -> TaggingModel:
    """The tagging model of ``model_dir``, loaded on first use in this process and kept.

    Raises
    ------
    ClassifierError
        When the directory's model is not the one with ``checksum`` (another version, or changed
        since the driver looked), or cannot be loaded.
    """
    global loads
    key_dir = str(model_dir)
    with _LOCK:
        for (cached_dir, cached_sum), model in _MODELS.items():
            if cached_dir == key_dir and (checksum is None or cached_sum == checksum):
                return model
        found = model_checksum(key_dir)
        if checksum is not None and found != checksum:
            raise ClassifierError(
                f"{key_dir}: this worker sees another model than the driver (checksum {found[:12]}, "
                f"expected {checksum[:12]}); every worker must see the same model directory"
            )
        model = load_tagging_model(key_dir)
        loads += 1
        _MODELS[(key_dir, found)] = model
        return model


@dataclass(frozen=True)
class ModelBundle:
    """The files of a model version that tagging reads (a few MB), to send to workers that cannot see the store."""

    checksum: str
    files: dict[str, bytes]


def model_bundle(model_dir: Path | str) -> ModelBundle:
    """The version's manifest, metadata and tagging arrays (its pipeline only when it has no arrays), verified."""
    model_dir = Path(model_dir)
    checksum = model_checksum(model_dir)
    # Not jieba.npz (6 MB): partitions are large inputs, which rjieba cuts.
    names = [MANIFEST_FILE, META_FILE, TAGGER_ARRAYS, TAGGER_SETTINGS]
    if not (model_dir / TAGGER_ARRAYS).is_file():
        names = [MANIFEST_FILE, META_FILE, PIPELINE_FILE]
    return ModelBundle(checksum, {name: (model_dir / name).read_bytes() for name in names})


def bundled_model(bundle: ModelBundle) -> TaggingModel:
    """The model of a bundle, loaded on first use in this process and kept (checked as a store version is).

    Raises
    ------
    ClassifierError
        When the files do not match the checksum or their manifest.
    """
    global loads
    with _LOCK:
        for (_, cached_sum), model in _MODELS.items():
            if cached_sum == bundle.checksum:
                return model
        import hashlib

        if hashlib.sha256(bundle.files.get(MANIFEST_FILE, b"")).hexdigest() != bundle.checksum:
            raise ClassifierError("the model sent to this worker does not match its checksum")
        # Written to a private folder only to go through the store's checks and loader, then removed.
        folder = Path(tempfile.mkdtemp(prefix="classifier-model-"))
        try:
            version = folder / bundle.checksum[:16]
            version.mkdir()
            for name, data in bundle.files.items():
                (version / Path(name).name).write_bytes(data)
            model = load_tagging_model(version, dictionary=False)  # read now: the folder goes
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        loads += 1
        _MODELS[("<bundle>", bundle.checksum)] = model
        return model


def tagger_for(
    model: Path | str | None = None, checksum: str | None = None, top: int | None = None, explain: bool = False
) -> Tagger:
    """A tagger over the cached model (``model`` a directory or version; default: the store's default)."""
    return Tagger(cached_model(resolve_model_dir(model), checksum), top=top, explain=explain)


def frame_articles(frame: pd.DataFrame) -> list[Article]:
    """The articles of a frame with columns ``text`` and optionally ``id`` and ``title`` (missing ids: ``row-<index>``)."""
    if "text" not in frame.columns:
        raise ClassifierError('the frame has no "text" column')
    present = [c for c in ("id", "title", "text") if c in frame.columns]
    articles = []
    for index, values in zip(frame.index, frame[present].itertuples(index=False, name=None), strict=True):
        record = {name: value for name, value in zip(present, values, strict=True) if isinstance(value, str)}
        if "id" in present and not isinstance(values[0], str) and values[0] is not None and values[0] == values[0]:
            record["id"] = str(values[0])  # a numeric id column; NaN (missing) falls back to the row
        record.setdefault("text", "")
        articles.append(_article_from_record(record, f"row-{index}", f"row {index}"))
    return articles


def records_frame(records: list[dict[str, Any]], explain: bool = False) -> pd.DataFrame:
    """Tag records as a frame: ``topics`` and ``keywords`` lists, ``scores`` dicts (Spark: a map), ``explain`` dicts."""
    import pandas as pd

    columns = list(RECORD_COLUMNS) + (["explain"] if explain else [])
    return pd.DataFrame({c: [r.get(c) for r in records] for c in columns}, columns=columns)


def tag_frame(
    frame: pd.DataFrame,
    model: Path | str | None = None,
    top: int | None = None,
    explain: bool = False,
    checksum: str | None = None,
) -> pd.DataFrame:
    """Tag a frame of articles (``id``, ``title``, ``text``): Ray's ``map_batches(tag_frame, batch_format="pandas")``.

    Returns one row per input row, in order, with the columns of the CLI's records.
    """
    tagger = tagger_for(model, checksum, top, explain)
    articles = frame_articles(frame)
    records = [
        r
        for start in range(0, len(articles), BATCH_SIZE)
        for r in tagger.tag_batch(articles[start : start + BATCH_SIZE])
    ]
    return records_frame(records, explain)


def tag_frames(
    frames: Iterable[pd.DataFrame], model: Path | str | None = None, top: int | None = None
) -> Iterator[pd.DataFrame]:
    """Spark's ``mapInPandas``: an iterator of frames in, one tagged frame out for each."""
    for frame in frames:
        yield tag_frame(frame, model, top)


def make_predict_fn(model: Path | str | None = None, top: int | None = None) -> Callable[..., np.ndarray]:
    """Spark's ``predict_batch_udf``: returns ``predict(ids, titles, texts)``, each record as a JSON string.

    Called once per Python worker by Spark; the model is loaded there, at the first batch.
    """

    def predict(ids: np.ndarray, titles: np.ndarray, texts: np.ndarray) -> np.ndarray:
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame({"id": ids, "title": titles, "text": texts})
        tagged = tag_frame(frame, model, top)
        rows = tagged.to_dict(orient="records")
        return np.array([json.dumps(r, ensure_ascii=False) for r in rows], dtype=object)

    return predict
