"""Brute-force PDQ search: the definition of a correct answer, and the fallback for tiny sets.

Every other index is tested against this one.
"""

from __future__ import annotations

from os import PathLike

import numpy as np

from bastion.index.base import PDQ_BYTES, Hits, has_duplicates


class LinearPdqIndex:
    def __init__(self) -> None:
        self._ids = np.empty(0, np.int64)
        self._words = np.empty((0, 4), np.uint64)

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES)
        if ids.shape[0] != codes.shape[0]:
            raise ValueError("ids and codes differ in length")
        if has_duplicates(ids) or np.isin(ids, self._ids).any():
            raise ValueError("ids must be unique")
        self._ids = np.concatenate([self._ids, ids])
        self._words = np.concatenate([self._words, codes.view(">u8").astype(np.uint64)])

    def remove(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        self._ids, self._words = self._ids[keep], self._words[keep]

    def search(self, queries: np.ndarray, radius: int) -> Hits:
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, PDQ_BYTES)
        qwords = queries.view(">u8").astype(np.uint64)
        found_q, found_id, found_d = [], [], []
        for qi, q in enumerate(qwords):
            distance = np.bitwise_count(self._words ^ q).sum(axis=1, dtype=np.int32)
            hit = np.nonzero(distance <= radius)[0]
            found_q.append(np.full(hit.shape[0], qi, np.int64))
            found_id.append(self._ids[hit])
            found_d.append(distance[hit])
        if not found_q:
            return Hits.empty()
        return Hits.sorted_from(
            np.concatenate(found_q), np.concatenate(found_id), np.concatenate(found_d)
        )

    def save(self, path: str | PathLike[str]) -> None:
        np.savez(path, ids=self._ids, words=self._words)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> LinearPdqIndex:
        index = cls()
        with np.load(path) as data:
            index._ids, index._words = data["ids"], data["words"]
        return index
