"""Exact digests of a file's bytes: md5, sha1 and sha256.

Hotline lists (IWF, NCMEC, CAID, Project VIC) all carry at least MD5; many carry SHA-1 and
SHA-256 as well. Two files match only if their bytes are identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, ClassVar

from bastion.signals.base import SignalParseError, SignalType, normalise_hex

CHUNK_BYTES = 1 << 20


class _DigestSignal(SignalType):
    hex_length: ClassVar[int]

    def parse(self, text: str) -> str:
        return normalise_hex(self.name, text, self.hex_length)

    def distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def digest(self, data: bytes) -> str:
        return hashlib.new(self.name, data).hexdigest()


class MD5(_DigestSignal):
    name = "md5"
    description = "MD5 of the file's exact bytes (128 bits)"
    hex_length = 32


class SHA1(_DigestSignal):
    name = "sha1"
    description = "SHA-1 of the file's exact bytes (160 bits)"
    hex_length = 40


class SHA256(_DigestSignal):
    name = "sha256"
    description = "SHA-256 of the file's exact bytes (256 bits)"
    hex_length = 64


@dataclass(frozen=True, slots=True)
class Digests:
    """The three exact digests of one file, and its size in bytes."""

    md5: str
    sha1: str
    sha256: str
    size: int


class _DigestAccumulator:
    def __init__(self) -> None:
        self._hashes = [hashlib.md5(), hashlib.sha1(), hashlib.sha256()]
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        self.size += len(chunk)
        for h in self._hashes:
            h.update(chunk)

    def result(self) -> Digests:
        md5, sha1, sha256 = (h.hexdigest() for h in self._hashes)
        return Digests(md5=md5, sha1=sha1, sha256=sha256, size=self.size)


def digests_of_bytes(data: bytes | memoryview) -> Digests:
    acc = _DigestAccumulator()
    acc.update(data)
    return acc.result()


def digests_of_stream(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Digests:
    """Digest a stream chunk by chunk: memory stays at one chunk whatever the size."""
    acc = _DigestAccumulator()
    while chunk := stream.read(chunk_bytes):
        acc.update(chunk)
    return acc.result()


def digests_of_chunks(chunks: Iterable[bytes]) -> Digests:
    acc = _DigestAccumulator()
    for chunk in chunks:
        acc.update(chunk)
    return acc.result()


__all__ = [
    "MD5",
    "SHA1",
    "SHA256",
    "Digests",
    "SignalParseError",
    "digests_of_bytes",
    "digests_of_chunks",
    "digests_of_stream",
]
