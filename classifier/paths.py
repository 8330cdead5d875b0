"""Where the project's own data lives: seeds, labels and the model store."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
LABELS_DIR = PROJECT_ROOT / "labels"
TAXONOMY_FILE = LABELS_DIR / "taxonomy.toml"


def models_dir() -> Path:
    """The model store: ``$CLASSIFIER_MODELS`` when set, else the project's ``models/``."""
    return Path(os.environ.get("CLASSIFIER_MODELS") or PROJECT_ROOT / "models")
