"""Where the project's data lives: seed pages, labels, the model store and the shared evaluation data.

Run from a project checkout (an editable install), everything is the checkout's own: ``seeds/``,
``labels/``, ``models/``. Installed from a wheel, there is no checkout: the wheel carries the
seed pages, the seed labels, the taxonomy and the default model (``classifier/_bundled/``), and
what the user makes (labels, trained models) goes to a data directory of their own,
``$CLASSIFIER_HOME`` (default ``$XDG_DATA_HOME/classifier``, i.e. ``~/.local/share/classifier``).

Each location can also be moved with an environment variable (the tests use them to work on
temporary copies); they are read at every call, so a change takes effect at once.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout the package runs from, if it does (its parent holds pyproject.toml and labels/).
CHECKOUT = (
    PACKAGE_DIR.parent
    if (PACKAGE_DIR.parent / "pyproject.toml").is_file() and (PACKAGE_DIR.parent / "labels").is_dir()
    else None
)
#: What a wheel carries: seeds/, labels/ (seed labels, taxonomy) and models/<the default version>/.
BUNDLED = PACKAGE_DIR / "_bundled"


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def home() -> Path:
    """The user's own data directory when not in a checkout: ``$CLASSIFIER_HOME``, else ``$XDG_DATA_HOME/classifier``."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return _from_env("CLASSIFIER_HOME", base / "classifier")


def project_root() -> Path:
    """The checkout, or the user's data directory: what recorded paths are relative to."""
    return CHECKOUT or home()


def seeds_dir() -> Path:
    """The seed newspaper pages: ``$CLASSIFIER_SEEDS``, else the checkout's ``seeds/`` (or the wheel's)."""
    return _from_env("CLASSIFIER_SEEDS", CHECKOUT / "seeds" if CHECKOUT else BUNDLED / "seeds")


def labels_dir() -> Path:
    """The hand labels and the taxonomy: ``$CLASSIFIER_LABELS``, else ``labels/`` of the checkout or the data directory."""
    return _from_env("CLASSIFIER_LABELS", project_root() / "labels")


def _labels_file(name: str) -> Path:
    """``name`` in :func:`labels_dir`, or the wheel's copy when the labels directory has none."""
    path = labels_dir() / name
    return path if path.exists() or CHECKOUT or "CLASSIFIER_LABELS" in os.environ else BUNDLED / "labels" / name


def seed_labels_file() -> Path:
    """The hand labels of the seed articles: ``seed_labels.jsonl`` in :func:`labels_dir` (or the wheel's)."""
    return _labels_file("seed_labels.jsonl")


def taxonomy_file() -> Path:
    """The taxonomy TOML: ``taxonomy.toml`` in :func:`labels_dir` (or the wheel's)."""
    return _labels_file("taxonomy.toml")


def models_dir() -> Path:
    """The model store: ``$CLASSIFIER_MODELS``, else ``models/`` of the checkout or the data directory."""
    return _from_env("CLASSIFIER_MODELS", project_root() / "models")


def bundled_model() -> Path | None:
    """The default model a wheel carries (used while the user's store has no default), if any."""
    folder = BUNDLED / "models"
    versions = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return versions[-1] if versions else None


def shared_data_dir() -> Path:
    """The evaluation data read in place (pool, dev, recent, THUCNews): ``$CLASSIFIER_SHARED_DATA``,
    else ``../shared/data`` beside the checkout."""
    return _from_env("CLASSIFIER_SHARED_DATA", (CHECKOUT or Path.cwd()).parent / "shared" / "data")


def project_relative(path: Path | str) -> str:
    """``path`` relative to :func:`project_root` (``../shared/...`` for a file beside it), for records
    that must not carry one machine's absolute paths."""
    return os.path.relpath(Path(path).resolve(), project_root())


def from_project(path: Path | str) -> Path:
    """The inverse of :func:`project_relative`: an absolute path stays, a relative one is read from the project root."""
    path = Path(path)
    return path if path.is_absolute() else project_root() / path
