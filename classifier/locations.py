"""Where the project's data lives: seed pages, labels, the model store and the shared evaluation data.

Each location can be moved with an environment variable (the tests use them to work on
temporary copies); they are read at every call, so a change takes effect at once.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def seeds_dir() -> Path:
    """The seed newspaper pages: ``$CLASSIFIER_SEEDS``, else the project's ``seeds/``."""
    return _from_env("CLASSIFIER_SEEDS", PROJECT_ROOT / "seeds")


def labels_dir() -> Path:
    """The hand labels and the taxonomy: ``$CLASSIFIER_LABELS``, else the project's ``labels/``."""
    return _from_env("CLASSIFIER_LABELS", PROJECT_ROOT / "labels")


def seed_labels_file() -> Path:
    """The hand labels of the seed articles: ``seed_labels.jsonl`` in :func:`labels_dir`."""
    return labels_dir() / "seed_labels.jsonl"


def taxonomy_file() -> Path:
    """The taxonomy TOML: ``taxonomy.toml`` in :func:`labels_dir`."""
    return labels_dir() / "taxonomy.toml"


def models_dir() -> Path:
    """The model store: ``$CLASSIFIER_MODELS``, else the project's ``models/``."""
    return _from_env("CLASSIFIER_MODELS", PROJECT_ROOT / "models")


def shared_data_dir() -> Path:
    """The evaluation data read in place (pool, dev, recent, THUCNews): ``$CLASSIFIER_SHARED_DATA``,
    else ``../shared/data`` beside the project."""
    return _from_env("CLASSIFIER_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data")


def project_relative(path: Path | str) -> str:
    """``path`` relative to the project root (``../shared/...`` for a file beside it), for records
    that must not carry one machine's absolute paths."""
    return os.path.relpath(Path(path).resolve(), PROJECT_ROOT)


def from_project(path: Path | str) -> Path:
    """The inverse of :func:`project_relative`: an absolute path stays, a relative one is read from the project root."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path
