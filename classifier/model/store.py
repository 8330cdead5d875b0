"""The model store: versioned model directories, a default pointer, atomic writes and verified, code-free loads.

Layout::

    models/
      default                    # a text file naming the version ``tag`` uses
      20261123-140501-3fa2c1/    # one version per training
        pipeline.skops           # the fitted scikit-learn Pipeline, in skops' safe format
        tagger.npz               # what tagging needs, as arrays in their final form (no pickles, 64-byte aligned)
        tagger.json              # ... and its settings and vocabulary layout
        jieba.npz                # jieba's dictionary as arrays: small inputs cut without building rjieba's
        meta.json                # topics, thresholds, data fingerprint, counts, versions, metrics
        manifest.json            # the format and the SHA-256 of every other file

Nothing in a version directory is code: the pipeline is read by ``skops`` with an explicit list
of trusted types (:data:`TRUSTED_TYPES`; any other type is refused), the arrays by NumPy with
pickles refused, the rest is JSON. Every file is checked against the manifest before it is used
(the array files as they are read: the bytes checked are the bytes used, see :mod:`classifier.model.npz`).
A version directory is written under a temporary name and renamed onto a name reserved with an
exclusive ``mkdir``, so concurrent trainings get distinct versions, a failed or interrupted
training leaves nothing half-written, and older versions are never touched. Models of formats
1 and 2 (a joblib pickle) load only when the caller says it trusts the file (``--trust-pickle``).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError
from classifier.files import apply_umask, sha256_file, write_atomic
from classifier.locations import bundled_model, models_dir

# platform and tempfile are imported where a version is written: tagging only reads (1-2 ms of a cold start).

#: Format 4 adds ``jieba.npz`` (format 3 versions are read as they are: tagged with rjieba only); format 5
#: stores the tagging arrays in the form tagging uses (:func:`classifier.model.export.stored_tagger`),
#: aligned for reading in place; format 3 and 4 arrays are converted when loaded.
FORMAT = "classifier-model/5"
#: Formats this version reads (writing only :data:`FORMAT`).
READABLE_FORMATS = ("classifier-model/3", "classifier-model/4", FORMAT)
#: Formats whose model is a joblib pickle: loaded only with ``trust_pickle``.
LEGACY_FORMATS = ("classifier-model/1", "classifier-model/2")
PIPELINE_FILE = "pipeline.skops"
TAGGER_ARRAYS = "tagger.npz"
TAGGER_SETTINGS = "tagger.json"
#: jieba's dictionary (:func:`classifier.model.lexicon.jieba_dictionary`), for a model whose words
#: block cuts with jieba's own dictionary (no user words, no HMM); about 6 MB, read only when a small
#: input is tagged in a process that has not loaded rjieba.
DICTIONARY_FILE = "jieba.npz"
META_FILE = "meta.json"
MANIFEST_FILE = "manifest.json"
LEGACY_FILE = "model.joblib"
DEFAULT_POINTER = "default"
#: The files a version may list in its manifest.
VERSION_FILES = (PIPELINE_FILE, TAGGER_ARRAYS, TAGGER_SETTINGS, DICTIONARY_FILE, META_FILE)

#: The types beyond skops' own safe set that a saved pipeline may hold: ours, and the scikit-learn
#: and SciPy ones our pipeline is made of. A file naming any other type is refused unread.
TRUSTED_TYPES = frozenset(
    {
        "classifier.model.estimator.TopicClassifier",
        "classifier.model.features.ArrayTfidfVectorizer",
        "classifier.model.features.TermPriors",
        "classifier.model.features.TextNormaliser",
        "classifier.model.text.JiebaTokenizer",
        "classifier.model.text.char_view",
    }
)


@dataclass
class LoadedModel:
    """A fitted pipeline with its metadata and where it came from."""

    pipeline: Any
    meta: dict[str, Any]
    path: Path

    @property
    def topics(self) -> list[str]:
        return list(self.meta["topics"])


def library_versions() -> dict[str, str]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "jieba", "rjieba", "skops"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


# --- writing -------------------------------------------------------------------------------


def check_output_dir(out_dir: Path) -> None:
    """Refuse, before any work, an output directory that exists and is not empty."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ClassifierError(f"{out_dir}: exists and is not empty; choose another --output")


