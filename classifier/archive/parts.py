"""The output directory of an archive run: one part per input partition, ``_manifest.json``, ``_SUCCESS`` last.

A part is written to a hidden temporary name beside it and renamed when complete
(:func:`classifier.files.atomic_writer`), and the manifest records a part as done only with
its SHA-256: so a rerun after any crash takes as done exactly the parts whose file is there
and matches, and redoes the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError
from classifier.files import atomic_writer, sha256_file, write_atomic

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
FORMAT = "classifier-archive/1"
FORMATS = ("jsonl", "parquet")
#: Records per Parquet row group of an output part (and per write: a part is streamed, not held).
PARQUET_ROWS = 8192


def part_name(index: int, count: int, fmt: str) -> str:
    """``part-00000.jsonl``: numbered in input order, zero-padded so names sort as the parts do."""
    return f"part-{index:0{max(5, len(str(count - 1)))}d}.{fmt}"


def jsonl_line(record: dict[str, Any]) -> str:
    """A record as ``classifier tag --format jsonl`` writes it (compact, UTF-8 kept readable)."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def parquet_schema(topics: list[str], explain: bool):  # noqa: ANN201 - a pyarrow type, imported lazily
    """Output columns: ``scores`` a struct with one float per topic (in the model's order); ``explain`` as JSON text."""
    import pyarrow as pa

    fields = [
        ("id", pa.string()),
        ("title", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("scores", pa.struct([(t, pa.float64()) for t in topics])),
        ("keywords", pa.list_(pa.string())),
    ]
    if explain:
        fields.append(("explain", pa.string()))
    return pa.schema(fields)


def write_part(
    path: Path, batches: Iterable[list[dict[str, Any]]], fmt: str, topics: list[str], explain: bool
) -> dict[str, Any]:
    """Write one part atomically from batches of records; return its ``articles``, ``bytes`` and ``sha256``."""
    count = 0
    if fmt == "jsonl":
        with atomic_writer(path) as out:
            for batch in batches:
                out.write("".join(jsonl_line(r) for r in batch))
                count += len(batch)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = parquet_schema(topics, explain)
        with atomic_writer(path, binary=True) as out, pq.ParquetWriter(out, schema) as writer:
            pending: list[dict[str, Any]] = []

            def flush() -> None:
                rows = (
                    [dict(r, explain=json.dumps(r["explain"], ensure_ascii=False)) for r in pending]
                    if explain
                    else pending
                )
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                pending.clear()

            for batch in batches:
                pending.extend(batch)
                count += len(batch)
                if len(pending) >= PARQUET_ROWS:
                    flush()
            if pending or count == 0:
                flush()
    return {"articles": count, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def read_part(path: Path) -> list[dict[str, Any]]:
    """The records of one part, JSONL or Parquet, as the CLI's JSON records (Parquet's ``explain`` decoded)."""
    path = Path(path)
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines]
    import pyarrow.parquet as pq

    records = pq.read_table(path).to_pylist()
    for r in records:
        if "explain" in r:
            r["explain"] = json.loads(r["explain"])
    return records


def read_output(out_dir: Path) -> list[dict[str, Any]]:
    """All records of a finished output directory, parts in order."""
    manifest = read_manifest(Path(out_dir))
    if manifest is None or not (Path(out_dir) / SUCCESS).exists():
        raise ClassifierError(f"{out_dir}: not a finished archive output (no {SUCCESS})")
    return [r for part in manifest["parts"] for r in read_part(Path(out_dir) / part["name"])]


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The directory's manifest; ``None`` when it has none."""
    path = Path(out_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        raise ClassifierError(f"{path}: not a valid manifest; pass --overwrite to start again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ClassifierError(f"{path}: not an archive manifest of format {FORMAT}; pass --overwrite to start again")
    return manifest


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    done = [p for p in manifest["parts"] if p.get("done")]
    manifest["counts"] = {
        "parts": len(manifest["parts"]),
        "parts_done": len(done),
        "articles": sum(p["articles"] for p in done),
    }
    write_atomic(Path(out_dir) / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


def _ours(path: Path) -> bool:
    name = path.name
    return name in (MANIFEST, SUCCESS) or name.startswith(("part-", ".part-", f".{MANIFEST}.", f".{SUCCESS}."))


def clear_output(out_dir: Path) -> None:
    """Remove a previous run's parts, manifest and marker (and nothing else)."""
    for path in Path(out_dir).iterdir():
        if path.is_file() and _ours(path):
            path.unlink()


def remove_temporaries(out_dir: Path) -> None:
    """Remove parts left half-written by a killed worker (hidden temporary names; never taken as done)."""
    for path in Path(out_dir).glob(".part-*"):
        path.unlink(missing_ok=True)


def plan(
    out_dir: Path,
    fresh: dict[str, Any],
    overwrite: bool,
    checksums: Callable[[list[Path]], list[str]] = lambda paths: [sha256_file(p) for p in paths],
) -> dict[str, Any]:
    """The manifest to run with: ``fresh`` (no part done) or, to resume, the old one with the parts still good.

    ``fresh`` holds ``model``, ``options``, ``inputs`` and ``parts`` (names and partitions). An old
    manifest is resumed when all four agree; a done part stays done only if its file exists with
    the recorded SHA-256 (``checksums`` hashes them, e.g. on the cluster).

    Raises
    ------
    ClassifierError
        When the directory holds another run's output (another model, options or inputs) or
        files that are not an archive output, and ``overwrite`` is not set.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ClassifierError(f"{out_dir}: not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    if overwrite:
        clear_output(out_dir)
        return fresh
    old = read_manifest(out_dir)
    if old is None:
        if any(_ours(p) for p in out_dir.iterdir()):
            raise ClassifierError(f"{out_dir}: holds parts but no {MANIFEST}; pass --overwrite to start again")
        return fresh
    for key, what in (("model", "model"), ("options", "options"), ("inputs", "inputs"), ("parts", "partitions")):
        if _identity(old.get(key), key) != _identity(fresh[key], key):
            hint = _difference(old.get(key), fresh[key], key)
            raise ClassifierError(
                f"{out_dir}: written with other {what} ({hint}); pass --overwrite to start again, "
                "or choose another --output"
            )
    candidates = [p for p in old["parts"] if p.get("done") and (out_dir / p["name"]).is_file()]
    sums = checksums([out_dir / p["name"] for p in candidates]) if candidates else []
    good = {p["name"] for p, digest in zip(candidates, sums, strict=True) if digest == p.get("sha256")}
    if len(good) < len(old["parts"]):
        (out_dir / SUCCESS).unlink(missing_ok=True)
    for p in old["parts"]:
        if p["name"] not in good:
            for key in ("done", "articles", "bytes", "sha256"):
                p.pop(key, None)
    return old


def _difference(old: Any, new: Any, key: str) -> str:
    """Say what changed, in a few words: the model versions, or the first input that differs."""
    if key == "model" and isinstance(old, dict):
        return f"was {old.get('version')}, now {new['version']}"
    if key == "inputs" and isinstance(old, list):
        for before, now in zip(old, new, strict=False):
            if before != now:
                what = "another file" if before.get("path") != now["path"] else "changed since"
                return f"{now['path']}: {what}"
        return f"{len(old)} inputs then, {len(new)} now"
    return "changed"


def _identity(value: Any, key: str) -> Any:
    """What must agree for a resume: for parts, the partition each name stands for (not the progress)."""
    if key == "model" and isinstance(value, dict):
        return value.get("checksum")
    if key == "parts" and isinstance(value, list):
        return [(p.get("name"), p.get("input"), p.get("row_group")) for p in value]
    return value
