"""Where the project's own data lives: seeds, labels and the model store."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
LABELS_DIR = PROJECT_ROOT / "labels"
MODELS_DIR = PROJECT_ROOT / "models"
TAXONOMY_FILE = LABELS_DIR / "taxonomy.toml"
SEED_LABELS_FILE = LABELS_DIR / "seed_labels.jsonl"