def _reserve_version(store: Path, stem: str) -> Path:
    """Create an empty version directory named ``stem`` (or ``stem-2``, ...): an exclusive claim on the name."""
    store.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = store / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ClassifierError(f"{store}: no free version name for {stem}")  # pragma: no cover


def save_model(
    pipeline: Any,
    meta: dict[str, Any],
    out_dir: Path | None = None,
    store: Path | None = None,
    make_default: bool = False,
) -> Path:
    """Write a model version atomically and return its directory.

    Parameters
    ----------
    pipeline : Pipeline
        The fitted pipeline.
    meta : dict
        JSON-serialisable metadata; ``format``, ``version``, ``created`` and ``libraries`` are
        added here.
    out_dir : Path or None
        Write exactly there (it must not exist yet, or be empty). ``None``: a new version in ``store``.
    store : Path
        The model store directory.
    make_default : bool
        Point the store's default at the new version. The first version of a store always
        becomes its default. Never for ``out_dir``, which lies outside the store.
    """
    import tempfile

    from classifier.model.export import export_tagger, stored_tagger
    from classifier.model.lexicon import jieba_dictionary
    from classifier.model.npz import write_npz

    store = Path(store or models_dir())
    created = datetime.now(UTC)
    in_store = out_dir is None
    if out_dir is None:
        short = str(meta.get("data_fingerprint", ""))[:6] or "model"
        out_dir = _reserve_version(store, f"{created:%Y%m%d-%H%M%S}-{short}")
    else:
        out_dir = Path(out_dir)
        check_output_dir(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    dumper = None
    try:
        # skops (its import and the dump: about half of saving) in a forked process, side by side
        # with the tagging arrays and jieba's dictionary here.
        dumper = _start_dump(pipeline, tmp / PIPELINE_FILE)
        exported = export_tagger(pipeline)
        if exported is not None:
            arrays, settings = stored_tagger(*exported)
            write_npz(tmp / TAGGER_ARRAYS, arrays)
            _write_json(tmp / TAGGER_SETTINGS, settings)
            if _cuts_with_jiebas_dictionary(settings):
                write_npz(tmp / DICTIONARY_FILE, _built_ahead() or jieba_dictionary())
        for path in tmp.iterdir():  # while the dumper works (it syncs its own file): 0.3-0.5 s after it, else
            if path.name != PIPELINE_FILE:
                _fsync(path)
        if not _finish_dump(dumper):
            _dump_pipeline(pipeline, tmp / PIPELINE_FILE)  # again here: its error, if any, is the user's
        meta = {
            "format": FORMAT,
            "version": out_dir.name,
            "created": created.isoformat(timespec="seconds"),
            "libraries": library_versions(),
            **meta,
        }
        _write_json(tmp / META_FILE, meta)
        files = {name: sha256_file(tmp / name) for name in VERSION_FILES if (tmp / name).is_file()}
        _write_json(tmp / MANIFEST_FILE, {"format": FORMAT, "files": files})
        for path in tmp.iterdir():
            apply_umask(path)
            _fsync(path)  # again for the files synced above: nothing left to write, it returns at once
        apply_umask(tmp, directory=True)
        os.replace(tmp, out_dir)  # onto the empty directory reserved (or checked) above
    except BaseException:
        if dumper is not None and dumper.is_alive():
            dumper.terminate()
            dumper.join()
        shutil.rmtree(tmp, ignore_errors=True)
        if in_store:
            out_dir.rmdir()
        raise
    if in_store and (make_default or default_version(store) is None):
        set_default(out_dir, store)
    return out_dir


#: The forked process of :func:`build_dictionary_ahead` and the end of its pipe, until collected.
_AHEAD: tuple[Any, Any] | None = None
#: The arrays it sent, kept for the process's later saves (as ``jieba_dictionary``'s own cache would be).
_RECEIVED: dict[str, Any] | None = None


def build_dictionary_ahead() -> None:
    """Start building jieba's dictionary arrays (``jieba.npz``) in a forked process, for :func:`save_model`.

    They depend on jieba's ``dict.txt`` alone, and building them takes 0.5-1.3 s, which saving
    otherwise spends after the training. Called by ``classifier train`` before it imports
    scikit-learn, whose import (1-2 s on one core) leaves the other core free: the process forked
    then is small (NumPy), and it is done before the training needs both cores. :func:`save_model`
    takes the arrays from it (the same arrays, built by the same function), or builds them itself
    when the process failed or was never started. Nothing happens where forking is not possible.
    """
    global _AHEAD
    import multiprocessing

    from classifier.model.lexicon import jieba_dictionary, jieba_dictionary_path
    from classifier.processes import can_fork

    if _AHEAD is not None or _RECEIVED is not None or not can_fork() or jieba_dictionary_path() is None:
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def build() -> None:
        import io
        import signal

        import numpy as np

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            buffer = io.BytesIO()
            np.savez(buffer, **jieba_dictionary())  # plain numeric arrays: read back without pickle
            sender.send_bytes(buffer.getvalue())
        except BaseException:
            sender.send_bytes(b"")
        finally:
            os._exit(0)

    process = context.Process(target=build, daemon=True)
    process.start()
    sender.close()
    _AHEAD = (process, receiver)


def _built_ahead() -> dict[str, Any] | None:
    """The arrays of :func:`build_dictionary_ahead`'s process (waiting for it), or ``None`` without one."""
    global _AHEAD, _RECEIVED
    if _AHEAD is None:
        return _RECEIVED
    import io

    import numpy as np

    process, receiver = _AHEAD
    _AHEAD = None
    try:
        message = receiver.recv_bytes()
    except (EOFError, OSError):
        message = b""
    finally:
        receiver.close()
        process.join()
    if message:
        with np.load(io.BytesIO(message), allow_pickle=False) as arrays:
            _RECEIVED = {name: arrays[name] for name in arrays.files}
    else:
        _RECEIVED = None
    return _RECEIVED


def _dump_pipeline(pipeline: Any, path: Path) -> None:
    """Write the pipeline in skops' format.

    Deflated: the pipeline is read to inspect or retrain, never to tag (tagger.npz is), so its size
    matters more than its load time. Level 1: 8 MB for the all-labels model against 7 MB at level 6
    (45 MB stored), in 0.5 s against 0.9 s (benchmarks/results/train_profile.md).
    """
    import skops.io

    skops.io.dump(pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=1)


def _dump_in_child(pipeline: Any, path: Path) -> None:
    """The forked dumper's body: exit status 0 when written, 1 (silently) otherwise."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        _import_skops_to_dump()
        _dump_pipeline(pipeline, path)
        _fsync(path)
    except BaseException:
        os._exit(1)


def _import_skops_to_dump() -> None:
    """Import ``skops.io`` for a process that only dumps, without its list of every scikit-learn estimator.

    skops builds that list (what a load trusts by default) with ``sklearn.utils.all_estimators``,
    which imports every module of scikit-learn, pytest and Dask's array API among them: 0.6-0.9 s
    of the 0.9-1.0 s skops' import takes. Dumping never reads the list (the file written is the
    same), so the forked dumper, which ends when the file is written, imports skops with an empty
    one. Loading (:func:`_load_skops`) imports skops as it is, with its own list. The scikit-learn
    modules skops imports for its type names take ``scipy.stats`` (0.4-0.5 s) as a stand-in
    (:func:`classifier.model.imports.stand_ins`), as training does: dumping calls none of it.
    """
    import sys

    from classifier.model.imports import stand_ins

    if "skops.io" in sys.modules:
        return
    import sklearn.utils

    every = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        with stand_ins(deferred=["scipy.stats"]):
            import skops.io  # noqa: F401 - what _dump_pipeline imports again
    finally:
        sklearn.utils.all_estimators = every


def _start_dump(pipeline: Any, path: Path) -> Any:
    """A forked process writing ``pipeline`` to ``path`` (it sees the pipeline without pickling), or ``None``.

    ``None`` where forking is not possible (then :func:`_finish_dump` says the dump is still to do).
    """
    import multiprocessing

    from classifier.processes import can_fork

    if not can_fork():
        return None
    process = multiprocessing.get_context("fork").Process(target=_dump_in_child, args=(pipeline, path), daemon=True)
    process.start()
    return process


def _finish_dump(process: Any) -> bool:
    """Wait for the dumper of :func:`_start_dump`; whether it wrote the file."""
    if process is None:
        return False
    process.join()
    return process.exitcode == 0


def _fsync(path: Path) -> None:
    """Flush a written file to the disk."""
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def _cuts_with_jiebas_dictionary(settings: dict[str, Any]) -> bool:
    """Does the exported words block cut with jieba's dictionary alone (what ``JiebaLite`` reproduces)?"""
    from classifier.model.lexicon import jieba_dictionary_path

    words = next((b for b in settings["blocks"] if b["kind"] == "words"), None)
    return words is not None and not words["user_words"] and not words["hmm"] and jieba_dictionary_path() is not None


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def upgrade_version(model_dir: Path, out_dir: Path) -> Path:
    """Write a format-4 version's copy in the current format (its tagging arrays as tagging uses them) to ``out_dir``.

    The pipeline, metadata and version name are kept; only the array files and the format change.
    For measuring and moving a model on without retraining it.

    Raises
    ------
    ClassifierError
        When the version does not verify, has no tagging arrays, is already of this format, or
        ``out_dir`` exists and is not empty.
    """
    import tempfile

    from classifier.model.export import stored_tagger
    from classifier.model.npz import write_npz

    model_dir = Path(model_dir)
    found = read_tagger(model_dir)
    if found is None:
        raise ClassifierError(f"{model_dir}: no tagging arrays to upgrade")
    arrays, settings, meta = found
    if meta.get("format") == FORMAT:
        raise ClassifierError(f"{model_dir}: already of format {FORMAT}")
    verify_version(model_dir)
    out_dir = Path(out_dir)
    check_output_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        shutil.copyfile(model_dir / PIPELINE_FILE, tmp / PIPELINE_FILE)
        stored_arrays, stored_settings = stored_tagger(dict(arrays), settings)
        write_npz(tmp / TAGGER_ARRAYS, stored_arrays)
        _write_json(tmp / TAGGER_SETTINGS, stored_settings)
        if has_dictionary(model_dir):
            write_npz(tmp / DICTIONARY_FILE, read_dictionary(model_dir))
        _write_json(tmp / META_FILE, {**meta, "format": FORMAT})
        files = {name: sha256_file(tmp / name) for name in VERSION_FILES if (tmp / name).is_file()}
        _write_json(tmp / MANIFEST_FILE, {"format": FORMAT, "files": files})
        for path in tmp.iterdir():
            apply_umask(path)
        apply_umask(tmp, directory=True)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def set_default(version_dir: Path, store: Path | None = None) -> None:
    """Point ``models/default`` at a complete, verified version directory inside the store."""
    store = Path(store or models_dir())
    version_dir = Path(version_dir).resolve()
    if version_dir.parent != store.resolve():
        raise ClassifierError(f"{version_dir}: not a version inside {store}")
    verify_version(version_dir)
    write_atomic(store / DEFAULT_POINTER, version_dir.name + "\n")


