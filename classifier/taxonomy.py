"""The topic taxonomy: ids, Chinese names, descriptions and prior-knowledge term lists."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.locations import taxonomy_file


@dataclass(frozen=True)
class Topic:
    id: str
    name_zh: str
    description: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """The topics in their fixed order, plus terms typical of articles that get no topic."""

    topics: tuple[Topic, ...]
    none_terms: tuple[str, ...] = field(default=())

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self.ids


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy TOML file (default: ``labels/taxonomy.toml``).

    Raises
    ------
    ClassifierError
        When the file is missing, not TOML, or a topic lacks an ``id``.
    """
    path = Path(path or taxonomy_file())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"{path}: no such taxonomy file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ClassifierError(f"{path}: not a valid TOML taxonomy ({error})") from None
    topics = []
    for n, entry in enumerate(data.get("topic", []), start=1):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise ClassifierError(f"{path}: topic #{n} has no id")
        topics.append(
            Topic(
                id=str(entry["id"]),
                name_zh=str(entry.get("name_zh", "")),
                description=str(entry.get("description", "")),
                terms=tuple(entry.get("terms", ())),
            )
        )
    if not topics:
        raise ClassifierError(f"{path}: no [[topic]] entries")
    ids = [t.id for t in topics]
    if len(set(ids)) != len(ids):
        raise ClassifierError(f"{path}: a topic id appears twice")
    none = data.get("none", {})
    return Taxonomy(topics=tuple(topics), none_terms=tuple(none.get("terms", ())))
