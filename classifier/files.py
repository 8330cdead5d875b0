"""Writing files atomically and checksumming them: the one place every writer and verifier goes through."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    """The process's umask (read by setting it and back: there is no other way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: Path, directory: bool = False) -> None:
    """Give a file made by ``mkstemp``/``mkdtemp`` (always 0600/0700) the mode ``open()``/``mkdir()`` would have."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_writer(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """Write ``path`` as a stream (UTF-8 text, or bytes), atomically: a temporary file beside it, renamed at the end.

    Readers see the old file or the complete new one, never a part; on any error (or Ctrl-C,
    or SIGTERM, which the CLI turns into an exception) the temporary file is removed and an
    existing ``path`` is left as it was. The file gets the mode ``open()`` would give it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        apply_umask(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never a half one."""
    with atomic_writer(path) as out:
        out.write(text)
