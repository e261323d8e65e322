"""The on-disk form of an index: named numpy arrays behind a checked header, memory-mapped.

    bytes 0-7    magic b"BASTIDX\\0"
    bytes 8-11   format version (little-endian uint32)
    bytes 12-15  header length
    bytes 16-19  CRC-32 of the header
    bytes 20-23  reserved (zero)
    header       UTF-8 JSON: kind, meta, file size, and per array its dtype, shape, offset,
                 length and CRC-32
    arrays       raw little-endian data, each starting on a 64-byte boundary

Opening maps the arrays instead of reading them, so a 10-million-code index opens in a fraction
of a second and pages come in as searches touch them. Saving writes a temporary file beside the
target, syncs it and renames it over the target, so a crash leaves the old file or the new one,
never a mixture.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from os import PathLike
from pathlib import Path

import numpy as np

MAGIC = b"BASTIDX\x00"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sIII4x")
_ALIGN = 64
_DTYPES = {"<i8", "<u8", "<u4", "<u2", "|u1"}
_CHUNK = 1 << 24


class IndexFileError(Exception):
    """An index file that cannot be used: missing, truncated, damaged, or of another kind."""

    def __init__(self, path: str | PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"index file {self.path}: {reason} (rebuild the index from the store; "
            "an index file holds nothing that the store does not)"
        )


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def _crc(array: np.ndarray) -> int:
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    crc = 0
    for start in range(0, flat.shape[0], _CHUNK):
        crc = zlib.crc32(flat[start : start + _CHUNK], crc)
    return crc


def write_arrays(
    path: str | PathLike[str], kind: str, meta: dict, arrays: dict[str, np.ndarray]
) -> None:
    """Write `arrays` and `meta` to `path` atomically (temporary file, fsync, rename)."""
    target = Path(path)
    entries = []
    prepared = {}
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.byteorder == ">" or array.dtype.str not in _DTYPES:
            array = array.astype(array.dtype.newbyteorder("<"))
        if array.dtype.str not in _DTYPES:
            raise TypeError(f"array {name}: unsupported dtype {array.dtype}")
        prepared[name] = array
        entries.append(
            {
                "name": name,
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "nbytes": int(array.nbytes),
                "crc32": _crc(array),
            }
        )

    def header_bytes(offset0: int) -> tuple[bytes, int]:
        offset = offset0
        for entry in entries:
            entry["offset"] = offset
            offset = _aligned(offset + entry["nbytes"])
        header = {"kind": kind, "meta": meta, "file_size": offset, "arrays": entries}
        return json.dumps(header, sort_keys=True).encode(), offset

    # The header's length moves the first array's offset; two passes settle it.
    raw, _ = header_bytes(0)
    first = _aligned(_PREFIX.size + len(raw) + 256)
    raw, size = header_bytes(first)
    if _PREFIX.size + len(raw) > first:
        raise AssertionError("index header outgrew its reserved space")

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(raw), zlib.crc32(raw)))
            f.write(raw)
            for entry in entries:
                f.seek(entry["offset"])
                flat = prepared[entry["name"]].reshape(-1).view(np.uint8)
                for start in range(0, flat.shape[0], _CHUNK):
                    f.write(flat[start : start + _CHUNK])
            f.truncate(size)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_arrays(
    path: str | PathLike[str], kind: str, verify: bool = True
) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of an index file; arrays are read-only memory maps.

    Raises IndexFileError naming the file and the problem. `verify` also checks every array's
    CRC-32 (a pass over the file: about 0.1 s per 400 MB once it is in the page cache).
    """
    source = Path(path)
    try:
        size = source.stat().st_size
        with open(source, "rb") as f:
            prefix = f.read(_PREFIX.size)
            if len(prefix) < _PREFIX.size:
                raise IndexFileError(path, "too short to be an index file")
            magic, version, header_len, header_crc = _PREFIX.unpack(prefix)
            if magic != MAGIC:
                raise IndexFileError(path, "not a Bastion index file (wrong magic bytes)")
            if version != FORMAT_VERSION:
                raise IndexFileError(
                    path,
                    f"format version {version}, this Bastion reads version {FORMAT_VERSION}",
                )
            if header_len > size - _PREFIX.size:
                raise IndexFileError(path, "truncated (header runs past the end of the file)")
            raw = f.read(header_len)
    except FileNotFoundError:
        raise IndexFileError(path, "no such file") from None
    except IsADirectoryError:
        raise IndexFileError(path, "is a directory") from None
    if zlib.crc32(raw) != header_crc:
        raise IndexFileError(path, "damaged header (checksum mismatch)")
    try:
        header = json.loads(raw)
        entries = header["arrays"]
        file_kind, meta, file_size = header["kind"], header["meta"], header["file_size"]
    except (ValueError, KeyError, TypeError):
        raise IndexFileError(path, "unreadable header") from None
    if file_kind != kind:
        raise IndexFileError(path, f"holds a {file_kind!r} index, expected {kind!r}")
    if file_size != size:
        raise IndexFileError(path, f"truncated or extended: {size} bytes, header says {file_size}")

    arrays = {}
    for entry in entries:
        try:
            name, dtype, shape = entry["name"], np.dtype(entry["dtype"]), tuple(entry["shape"])
            offset, nbytes, crc = int(entry["offset"]), int(entry["nbytes"]), entry["crc32"]
        except (KeyError, TypeError, ValueError):
            raise IndexFileError(path, "unreadable array table in header") from None
        if entry["dtype"] not in _DTYPES or any(not isinstance(d, int) or d < 0 for d in shape):
            raise IndexFileError(path, f"array {name}: bad dtype or shape")
        if nbytes != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise IndexFileError(path, f"array {name}: length does not match its shape")
        if offset % _ALIGN or offset < _PREFIX.size + header_len or offset + nbytes > size:
            raise IndexFileError(path, f"array {name}: lies outside the file")
        if nbytes == 0:
            array = np.zeros(shape, dtype)
        else:
            mapped = np.memmap(source, dtype=dtype, mode="r", offset=offset, shape=shape)
            array = mapped.view(np.ndarray)  # a plain array for numba; it keeps the map alive
        if verify and _crc(array) != crc:
            raise IndexFileError(path, f"array {name}: damaged (checksum mismatch)")
        arrays[name] = array
    return meta, arrays
