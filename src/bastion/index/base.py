"""What every index answers, and how hashes travel into it.

Indexes hold no bank or category knowledge: they map entry ids (the store's primary keys) to
codes and answer "which ids lie within distance r of this query". Matching turns ids back into
bank entries.

PDQ codes travel as uint8 arrays of shape (n, 32): the bytes of the hex form, most significant
first (`bytes.fromhex(hex)`), so the Hamming distance is the popcount of the XOR of two rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from typing import Protocol

import numpy as np

PDQ_BYTES = 32


def pdq_codes(hexes: Iterable[str]) -> np.ndarray:
    """(n, 32) uint8 codes from 64-character hex PDQ hashes."""
    joined = "".join(hexes)
    if len(joined) % 64:
        raise ValueError("PDQ hex strings must be 64 characters each")
    return np.frombuffer(bytes.fromhex(joined), dtype=np.uint8).reshape(-1, PDQ_BYTES).copy()


def has_duplicates(ids: np.ndarray) -> bool:
    # Sorting, not np.unique: numpy 2's hash-based unique takes 25 s on 10 million int64s.
    ordered = np.sort(ids)
    return bool((ordered[1:] == ordered[:-1]).any())


def pdq_hex(code: np.ndarray) -> str:
    return bytes(np.asarray(code, dtype=np.uint8)).hex()


@dataclass(frozen=True, slots=True)
class Hits:
    """All (query, id) pairs within the radius, sorted by query, then distance, then id."""

    query: np.ndarray  # int64 index into the queries
    ids: np.ndarray  # int64 entry ids
    distance: np.ndarray  # int32 Hamming distance

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))

    @classmethod
    def sorted_from(cls, query: np.ndarray, ids: np.ndarray, distance: np.ndarray) -> Hits:
        order = np.lexsort((ids, distance, query))
        return cls(
            query.astype(np.int64)[order],
            ids.astype(np.int64)[order],
            distance.astype(np.int32)[order],
        )

    def as_tuples(self) -> list[tuple[int, int, int]]:
        return list(
            zip(self.query.tolist(), self.ids.tolist(), self.distance.tolist(), strict=True)
        )


@dataclass(frozen=True, slots=True)
class VariantHits:
    """Hits of items searched with several codes each (e.g. the 8 dihedral variants of a picture).

    One row per (item, id): the smallest distance over the item's codes, and which of its codes
    (`variant`, an index into that item's codes; the lowest on a tie) came that close. Sorted by
    item, then distance, then id.
    """

    query: np.ndarray  # int64 index of the item
    ids: np.ndarray  # int64 entry ids
    distance: np.ndarray  # int32 Hamming distance
    variant: np.ndarray  # int8 index of the matching code within the item

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def as_tuples(self) -> list[tuple[int, int, int, int]]:
        return list(
            zip(
                self.query.tolist(),
                self.ids.tolist(),
                self.distance.tolist(),
                self.variant.tolist(),
                strict=True,
            )
        )


class PdqIndex(Protocol):
    """Exact radius search over PDQ codes: every id within `radius` is returned, no other.

    `add` and `remove` are visible to the very next `search`; ids are unique (adding a present
    id is a ValueError; removing an absent id is ignored).
    """

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, radius: int) -> Hits: ...

    def __len__(self) -> int: ...

    def save(self, path: str | PathLike[str]) -> None: ...
