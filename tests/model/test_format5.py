"""Model format 5: tagging arrays stored as tagging uses them, read as views of one checked buffer; format 4 still tags."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier.files import sha256_file
from classifier.model.npz import ALIGN, ArrayFileError, read_npz, write_npz
from tests.conftest import SEED_PAGE, one_line_error


@pytest.fixture
def version(seed_model: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(seed_model, copy)
    return copy


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_array_files_are_aligned_views_numpy_reads_too(tmp_path: Path) -> None:
    arrays = {
        "coef": np.arange(24, dtype=np.float64).reshape(3, 8),
        "odd.name": np.array(["a", "bc", "def"]),
        "total": np.array(7, dtype=np.int64),
        "empty": np.zeros(0, dtype=np.int32),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
    }
    path = tmp_path / "a.npz"
    write_npz(path, arrays)
    got = read_npz(path, digest(path))
    assert set(got) == set(arrays)
    with np.load(path, allow_pickle=False) as plain:
        for name, array in arrays.items():
            assert np.array_equal(got[name], array) and got[name].dtype == array.dtype
            assert np.array_equal(plain[name], array)
    coef = got["coef"]
    assert not coef.flags.writeable and coef.flags.c_contiguous
    assert coef.ctypes.data % ALIGN == 0  # a view of the aligned buffer, not a copy
    assert read_npz(path, digest(path), names=["total"]).keys() == {"total"}


def test_an_array_file_with_another_digest_or_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    write_npz(path, {"x": np.arange(4.0)})
    with pytest.raises(ArrayFileError, match="checksum does not match"):
        read_npz(path, "0" * 64)
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ArrayFileError, match="Python objects"):
        read_npz(path, digest(path))
    path.write_bytes(b"not a zip")
    with pytest.raises(ArrayFileError, match="not an array archive"):
        read_npz(path, digest(path))


def test_numpy_savez_files_are_read_as_copies(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    np.savez(path, a=np.arange(5.0), b=np.array(["x", "yz"]))
    got = read_npz(path, digest(path))
    assert np.array_equal(got["a"], np.arange(5.0)) and got["b"].tolist() == ["x", "yz"]
    np.savez_compressed(path, a=np.arange(5.0))
    assert np.array_equal(read_npz(path, digest(path))["a"], np.arange(5.0))


def test_a_trained_version_is_format_5_with_the_arrays_tagging_uses(version: Path) -> None:
    from classifier.model.store import FORMAT, read_tagger

    assert FORMAT == "classifier-model/5"
    assert json.loads((version / "meta.json").read_text(encoding="utf-8"))["format"] == FORMAT
    arrays, settings, _ = read_tagger(version)
    assert settings["export_format"] == 2
    chars = next(b for b in settings["blocks"] if b["kind"] == "chars")
    assert isinstance(chars["closed"], bool)
    assert "coef" not in arrays and "chars.terms" not in arrays and "chars.df" not in arrays
    assert {"coef_by_topic", "chars.keys", "chars.order", "words.terms", "words.df"} <= set(arrays)
    coef = arrays["coef_by_topic"]
    assert coef.shape == (len(settings["topics"]), sum(b["width"] for b in settings["blocks"]))
    assert coef.flags.c_contiguous and not coef.flags.writeable and coef.ctypes.data % ALIGN == 0
    keys = arrays["chars.keys"]
    assert np.all(np.diff(keys[arrays["chars.order"]]) > 0)


def test_the_tagger_uses_the_stored_coefficients_without_a_copy(version: Path) -> None:
    from classifier.tagging.tagger import load_tagging_model

    model = load_tagging_model(version).model
    assert not model._coef_by_topic.flags.writeable  # the checked buffer's bytes, not a copy
    assert model._coef_by_topic.flags.c_contiguous


def flip_a_coefficient(path: Path) -> None:
    """Change one byte of the coefficients in place: the file keeps its size."""
    with np.load(path) as data:
        coef = data["coef_by_topic"]
    data = bytearray(path.read_bytes())
    at = bytes(data).find(coef.tobytes()[:64])
    assert at > 0
    data[at + 3] ^= 0x40
    size = path.stat().st_size
    path.write_bytes(bytes(data))
    assert path.stat().st_size == size


def test_a_same_size_change_of_the_arrays_is_refused_in_one_line(invoke, version: Path) -> None:
    flip_a_coefficient(version / "tagger.npz")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "tagger.npz: checksum does not match manifest.json" in message


def test_a_garbled_relisted_array_file_is_refused_in_one_line(invoke, version: Path) -> None:
    path = version / "tagger.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # the central directory gone
    path.write_bytes(bytes(data))
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["tagger.npz"] = sha256_file(path)
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "tagger.npz: tagging arrays cannot be read" in message and "refused" in message


def as_format_4(version: Path) -> None:
    """What training wrote before format 5: numpy.savez of the exported arrays (unicode n-grams, (F, T) coef)."""
    from classifier.model.export import export_tagger
    from classifier.model.lexicon import jieba_dictionary
    from classifier.model.store import load_model

    arrays, settings = export_tagger(load_model(version).pipeline)
    np.savez(version / "tagger.npz", **arrays)
    (version / "tagger.json").write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    np.savez(version / "jieba.npz", **jieba_dictionary())
    meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    meta["format"] = "classifier-model/4"
    (version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    files = {name: sha256_file(version / name) for name in json.loads((version / "manifest.json").read_text())["files"]}
    (version / "manifest.json").write_text(
        json.dumps({"format": "classifier-model/4", "files": files}), encoding="utf-8"
    )


def test_a_format_4_version_tags_the_same_and_upgrades(invoke, version: Path, tmp_path: Path) -> None:
    from classifier.model.store import upgrade_version

    expected = invoke("tag", SEED_PAGE, "--split", "--model", version, "--format", "jsonl", "--explain")
    old = tmp_path / "old"
    shutil.copytree(version, old)
    as_format_4(old)
    assert invoke("models", "verify", old).exit_code == 0
    got = invoke("tag", SEED_PAGE, "--split", "--model", old, "--format", "jsonl", "--explain")
    assert expected.exit_code == 0 and got.exit_code == 0
    assert got.stdout == expected.stdout
    new = upgrade_version(old, tmp_path / "new")
    assert json.loads((new / "meta.json").read_text(encoding="utf-8"))["format"] == "classifier-model/5"
    assert invoke("models", "verify", new).exit_code == 0
    again = invoke("tag", SEED_PAGE, "--split", "--model", new, "--format", "jsonl", "--explain")
    assert again.stdout == expected.stdout
    flip_a_coefficient_4 = old / "tagger.npz"
    with np.load(flip_a_coefficient_4) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["thresholds"] = arrays["thresholds"] * 0
    np.savez(flip_a_coefficient_4, **arrays)
    assert "tagger.npz: checksum does not match" in one_line_error(invoke("tag", SEED_PAGE, "--model", old))


def test_arrays_read_do_not_change_when_the_file_is_written_in_place(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    write_npz(path, {"x": np.arange(1000.0)})
    got = read_npz(path, digest(path))["x"]
    with path.open("r+b") as stream:  # what `cp other a.npz` does: same inode, new bytes, then shorter
        stream.write(bytes(path.stat().st_size))
        stream.truncate(10)
    assert np.array_equal(got, np.arange(1000.0))


def test_arrays_that_do_not_fit_together_are_refused_in_one_line(invoke, version: Path) -> None:
    from classifier.model.npz import read_npz as read

    arrays = dict(read(version / "tagger.npz", None))
    arrays["chars.order"] = arrays["chars.order"][::-1].copy()  # not ascending keys: lookups would miss
    write_npz(version / "tagger.npz", arrays)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["tagger.npz"] = sha256_file(version / "tagger.npz")
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", version))
    assert "tagging arrays do not fit together" in message and "refused" in message
    arrays["chars.order"] = arrays["chars.order"] + 10**9
    write_npz(version / "tagger.npz", arrays)
    manifest["files"]["tagger.npz"] = sha256_file(version / "tagger.npz")
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "does not have" in one_line_error(invoke("tag", SEED_PAGE, "--model", version))
