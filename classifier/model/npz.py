"""Array files: ``.npz`` archives written with every member 64-byte aligned, read back checked, as views of one buffer.

:func:`write_npz` writes a plain, uncompressed ``.npz`` (``numpy.load`` reads it as any other)
whose members' data start at a multiple of 64 bytes in the file (zip "extra field" padding, the
way Android's zipalign aligns). :func:`read_npz` reads the file once into one 64-byte-aligned,
read-only buffer, checks the SHA-256 of that buffer against the digest the caller expects (the
manifest's), and returns each member as an array over the same bytes: no further copy, no zip
CRC pass, no second read, so the arrays used are exactly the bytes whose digest was checked (a
file changed or swapped after the read is not seen). Members that are compressed or not aligned
(files written by ``numpy.savez``) are copied out. Arrays of Python objects are refused: no pickle.

The file is read, not mapped: mapping it saves about 0.01 s of a cold start, but a file written
in place later (``cp`` over it) would then change a running process's model unchecked, or kill it
with SIGBUS when truncated.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

#: Data of every member starts at a multiple of this many bytes (NumPy's own header alignment).
ALIGN = 64
#: The zip extra-field id zipalign uses for padding (readers skip extra fields they do not know).
_PADDING_ID = 0xD935
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader: 30 bytes


class ArrayFileError(ValueError):
    """An array file that does not match its digest or cannot be read as arrays."""


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` whose members' data are 64-byte aligned in the file.

    Parameters
    ----------
    path : Path
        The file to write (replaced when it exists; the model store writes into a temporary
        directory that is renamed when complete).
    arrays : mapping of str to ndarray
        Member names (without ``.npy``) to arrays; no object arrays.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            array = np.asanyarray(value)
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            data = buffer.getvalue()
            header = _npy_header_length(data)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix: the mode below is kept
            info.external_attr = 0o644 << 16
            filename = info.filename.encode("utf-8")
            start = archive.fp.tell() + _LOCAL_HEADER.size + len(filename) + 4  # + the padding field's own header
            pad = (-(start + header)) % ALIGN
            info.extra = struct.pack("<HH", _PADDING_ID, pad) + bytes(pad)
            archive.writestr(info, data)


def _npy_header_length(data: bytes) -> int:
    stream = io.BytesIO(data[: 1 << 16])
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        np.lib.format.read_array_header_1_0(stream)
    else:
        np.lib.format.read_array_header_2_0(stream)
    return stream.tell()


def read_npz(path: Path, digest: str | None, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The members of an ``.npz`` file whose SHA-256 is ``digest``, as arrays over one read-only buffer of its bytes.

    Parameters
    ----------
    path : Path
        The file.
    digest : str or None
        The SHA-256 (64 hex digits) the file must have; ``None``: not checked (tests only).
    names : iterable of str or None
        Only these members (all when ``None``).

    Returns
    -------
    dict of str to ndarray
        Read-only views of the one buffer for aligned, stored members; copies for the others.

    Raises
    ------
    ArrayFileError
        When the digest differs, the file is not a zip of ``.npy`` members, or a member holds
        Python objects. A missing file raises ``OSError``.
    """
    with open(path, "rb", buffering=0) as stream:
        size = os.fstat(stream.fileno()).st_size
        raw = np.empty(size + ALIGN, dtype=np.uint8)
        skip = (-raw.ctypes.data) % ALIGN
        data = raw[skip : skip + size]
        view, done = memoryview(data), 0
        while done < size and (count := stream.readinto(view[done:])):
            done += count
    if done != size:
        raise ArrayFileError("changed while it was read")
    data.flags.writeable = False
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise ArrayFileError("checksum does not match")
    buffer = memoryview(data)
    try:
        archive = zipfile.ZipFile(_Reader(buffer))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ArrayFileError(f"not an array archive ({error})") from None
    wanted = None if names is None else {f"{n}.npy" for n in names}
    out: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy") or (wanted is not None and info.filename not in wanted):
                continue
            try:
                out[info.filename[: -len(".npy")]] = _member(info, buffer)
            except (ValueError, OSError, struct.error, zipfile.BadZipFile, EOFError) as error:
                raise ArrayFileError(f"{info.filename}: {error}") from None
    return out


class _Reader(io.RawIOBase):
    """A read-only, seekable file over a buffer, for :class:`zipfile.ZipFile` (``io.BytesIO`` would copy it)."""

    def __init__(self, buffer: memoryview) -> None:
        self._buffer, self._at = buffer, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: len(self._buffer)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def readinto(self, target: Any) -> int:
        chunk = self._buffer[self._at : self._at + len(target)]
        target[: len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)


def _member(info: zipfile.ZipInfo, buffer: memoryview) -> np.ndarray:
    if info.compress_type != zipfile.ZIP_STORED:  # not ours: read through zipfile, from a copy of the checked bytes
        with zipfile.ZipFile(io.BytesIO(buffer.tobytes())) as copy, copy.open(info.filename) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    fields = _LOCAL_HEADER.unpack(buffer[info.header_offset : info.header_offset + _LOCAL_HEADER.size].tobytes())
    if fields[0] != b"PK\x03\x04":
        raise ValueError("bad local header")
    start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
    end = start + info.file_size
    if end > len(buffer):
        raise ValueError("member runs past the end of the file")
    stream = io.BytesIO(buffer[start : min(end, start + (1 << 16))].tobytes())
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"npy version {version}")
    if dtype.hasobject:
        raise ValueError("holds Python objects; refused")
    count = int(np.prod(shape, dtype=np.int64))
    offset = start + stream.tell()
    if offset + count * dtype.itemsize != end:
        raise ValueError("size does not match its header")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    array = array.reshape(shape, order="F" if fortran else "C")
    return array if array.flags.aligned else array.copy()
