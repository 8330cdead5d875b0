"""Loading a model never runs code from a file: every attack ends in one clear line, and nothing ran.

Each attack plants a pickle whose loading would create a sentinel file, in every place the
program reads or once read (the version directory's files, a legacy ``model.joblib``, the old
compiled-model cache), and checks the command refused it and the sentinel never appeared.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier.files import sha256_file
from tests.conftest import SEED_PAGE, one_line_error, write_jsonl


class Planted:
    """Unpickling (or constructing) this touches the sentinel file: proof that code from a file ran."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):  # noqa: ANN204 - the pickle protocol
        return (Path.touch, (self.sentinel,))

    def __setstate__(self, state: dict) -> None:
        Path(state["sentinel"]).touch()


def planted_pickle(sentinel: Path) -> bytes:
    return pickle.dumps(Planted(sentinel))


def relist(version: Path, name: str) -> None:
    """What an attacker who can write the directory also does: update the manifest to the new file."""
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][name] = sha256_file(version / name)
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def version(seed_model: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(seed_model, copy)
    return copy


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    return tmp_path / "code-ran"


def test_a_good_model_verifies_and_tags(invoke, version: Path) -> None:
    result = invoke("models", "verify", version)
    assert result.exit_code == 0 and result.stdout.startswith("ok")
    assert invoke("tag", SEED_PAGE, "--model", version, "--format", "jsonl").exit_code == 0


def test_the_pipeline_holds_only_trusted_types(version: Path) -> None:
    import skops.io

    from classifier.model.store import TRUSTED_TYPES

    assert set(skops.io.get_untrusted_types(file=version / "pipeline.skops")) <= TRUSTED_TYPES


def test_a_changed_array_file_is_refused(invoke, version: Path) -> None:
    with np.load(version / "tagger.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["thresholds"] = arrays["thresholds"] * 0  # every topic assigned: tags silently wrong
    np.savez(version / "tagger.npz", **arrays)
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "tagger.npz: checksum does not match manifest.json" in message
    verified = invoke("models", "verify", version)
    assert verified.exit_code == 1 and "tagger.npz: checksum" in verified.stdout


def test_a_changed_dictionary_is_refused(invoke, version: Path) -> None:
    with np.load(version / "jieba.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["jieba.freq"] = arrays["jieba.freq"][::-1].copy()  # every word cut differently
    np.savez(version / "jieba.npz", **arrays)
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "jieba.npz: checksum does not match manifest.json" in message
    verified = invoke("models", "verify", version)
    assert verified.exit_code == 1 and "jieba.npz: checksum" in verified.stdout


def test_a_missing_dictionary_is_refused(invoke, version: Path, tmp_path: Path) -> None:
    (version / "jieba.npz").unlink()
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "jieba.npz: missing (listed in manifest.json)" in message
    # refused however large the input, though a large one would be cut with rjieba
    many = write_jsonl(tmp_path / "many.jsonl", [{"id": str(i), "text": "煤炭保供" * 2000} for i in range(4)])
    assert "jieba.npz: missing" in one_line_error(invoke("tag", many, "--model", version))


def test_a_pickle_in_place_of_the_dictionary_never_runs(invoke, version: Path, sentinel: Path) -> None:
    np.savez(version / "jieba.npz", **{"jieba.chars": np.array([Planted(sentinel)], dtype=object)})
    relist(version, "jieba.npz")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "jieba's dictionary cannot be read" in message and "refused" in message
    assert "FAILED" in invoke("models", "verify", version).stdout
    assert not sentinel.exists()


def as_format_3(version: Path, arrays: bool = True) -> None:
    """What a version saved before format 4 holds: no jieba.npz (and, with ``arrays=False``, no tagger arrays)."""
    drop = ["jieba.npz"] + ([] if arrays else ["tagger.npz", "tagger.json"])
    meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    meta["format"] = "classifier-model/3"
    (version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    for name in drop:
        (version / name).unlink()
        del manifest["files"][name]
    manifest["format"] = "classifier-model/3"
    manifest["files"]["meta.json"] = sha256_file(version / "meta.json")
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("arrays", [True, False])
def test_a_format_3_version_still_tags_the_same(invoke, version: Path, tmp_path: Path, arrays: bool) -> None:
    expected = invoke("tag", SEED_PAGE, "--split", "--model", version, "--format", "jsonl", "--explain")
    old = tmp_path / "old"
    shutil.copytree(version, old)
    as_format_3(old, arrays=arrays)
    assert invoke("models", "verify", old).exit_code == 0
    got = invoke("tag", SEED_PAGE, "--split", "--model", old, "--format", "jsonl", "--explain")
    assert got.exit_code == 0 and expected.exit_code == 0
    assert got.stdout == expected.stdout


def test_a_truncated_pipeline_is_refused(invoke, version: Path, tmp_path: Path) -> None:
    data = (version / "pipeline.skops").read_bytes()
    (version / "pipeline.skops").write_bytes(data[: len(data) // 2])
    test = write_jsonl(tmp_path / "t.jsonl", [{"id": "x", "text": "煤炭保供", "topics": ["energy"]}])
    assert "pipeline.skops: checksum does not match" in one_line_error(
        invoke("evaluate", "--model", version, "--test", test)
    )


def test_a_pickle_in_place_of_the_arrays_never_runs(invoke, version: Path, sentinel: Path) -> None:
    np.savez(version / "tagger.npz", coef=np.array([Planted(sentinel)], dtype=object))
    relist(version, "tagger.npz")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "tagging arrays cannot be read" in message and "refused" in message
    assert not sentinel.exists()


def test_a_pickle_in_place_of_the_pipeline_never_runs(invoke, version: Path, sentinel: Path, tmp_path: Path) -> None:
    (version / "pipeline.skops").write_bytes(planted_pickle(sentinel))
    relist(version, "pipeline.skops")
    test = write_jsonl(tmp_path / "t.jsonl", [{"id": "x", "text": "煤炭保供", "topics": ["energy"]}])
    message = one_line_error(invoke("evaluate", "--model", version, "--test", test))
    assert "pipeline.skops: cannot be read" in message
    assert "FAILED" in invoke("models", "verify", version).stdout
    assert not sentinel.exists()


def test_a_skops_file_naming_a_foreign_type_is_refused_unread(
    invoke, version: Path, sentinel: Path, tmp_path: Path
) -> None:
    import skops.io

    skops.io.dump({"pipeline": Planted(sentinel)}, version / "pipeline.skops")
    relist(version, "pipeline.skops")
    test = write_jsonl(tmp_path / "t.jsonl", [{"id": "x", "text": "煤炭保供", "topics": ["energy"]}])
    message = one_line_error(invoke("evaluate", "--model", version, "--test", test))
    assert "holds types this program does not trust" in message and "Planted" in message
    assert not sentinel.exists()


def test_a_pickle_dropped_beside_a_model_is_refused(invoke, version: Path, sentinel: Path) -> None:
    (version / "model.joblib").write_bytes(planted_pickle(sentinel))
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "files not in its manifest: model.joblib" in message
    assert not sentinel.exists()


@pytest.mark.parametrize("name", ["meta.json", "manifest.json", "tagger.json"])
def test_a_pickle_in_place_of_a_json_file_is_an_error(invoke, version: Path, sentinel: Path, name: str) -> None:
    (version / name).write_bytes(planted_pickle(sentinel))
    if name != "manifest.json":
        relist(version, name)
    one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert not sentinel.exists()


def test_the_old_compiled_model_cache_is_never_read(invoke, hermetic: Path, sentinel: Path, tmp_path: Path) -> None:
    import os

    for cache in (Path(os.environ["CLASSIFIER_CACHE"]), Path.home() / ".cache" / "classifier"):
        cache.mkdir(parents=True, exist_ok=True)
        for digest in ("0" * 32, sha256_file(next((hermetic / "models").glob("*/tagger.npz")))[:32]):
            for fmt in range(1, 6):
                (cache / f"tagger-{fmt}-{digest}.pickle").write_bytes(planted_pickle(sentinel))
    try:
        assert invoke("tag", SEED_PAGE, "--format", "jsonl").exit_code == 0
        assert not sentinel.exists()
    finally:
        for planted in (Path.home() / ".cache" / "classifier").glob("tagger-*-*.pickle"):
            if planted.read_bytes() == planted_pickle(sentinel):
                planted.unlink()


def legacy_model(version: Path, pipeline_file: bytes, folder: Path) -> Path:
    """A model directory of format 2: a joblib pickle and a meta.json naming its checksum."""
    folder.mkdir()
    (folder / "model.joblib").write_bytes(pipeline_file)
    meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    meta.update(format="classifier-model/2", model_sha256=sha256_file(folder / "model.joblib"))
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_an_old_pickled_model_needs_trust_pickle(invoke, version: Path, sentinel: Path, tmp_path: Path) -> None:
    old = legacy_model(version, planted_pickle(sentinel), tmp_path / "old")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", old))
    assert "is a pickle, which can run code" in message and "--trust-pickle" in message
    assert not sentinel.exists()


def test_a_genuine_old_model_tags_with_trust_pickle(invoke, version: Path, tmp_path: Path) -> None:
    import io

    import joblib

    from classifier.model.store import load_model

    buffer = io.BytesIO()
    joblib.dump(load_model(version).pipeline, buffer)
    old = legacy_model(version, buffer.getvalue(), tmp_path / "old")
    new = invoke("tag", SEED_PAGE, "--split", "--model", version, "--format", "jsonl")
    trusted = invoke("tag", SEED_PAGE, "--split", "--model", old, "--trust-pickle", "--format", "jsonl")
    assert trusted.exit_code == 0, trusted.stderr
    assert trusted.stdout == new.stdout


def test_models_verify_checks_the_whole_store(invoke, hermetic: Path) -> None:
    store = hermetic / "models"
    good = next(p for p in store.iterdir() if p.is_dir())
    assert invoke("models", "verify").exit_code == 0
    bad = store / "20990101-000000-bad"
    shutil.copytree(good, bad)
    (bad / "tagger.json").write_text("{}", encoding="utf-8")
    result = invoke("models", "verify")
    assert result.exit_code == 1
    assert f"ok      {good.name}" in result.stdout
    assert "FAILED  20990101-000000-bad: " in result.stdout and "tagger.json: checksum" in result.stdout
    assert result.stderr.strip() == "error: 1 of 2 version(s) failed verification"
