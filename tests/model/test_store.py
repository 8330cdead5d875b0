"""The model store: versions written atomically, kept, loaded with checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.pipeline import Pipeline

from classifier.files import sha256_file
from classifier.model.store import load_model, save_model
from classifier.model.training import Recipe
from tests.model import corpus


def test_saved_model_is_a_loadable_pipeline_and_versions_are_kept(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    first = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    second = save_model(pipeline, {"topics": ["money", "sport"], "data_fingerprint": "abc"}, store=tmp_path)
    assert first != second and first.exists() and second.exists()
    assert sorted(p.name for p in first.iterdir()) == [
        "jieba.npz",
        "manifest.json",
        "meta.json",
        "pipeline.skops",
        "tagger.json",
        "tagger.npz",
    ]
    loaded = load_model(first)
    assert loaded.topics == ["money", "sport"]
    meta = json.loads((first / "meta.json").read_text(encoding="utf-8"))
    assert {"created", "libraries", "data_fingerprint", "format"} <= set(meta)
    assert isinstance(loaded.pipeline, Pipeline)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left behind"


def test_model_saved_with_another_sklearn_version_warns(tmp_path: Path) -> None:
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    path = save_model(pipeline, {"topics": ["money", "sport"]}, out_dir=tmp_path / "m")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "0.1"
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["meta.json"] = sha256_file(path / "meta.json")
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.warns(UserWarning, match="trained with scikit-learn 0.1"):
        load_model(path)


@pytest.mark.slow
def test_two_trainings_at_once_get_two_complete_versions(tmp_path: Path) -> None:
    """Both used to pick the same name in the same second; one failed after training ("Directory not empty")."""
    import os
    import subprocess
    import sys

    from classifier.model.store import default_version, verify_version
    from tests.conftest import own_corpus

    labels = own_corpus(tmp_path / "own.jsonl")
    store = tmp_path / "store"
    env = {**os.environ, "CLASSIFIER_MODELS": str(store)}
    command = [sys.executable, "-m", "classifier", "train", "--labels", str(labels), "--own-topics", "--set-default"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in runs]
    assert [code for code, _ in results] == [0, 0, 0], results
    versions = sorted(p for p in store.iterdir() if p.is_dir())
    assert len(versions) == 3
    for version in versions:
        verify_version(version)
    assert default_version(store) in {v.name for v in versions}


def test_a_reserved_name_is_never_given_twice(tmp_path: Path) -> None:
    from classifier.model.store import _reserve_version

    names = [_reserve_version(tmp_path, "20261126-120000-abcdef").name for _ in range(3)]
    assert names == ["20261126-120000-abcdef", "20261126-120000-abcdef-2", "20261126-120000-abcdef-3"]


def test_a_failed_save_leaves_no_version_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import classifier.model.export

    def broken(pipeline: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(classifier.model.export, "export_tagger", broken)
    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    with pytest.raises(OSError):
        save_model(pipeline, {"topics": ["money", "sport"]}, store=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_pipeline_file_is_the_same_written_in_a_forked_process_or_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """save_model dumps skops in a forked process; where it cannot fork, or the dumper fails, it dumps here."""
    import classifier.model.store as store
    import classifier.processes

    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    meta = {"topics": ["money", "sport"]}
    forked = save_model(pipeline, meta, out_dir=tmp_path / "forked")
    monkeypatch.setattr(classifier.processes, "can_fork", lambda: False)
    here = save_model(pipeline, meta, out_dir=tmp_path / "here")
    monkeypatch.undo()
    monkeypatch.setattr(store, "_dump_in_child", lambda pipeline, path: store.os._exit(1))
    redone = save_model(pipeline, meta, out_dir=tmp_path / "redone")

    texts = [a.full_text for a in corpus()]
    expected = pipeline.predict_proba(texts)
    for path in (forked, here, redone):
        loaded = load_model(path).pipeline
        assert isinstance(loaded, Pipeline)
        assert (loaded.predict_proba(texts) == expected).all()


def test_files_get_the_mode_the_umask_gives(invoke, tmp_path: Path) -> None:
    """Version directories came out 0700 and written files 0600 whatever the umask (mkstemp's modes)."""
    import os
    import stat

    from tests.conftest import SEED_PAGE

    old = os.umask(0o022)
    try:
        assert invoke("train", "--output", tmp_path / "m", "--prior-weight", "0.5").exit_code == 0
        assert invoke("tag", SEED_PAGE, "--output", tmp_path / "tags.jsonl").exit_code == 0
        os.umask(0o077)
        assert invoke("tag", SEED_PAGE, "--output", tmp_path / "private.jsonl").exit_code == 0
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "m") == 0o755
    assert {mode(p) for p in (tmp_path / "m").iterdir()} == {0o644}
    assert mode(tmp_path / "tags.jsonl") == 0o644
    assert mode(tmp_path / "private.jsonl") == 0o600


