"""Array files: ``.npz`` archives written with every member 64-byte aligned, read back as checked, zero-copy views.

:func:`write_npz` writes a plain, uncompressed ``.npz`` (``numpy.load`` reads it as any other)
whose members' data start at a multiple of 64 bytes in the file (zip "extra field" padding, the
way Android's zipalign aligns). :func:`read_npz` maps the file, checks the SHA-256 of the mapped
bytes against the digest the caller expects (the manifest's), and returns each member as a
read-only array over those same bytes: no copy, no zip CRC pass, no second read, so the arrays
used are exactly the bytes whose digest was checked (a file replaced after the check is not
seen: the mapping keeps the inode it opened). Members that are compressed or not aligned (files
written by ``numpy.savez``) are copied out. Arrays of Python objects are refused: no pickle.

The mapping stays valid while any array over it lives; the model store never writes a version's
files in place (a version is written under a temporary name and renamed), so the bytes under a
mapping do not change.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import struct
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

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
    """The members of an ``.npz`` file whose SHA-256 is ``digest``, as arrays over the file's mapped bytes.

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
        Read-only views of the file for aligned, stored members; copies for the others.

    Raises
    ------
    ArrayFileError
        When the digest differs, the file is not a zip of ``.npy`` members, or a member holds
        Python objects. A missing file raises ``OSError``.
    """
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        mapped: mmap.mmap | bytes = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    if digest is not None and hashlib.sha256(mapped).hexdigest() != digest:
        raise ArrayFileError("checksum does not match")
    try:
        archive = zipfile.ZipFile(io.BytesIO(mapped) if isinstance(mapped, bytes) else mapped)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ArrayFileError(f"not an array archive ({error})") from None
    wanted = None if names is None else {f"{n}.npy" for n in names}
    out: dict[str, np.ndarray] = {}
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy") or (wanted is not None and info.filename not in wanted):
                continue
            try:
                out[info.filename[: -len(".npy")]] = _member(info, mapped)
            except (ValueError, OSError, struct.error, zipfile.BadZipFile, EOFError) as error:
                raise ArrayFileError(f"{info.filename}: {error}") from None
    return out


def _member(info: zipfile.ZipInfo, mapped: mmap.mmap | bytes) -> np.ndarray:
    if info.compress_type != zipfile.ZIP_STORED:  # not ours: read through zipfile, from a copy of the checked bytes
        with zipfile.ZipFile(io.BytesIO(bytes(mapped))) as copy, copy.open(info.filename) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    fields = _LOCAL_HEADER.unpack(mapped[info.header_offset : info.header_offset + _LOCAL_HEADER.size])
    if fields[0] != b"PK\x03\x04":
        raise ValueError("bad local header")
    start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
    end = start + info.file_size
    if end > len(mapped):
        raise ValueError("member runs past the end of the file")
    stream = io.BytesIO(mapped[start : min(end, start + (1 << 16))])
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
    array = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
    array = array.reshape(shape, order="F" if fortran else "C")
    return array if array.flags.aligned else array.copy()