# --- finding and reading -------------------------------------------------------------------


def default_version(store: Path | None = None) -> str | None:
    pointer = Path(store or models_dir()) / DEFAULT_POINTER
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def resolve_model_dir(model: Path | str | None, store: Path | None = None) -> Path:
    """Find a model directory: a version name, a directory or a file in it; ``None`` is the store's
    default (or, with no default yet, the model a wheel carries)."""
    store = Path(store or models_dir())
    if model is None:
        version = default_version(store)
        if version:
            model = store / version
        elif (bundled := bundled_model()) is not None:
            model = bundled  # installed from a wheel, before the user trained a model of their own
        else:
            raise ClassifierError(f"no default model in {store}; train one with `classifier train --set-default`")
    path = Path(model)
    if not path.exists() and (store / str(model)).exists():
        path = store / str(model)
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        raise ClassifierError(f"{model}: no such model")
    return path


def read_meta(model_dir: Path) -> dict[str, Any]:
    """A version's ``meta.json``, unverified (for listing); loading goes through :func:`verify_version`."""
    meta_path = Path(model_dir) / META_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"{model_dir}: not a classifier model (no {META_FILE})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ClassifierError(f"{meta_path}: corrupt model metadata") from None
    if not isinstance(meta, dict) or not str(meta.get("format", "")).startswith("classifier-model/"):
        raise ClassifierError(f"{model_dir}: not a classifier model (unknown format)")
    return meta


