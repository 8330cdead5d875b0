"""The model store: versions written atomically, kept, loaded with checks."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pytest
from sklearn.pipeline import Pipeline

from classifier.model.store import load_model, save_model
from classifier.model.training import Recipe
from tests.model import corpus


def test_saved_model_is_a_loadable_pipeline_and_versions_are_kept(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    first = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    second = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    assert first != second and first.exists() and second.exists()
    assert isinstance(joblib.load(first / "model.joblib"), Pipeline)
    loaded = load_model(first)
    assert loaded.topics == ["money", "sport"]
    meta = json.loads((first / "meta.json").read_text(encoding="utf-8"))
    assert {"created", "libraries", "model_sha256", "data_fingerprint"} <= set(meta)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left behind"


def test_model_saved_with_another_sklearn_version_warns(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    path = save_model(pipeline, {"topics": ["money", "sport"]}, out_dir=tmp_path / "m")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "0.1"
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.warns(UserWarning, match="trained with scikit-learn 0.1"):
        load_model(path)
