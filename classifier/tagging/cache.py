"""The compiled-model cache: a model compiled once, kept under ``~/.cache/classifier`` by its file's checksum."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError
from classifier.files import atomic_writer, sha256_file
from classifier.tagging.compiled import CompiledModel, compile_model

#: Bump when :class:`CompiledModel` changes, so that old cache files are ignored.
CACHE_FORMAT = 5


def cache_dir() -> Path:
    """Where compiled models are kept: ``$CLASSIFIER_CACHE``, else ``$XDG_CACHE_HOME/classifier``."""
    if os.environ.get("CLASSIFIER_CACHE"):
        return Path(os.environ["CLASSIFIER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "classifier"


def load_tagging_model(model: Path | str | None = None) -> CompiledModel | Any:
    """Load a model for tagging: its compiled form when cached or compilable, else the ``LoadedModel``.

    The cache entry is named by the SHA-256 of ``model.joblib`` (checked against ``meta.json``
    here, as :func:`classifier.model.store.load_model` does), so a changed or retrained model
    never meets a stale entry. A cache miss loads the model the usual way (with all its checks
    and warnings), compiles it and writes the entry; an unwritable cache only costs speed.
    """
    from classifier.model.store import MODEL_FILE, load_model, read_meta, resolve_model_dir

    model_dir = resolve_model_dir(model)
    meta = read_meta(model_dir)
    model_file = model_dir / MODEL_FILE
    digest = sha256_file(model_file) if model_file.is_file() else None
    if digest is not None and digest == meta.get("model_sha256"):
        cached = _read_cache(digest)
        if cached is not None:
            return cached
    loaded = load_model(model_dir)  # raises the usual errors for a missing or corrupt model
    compiled = compile_model(loaded.pipeline)
    if compiled is None:
        return loaded
    if digest is None:
        raise ClassifierError(f"{model_file}: missing")  # pragma: no cover - load_model raised already
    _write_cache(digest, compiled)
    return compiled


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
    try:
        # Concurrent runs may race: each writes a whole file.
        with atomic_writer(_cache_file(digest), binary=True) as stream:
            pickle.dump(compiled, stream, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        return