def is_legacy(meta: dict[str, Any]) -> bool:
    return meta.get("format") in LEGACY_FORMATS


def verify_version(model_dir: Path, use: tuple[str, ...] | None = None, defer: tuple[str, ...] = ()) -> dict[str, Any]:
    """Check a version against its manifest (format, the SHA-256 of each file about to be used); return its metadata.

    ``use`` names the files the caller will read (``meta.json`` is always checked); ``None``
    checks them all. Files in ``defer`` are checked for presence only: the caller checks their
    digest (:func:`listed_digest`) on the bytes it reads (:func:`classifier.model.npz.read_npz`).
    Unlisted files are refused either way: nothing may sit in a version directory that its
    manifest does not vouch for.

    Raises
    ------
    ClassifierError
        On a missing or malformed manifest, a missing, changed or unlisted file, or another format.
    """
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    if is_legacy(meta):
        raise ClassifierError(
            f"{model_dir}: model format {meta['format']} is a pickle, which can run code when loaded; "
            "retrain it with `classifier train`, or pass --trust-pickle if you trust the file"
        )
    if meta.get("format") not in READABLE_FORMATS:
        raise ClassifierError(
            f"{model_dir}: model format {meta.get('format')}, this version reads {' and '.join(READABLE_FORMATS)}"
        )
    manifest_path = model_dir / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
        listed_format = manifest["format"]
    except FileNotFoundError:
        raise ClassifierError(f"{model_dir}: no {MANIFEST_FILE}; the version is incomplete") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ClassifierError(f"{manifest_path}: not a valid manifest") from None
    if listed_format != meta["format"] or META_FILE not in files or PIPELINE_FILE not in files:
        raise ClassifierError(f"{manifest_path}: not a manifest of format {meta['format']}")
    for name, digest in files.items():
        if name not in VERSION_FILES:
            raise ClassifierError(f"{manifest_path}: lists {name!r}, which no version holds")
        if use is not None and name != META_FILE and name not in use:
            continue
        path = model_dir / name
        if not path.is_file():
            raise ClassifierError(f"{path}: missing (listed in {MANIFEST_FILE})")
        if name in defer:
            continue
        if sha256_file(path) != digest:
            raise ClassifierError(f"{path}: checksum does not match {MANIFEST_FILE}; the file is corrupt or changed")
    unlisted = sorted(p.name for p in model_dir.iterdir() if p.name not in files and p.name != MANIFEST_FILE)
    if unlisted:
        raise ClassifierError(f"{model_dir}: files not in its manifest: {', '.join(unlisted)}; refused")
    return meta


