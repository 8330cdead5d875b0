"""The model holder: a request keeps the model it started with; a model that fails to load is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.article import Article
from classifier.model.store import models_dir
from classifier.service.holder import ModelHolder
from tests.service.conftest import ARTICLE


@pytest.mark.slow
def test_a_swap_leaves_requests_in_flight_on_their_model(invoke, tmp_path: Path, seed_model: Path) -> None:
    from tests.service.test_operations import train_second_model

    holder = ModelHolder()
    assert holder.load().ok and holder.version() == seed_model.name
    in_flight = holder.serving  # what a request took when it started
    second = train_second_model(invoke, tmp_path)
    assert not holder.default_changed()
    assert invoke("models", "use", second).exit_code == 0
    assert holder.default_changed()
    assert holder.load("test").ok and holder.version() == second
    title, text = ARTICLE.split("\n", 1)
    (record,) = in_flight.tagger().tag_batch([Article("x", title, text)])
    assert in_flight.version == seed_model.name and record["topics"] == ["energy"]
    assert sorted(holder.serving.topics) == ["money", "sport"]


def test_a_broken_model_is_refused_and_the_old_one_kept(seed_model: Path) -> None:
    holder = ModelHolder()
    assert holder.load().ok
    (models_dir() / seed_model.name / "tagger.json").write_text("{}", encoding="utf-8")
    event = holder.load("test")
    assert not event.ok and "tagger.json" in event.error
    assert holder.version() == seed_model.name and holder.ready()
    assert holder.last is event and holder.last.as_dict()["ok"] is False


@pytest.mark.no_default_model
def test_nothing_to_load() -> None:
    holder = ModelHolder()
    event = holder.load()
    assert not event.ok and "no default model" in event.error and not holder.ready()
