"""The model store: versioned model directories, a default pointer, atomic writes and checked loads.

Layout::

    models/
      default                    # a text file naming the version ``tag`` uses
      20261123-140501-3fa2c1/    # one version per training
        model.joblib             # the fitted sklearn Pipeline, nothing else
        meta.json                # topics, thresholds, data fingerprint, counts, versions, metrics

A version directory is written under a temporary name and renamed into place, so a failed or
interrupted training never leaves a half-written model, and older versions are never touched.
``joblib.load("models/<version>/model.joblib")`` gives a plain Pipeline to inspect.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError
from classifier.files import sha256_file, write_atomic
from classifier.locations import models_dir

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
DEFAULT_POINTER = "default"
#: Bumped when what a version directory holds changes; older versions are refused with a clear error.
FORMAT = "classifier-model/2"


@dataclass
class LoadedModel:
    """A fitted pipeline with its metadata and where it came from."""

    pipeline: Any
    meta: dict[str, Any]
    path: Path

    @property
    def topics(self) -> list[str]:
        return list(self.meta["topics"])


def library_versions() -> dict[str, str]:
    import jieba
    import joblib
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "jieba": jieba.__version__,
        "joblib": joblib.__version__,
    }


def check_output_dir(out_dir: Path) -> None:
    """Refuse, before any work, an output directory that exists and is not empty."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ClassifierError(f"{out_dir}: exists and is not empty; choose another --output")


def save_model(
    pipeline: Any,
    meta: dict[str, Any],
    out_dir: Path | None = None,
    store: Path | None = None,
    make_default: bool = False,
) -> Path:
    """Write a model version atomically and return its directory.

    Parameters
    ----------
    pipeline : Pipeline
        The fitted pipeline.
    meta : dict
        JSON-serialisable metadata; ``format``, ``created``, ``libraries`` and ``model_sha256``
        are added here.
    out_dir : Path or None
        Write exactly there (it must not exist yet, or be empty). ``None``: a new version in ``store``.
    store : Path
        The model store directory.
    make_default : bool
        Point the store's default at the new version. The first version of a store always
        becomes its default. Never for ``out_dir``, which lies outside the store.
    """
    import joblib

    store = Path(store or models_dir())
    created = datetime.now(UTC)
    in_store = out_dir is None
    if out_dir is None:
        short = str(meta.get("data_fingerprint", ""))[:6] or "model"
        out_dir = store / f"{created:%Y%m%d-%H%M%S}-{short}"
        for n in range(2, 1000):  # two trainings on the same data within a second
            if not out_dir.exists():
                break
            out_dir = store / f"{created:%Y%m%d-%H%M%S}-{short}-{n}"
    out_dir = Path(out_dir)
    check_output_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        joblib.dump(pipeline, tmp / MODEL_FILE, compress=3)
        meta = {
            "format": FORMAT,
            "version": out_dir.name,
            "created": created.isoformat(timespec="seconds"),
            "libraries": library_versions(),
            **meta,
            "model_sha256": sha256_file(tmp / MODEL_FILE),
        }
        (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if in_store and (make_default or default_version(store) is None):
        set_default(out_dir, store)
    return out_dir


def set_default(version_dir: Path, store: Path | None = None) -> None:
    """Point ``models/default`` at a version directory inside the store."""
    store = Path(store or models_dir())
    version_dir = Path(version_dir).resolve()
    if version_dir.parent != store.resolve():
        raise ClassifierError(f"{version_dir}: not a version inside {store}")
    read_meta(version_dir)
    write_atomic(store / DEFAULT_POINTER, version_dir.name + "\n")


def default_version(store: Path | None = None) -> str | None:
    pointer = Path(store or models_dir()) / DEFAULT_POINTER
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def resolve_model_dir(model: Path | str | None, store: Path | None = None) -> Path:
    """Find a model directory: ``None`` is the store's default; a version name, a directory or its model file."""
    store = Path(store or models_dir())
    if model is None:
        version = default_version(store)
        if not version:
            raise ClassifierError(f"no default model in {store}; train one with `classifier train --set-default`")
        model = store / version
    path = Path(model)
    if not path.exists() and (store / str(model)).exists():
        path = store / str(model)
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        raise ClassifierError(f"{model}: no such model")
    return path


def read_meta(model_dir: Path) -> dict[str, Any]:
    meta_path = Path(model_dir) / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"{model_dir}: not a classifier model (no {META_FILE})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ClassifierError(f"{meta_path}: corrupt model metadata") from None
    if not isinstance(meta, dict) or not str(meta.get("format", "")).startswith("classifier-model/"):
        raise ClassifierError(f"{model_dir}: not a classifier model (unknown format)")
    if meta["format"] != FORMAT:
        raise ClassifierError(
            f"{model_dir}: model format {meta['format']}, this version reads {FORMAT}; retrain it with `classifier train`"
        )
    return meta


def load_model(model: Path | str | None = None, store: Path | None = None) -> LoadedModel:
    """Load and check a model: its file checksum, its type, and the library versions it was made with.

    Raises
    ------
    ClassifierError
        When the model is missing, not ours, or corrupt. A different scikit-learn version
        only warns (on stderr), since the model usually still works.
    """
    import joblib

    model_dir = resolve_model_dir(model, store)
    meta = read_meta(model_dir)
    model_file = model_dir / MODEL_FILE
    if not model_file.is_file():
        raise ClassifierError(f"{model_dir}: model file {MODEL_FILE} is missing")
    if sha256_file(model_file) != meta.get("model_sha256"):
        raise ClassifierError(f"{model_file}: checksum does not match {META_FILE}; the file is corrupt or changed")
    saved = meta.get("libraries", {}).get("scikit-learn")
    current = library_versions()["scikit-learn"]
    if saved and saved != current:
        warnings.warn(
            f"model {model_dir.name} was trained with scikit-learn {saved}, this is {current}; "
            "retrain if its scores look wrong",
            stacklevel=2,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)  # sklearn's own version warning; ours is above
            pipeline = joblib.load(model_file)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means the same to the user
        raise ClassifierError(f"{model_file}: cannot be loaded ({type(error).__name__}); corrupt or not ours") from None
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline[-1], "thresholds_"):
        raise ClassifierError(f"{model_file}: not a fitted classifier pipeline")
    return LoadedModel(pipeline=pipeline, meta=meta, path=model_dir)


def list_models(store: Path | None = None) -> list[dict[str, Any]]:
    """Metadata of every version in the store, oldest first, with ``is_default`` set."""
    store = Path(store or models_dir())
    default = default_version(store)
    out = []
    versions = sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")) if store.is_dir() else []
    for path in versions:
        try:
            meta = read_meta(path)
        except ClassifierError:
            continue
        meta["is_default"] = path.name == default
        meta["path"] = str(path)
        out.append(meta)
    return out