def listed_digest(model_dir: Path, name: str) -> str:
    """The SHA-256 a version's manifest lists for one of its files.

    Raises
    ------
    ClassifierError
        When the manifest does not list it (or is not a manifest).
    """
    manifest_path = Path(model_dir) / MANIFEST_FILE
    try:
        return str(json.loads(manifest_path.read_text(encoding="utf-8"))["files"][name])
    except (OSError, ValueError, KeyError, TypeError):
        raise ClassifierError(f"{manifest_path}: does not list {name}") from None


def _read_arrays(model_dir: Path, name: str, what: str) -> dict[str, Any]:
    """A version's array file, its bytes checked against the manifest as they are read, pickles refused."""
    from classifier.model.npz import ArrayFileError, read_npz

    path = Path(model_dir) / name
    try:
        return read_npz(path, listed_digest(model_dir, name))
    except ArrayFileError as error:
        if str(error) == "checksum does not match":
            raise ClassifierError(
                f"{path}: checksum does not match {MANIFEST_FILE}; the file is corrupt or changed"
            ) from None
        raise ClassifierError(f"{path}: {what} cannot be read ({_first_line(error)}); refused") from None
    except OSError as error:
        raise ClassifierError(f"{path}: {what} cannot be read ({_first_line(error)}); refused") from None