def test_meta_records_label_files_relative_to_the_project_with_checksums(invoke, tmp_path: Path) -> None:
    from classifier.locations import from_project

    assert invoke("train", "--output", tmp_path / "m", "--prior-weight", "0.5").exit_code == 0
    sources = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))["label_sources"]
    assert sources and all(not Path(s["path"]).is_absolute() for s in sources)
    for source in sources:
        assert sha256_file(from_project(source["path"])) == source["sha256"]


def test_jiebas_dictionary_built_ahead_is_the_one_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build_dictionary_ahead (classifier train calls it) forks the build; save_model writes what it sent."""
    import numpy as np

    import classifier.model.store as store
    from classifier.model.lexicon import jieba_dictionary

    pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
    monkeypatch.setattr(store, "_RECEIVED", None)  # what an earlier training of this process received
    store.build_dictionary_ahead()
    assert store._AHEAD is not None
    version = save_model(pipeline, {"topics": ["money", "sport"]}, out_dir=tmp_path / "ahead")
    assert store._AHEAD is None, "collected by the save"
    assert store._RECEIVED is not None, "the child's arrays arrived (read back without pickle)"
    store.build_dictionary_ahead()
    assert store._AHEAD is None, "kept for the process's next save, not built again"
    expected = jieba_dictionary()
    with np.load(version / "jieba.npz", allow_pickle=False) as saved:
        assert sorted(saved.files) == sorted(expected)
        for name, array in expected.items():
            assert saved[name].dtype == array.dtype and np.array_equal(saved[name], array)


@pytest.mark.slow
def test_the_dumper_imports_skops_without_every_estimator_and_writes_a_loadable_file(tmp_path: Path) -> None:
    """In a fresh process (here skops is imported already): not every scikit-learn module imported, the list restored."""
    import subprocess
    import sys

    from classifier.model.store import _load_skops

    script = f"""
import sys
from classifier.model.training import Recipe  # scikit-learn imported as training imports it
import sklearn.utils
from classifier.model.store import _dump_pipeline, _import_skops_to_dump
from tests.model import corpus

pipeline = Recipe(["money", "sport"]).fit(corpus()).pipeline
every = sklearn.utils.all_estimators
_import_skops_to_dump()
assert "skops.io" in sys.modules and "sklearn.utils._testing" not in sys.modules  # all_estimators imports it
assert sklearn.utils.all_estimators is every
_dump_pipeline(pipeline, __import__("pathlib").Path({str(tmp_path / "p.skops")!r}))
assert "scipy.stats._stats_py" not in sys.modules, "nor SciPy's statistics (stood in for while skops imports)"
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[2])
    texts = [a.full_text for a in corpus()]
    expected = Recipe(["money", "sport"]).fit(corpus()).pipeline.predict_proba(texts)
    assert (_load_skops(tmp_path / "p.skops").predict_proba(texts) == expected).all()
