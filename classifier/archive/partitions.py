"""The inputs of an archive run: JSONL files (one partition each) and Parquet files (one partition per row group)."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.files import sha256_file
from classifier.reading.reader import _article_from_record, count_articles, read_jsonl

#: What an archive is made of; anything else in a directory is passed over, and refused when named.
ARCHIVE_SUFFIXES = (".jsonl", ".parquet")
#: The columns of a Parquet input the tagger reads (``text`` required, the others optional).
PARQUET_COLUMNS = ("id", "title", "text")


@dataclass(frozen=True)
class Partition:
    """One unit of work: a JSONL file, or one row group of a Parquet file.

    Attributes
    ----------
    path : str
        The input file, as every worker must see it (absolute).
    row_group : int or None
        The Parquet row group; ``None`` for a JSONL file.
    first_row : int
        For a row group, the number of rows in the file before it (row numbers in errors and default ids).
    """

    path: str
    row_group: int | None = None
    first_row: int = 0

    @property
    def kind(self) -> str:
        return "jsonl" if self.row_group is None else "parquet"

    def describe(self) -> str:
        return self.path if self.row_group is None else f"{self.path} (row group {self.row_group})"


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def expand_inputs(inputs: Iterable[str | Path], skip: Path | None = None) -> list[Path]:
    """The input files, in order: each argument a file, a directory (its ``.jsonl``/``.parquet`` files, sorted) or a glob.

    Hidden files and files starting with ``_`` (markers such as ``_SUCCESS``) are passed over in
    directories, as is everything under ``skip`` (the run's own output directory).

    Raises
    ------
    ClassifierError
        On a missing path, a glob matching nothing, a file of another kind, or no input at all.
    """
    skipped = Path(skip).resolve() if skip is not None else None

    def wanted(p: Path) -> bool:
        inside = skipped is not None and (p.resolve() == skipped or skipped in p.resolve().parents)
        return p.is_file() and p.suffix.lower() in ARCHIVE_SUFFIXES and not p.name.startswith((".", "_")) and not inside

    files: list[Path] = []
    for raw in inputs:
        text = str(raw)
        if not Path(text).exists() and _is_glob(text):
            matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            found = [m for m in matches if wanted(m) or (m.is_dir() and list(_walk(m, wanted)))]
            if not found:
                raise ClassifierError(f"{text}: matches no .jsonl or .parquet file")
            for match in found:
                files.extend(_walk(match, wanted) if match.is_dir() else [match])
            continue
        path = Path(text)
        if path.is_dir():
            below = list(_walk(path, wanted))
            if not below:
                raise ClassifierError(f"{path}: directory holds no .jsonl or .parquet file")
            files.extend(below)
        elif path.is_file():
            if path.suffix.lower() not in ARCHIVE_SUFFIXES:
                raise ClassifierError(f"{path}: an archive is made of .jsonl or .parquet files")
            files.append(path)
        else:
            raise ClassifierError(f"{path}: no such file or directory")
    if not files:
        raise ClassifierError("no input files")
    return [f.resolve() for f in files]


def _walk(directory: Path, wanted: object) -> Iterator[Path]:
    # The order `classifier tag DIR` reads a directory in (sorted paths), so the outputs line up.
    yield from sorted(p for p in directory.rglob("*") if wanted(p))  # type: ignore[operator]


def list_partitions(files: Iterable[Path]) -> list[Partition]:
    """One partition per JSONL file, one per row group of each Parquet file, in input order."""
    partitions: list[Partition] = []
    for path in files:
        if path.suffix.lower() == ".jsonl":
            partitions.append(Partition(str(path)))
            continue
        metadata = _parquet_file(path).metadata
        first = 0
        for group in range(metadata.num_row_groups):
            partitions.append(Partition(str(path), group, first))
            first += metadata.row_group(group).num_rows
    return partitions


def _parquet_file(path: Path | str):  # noqa: ANN202 - a pyarrow type, imported lazily
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (OSError, pyarrow.lib.ArrowException) as error:
        raise ClassifierError(f"{path}: not a Parquet file ({error})") from None


def describe_file(path: str) -> dict[str, object]:
    """Size, SHA-256 and article count (lines of a JSONL file, an estimate; rows of a Parquet file) of one input."""
    p = Path(path)
    if not p.is_file():
        import socket

        raise ClassifierError(
            f"{path}: not found on worker {socket.gethostname()}; inputs must be on storage every worker shares"
        )
    if p.suffix.lower() == ".jsonl":
        count = count_articles([p]) or 0
    else:
        count = _parquet_file(p).metadata.num_rows
    return {"path": path, "bytes": p.stat().st_size, "sha256": sha256_file(p), "articles": count}


def read_partition(partition: Partition) -> Iterator[Article]:
    """The articles of one partition, lazily; errors name the file and the line (JSONL) or row (Parquet)."""
    if partition.row_group is None:
        yield from read_jsonl(Path(partition.path))
        return
    path = Path(partition.path)
    parquet = _parquet_file(path)
    present = [c for c in PARQUET_COLUMNS if c in parquet.schema_arrow.names]
    if "text" not in present:
        raise ClassifierError(f'{path}: no "text" column')
    table = parquet.read_row_group(partition.row_group, columns=present)
    columns = {name: table.column(name).to_pylist() for name in present}
    for i in range(table.num_rows):
        row = partition.first_row + i + 1
        record = {name: values[i] for name, values in columns.items() if values[i] is not None}
        record.setdefault("text", "")
        yield _article_from_record(record, f"{path.stem}-R{row}", f"{path}: row {row}")