def read_tagger(model_dir: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
    """A verified version's tagging arrays, settings and metadata; ``None`` when it has none.

    The arrays are read with pickles refused: a file holding Python objects is an error, not code.
    Stored, aligned members (format 5) are read-only views of one buffer holding the file, whose
    SHA-256 is checked against the manifest's.
    """
    model_dir = Path(model_dir)
    meta = verify_version(model_dir, use=(TAGGER_ARRAYS, TAGGER_SETTINGS), defer=(TAGGER_ARRAYS,))
    if not (model_dir / TAGGER_ARRAYS).is_file():
        return None
    arrays = _read_arrays(model_dir, TAGGER_ARRAYS, "tagging arrays")
    try:
        settings = json.loads((model_dir / TAGGER_SETTINGS).read_text(encoding="utf-8"))
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise ClassifierError(f"{model_dir}: tagging arrays cannot be read ({_first_line(error)}); refused") from None
    return arrays, settings, meta


def has_dictionary(model_dir: Path) -> bool:
    """Does the version's manifest list jieba's dictionary (``jieba.npz``)? Its checksum is checked when it is read.

    Raises
    ------
    ClassifierError
        When the manifest lists it and the file is missing.
    """
    model_dir = Path(model_dir)
    try:
        files = json.loads((model_dir / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # a version without a valid manifest was refused before this is asked
    if DICTIONARY_FILE not in files:
        return False
    if not (model_dir / DICTIONARY_FILE).is_file():
        raise ClassifierError(f"{model_dir / DICTIONARY_FILE}: missing (listed in {MANIFEST_FILE})")
    return True


def read_dictionary(model_dir: Path) -> dict[str, Any]:
    """jieba's dictionary arrays of a version, checked against its manifest, read with pickles refused.

    Raises
    ------
    ClassifierError
        When the file is missing, changed, not in the manifest, or not arrays.
    """
    model_dir = Path(model_dir)
    verify_version(model_dir, use=(DICTIONARY_FILE,), defer=(DICTIONARY_FILE,))
    path = model_dir / DICTIONARY_FILE
    if not path.is_file():
        raise ClassifierError(f"{path}: missing")
    return _read_arrays(model_dir, DICTIONARY_FILE, "jieba's dictionary")


def load_model(model: Path | str | None = None, store: Path | None = None, trust_pickle: bool = False) -> LoadedModel:
    """Load and check a model's scikit-learn pipeline (for evaluation, retraining and inspection).

    Parameters
    ----------
    model : path, version name or None
        See :func:`resolve_model_dir`; ``None`` is the store's default.
    trust_pickle : bool
        Also load a model of an old format, whose file is a pickle (it could run code).

    Raises
    ------
    ClassifierError
        When the model is missing, not ours, changed, or holds a type outside
        :data:`TRUSTED_TYPES`. A different scikit-learn version only warns (on stderr).
    """
    model_dir = resolve_model_dir(model, store)
    meta = read_meta(model_dir)
    if is_legacy(meta) and trust_pickle:
        pipeline = _load_legacy(model_dir, meta)
    else:
        meta = verify_version(model_dir, use=(PIPELINE_FILE,))
        pipeline = _load_skops(model_dir / PIPELINE_FILE)
    _warn_on_other_sklearn(model_dir, meta)
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or not hasattr(pipeline[-1], "thresholds_"):
        raise ClassifierError(f"{model_dir}: not a fitted classifier pipeline")
    return LoadedModel(pipeline=pipeline, meta=meta, path=model_dir)


def _load_skops(path: Path) -> Any:
    import skops.io

    try:
        untrusted = set(skops.io.get_untrusted_types(file=path))
    except Exception as error:  # noqa: BLE001 - any failure to read the file's schema means the same
        raise ClassifierError(f"{path}: cannot be read ({_first_line(error)}); corrupt or not ours") from None
    foreign = sorted(untrusted - TRUSTED_TYPES)
    if foreign:
        raise ClassifierError(f"{path}: holds types this program does not trust ({', '.join(foreign)}); refused")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)  # sklearn's own version warning; ours follows
            return skops.io.load(path, trusted=sorted(untrusted))
    except Exception as error:  # noqa: BLE001 - any failure to construct means the same to the user
        raise ClassifierError(f"{path}: cannot be loaded ({_first_line(error)}); corrupt or not ours") from None


def _load_legacy(model_dir: Path, meta: dict[str, Any]) -> Any:
    """A format-1/2 joblib pickle, after its checksum: only ever called when the user trusts it."""
    import joblib

    path = model_dir / LEGACY_FILE
    if not path.is_file():
        raise ClassifierError(f"{model_dir}: model file {LEGACY_FILE} is missing")
    if sha256_file(path) != meta.get("model_sha256"):
        raise ClassifierError(f"{path}: checksum does not match {META_FILE}; the file is corrupt or changed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            return joblib.load(path)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means the same to the user
        raise ClassifierError(f"{path}: cannot be loaded ({type(error).__name__}); corrupt or not ours") from None


def _warn_on_other_sklearn(model_dir: Path, meta: dict[str, Any]) -> None:
    saved = meta.get("libraries", {}).get("scikit-learn")
    current = library_versions().get("scikit-learn")
    if saved and saved != current:
        warnings.warn(
            f"model {model_dir.name} was trained with scikit-learn {saved}, this is {current}; "
            "retrain if its scores look wrong",
            stacklevel=3,
        )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def list_models(store: Path | None = None) -> list[dict[str, Any]]:
    """Metadata of every version in the store, oldest first, with ``is_default`` set."""
    store = Path(store or models_dir())
    default = default_version(store)
    out = []
    versions = sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")) if store.is_dir() else []
    for path in versions:
        try:
            meta = read_meta(path)
        except ClassifierError:
            continue
        meta["is_default"] = path.name == default
        meta["path"] = str(path)
        out.append(meta)
    return out


def verify_all(store: Path | None = None) -> list[tuple[str, str | None]]:
    """Verify every version in the store: ``(version, problem or None)`` each, oldest first."""
    store = Path(store or models_dir())
    out: list[tuple[str, str | None]] = []
    versions = sorted(p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")) if store.is_dir() else []
    for path in versions:
        out.append((path.name, verify_loadable(path)))
    return out


def verify_loadable(model_dir: Path) -> str | None:
    """``None`` when a version verifies and its pipeline and arrays load safely, else the problem in one line."""
    try:
        verify_version(model_dir)
        _load_skops(Path(model_dir) / PIPELINE_FILE)
        read_tagger(model_dir)
        if has_dictionary(model_dir):
            read_dictionary(model_dir)
    except ClassifierError as error:
        return str(error)
    return None
