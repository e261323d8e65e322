"""Exact-digest index (md5, sha1, sha256): digest -> entry ids in constant time.

Rows hold (digest, id); many rows may share a digest (the same file in several banks). An open
addressing table of uint32 row numbers, keyed by the digest's first 8 bytes (digests are
uniform, so those bytes are already a good hash) and probed linearly, finds a digest's rows;
each is verified against the stored full digest. The table is kept at most half full, so a
lookup reads about two slots. Removing marks a tombstone; a rehash (on growth or `compact()`)
drops removed rows and sorts the rest by id, which makes id membership a binary search.

Memory for n rows of d-byte digests: n * (d + 9) bytes plus 8-16 bytes of table per row,
e.g. about 540 MB for 10 million sha256 rows. No Python object per entry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from os import PathLike

import numba as nb
import numpy as np

from bastion.index.base import has_duplicates
from bastion.index.container import IndexFileError, read_arrays, write_arrays
from bastion.index.hamming import collect

KIND = "bastion-exact"
DIGEST_BYTES = {"md5": 16, "sha1": 20, "sha256": 32}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIN_SLOTS = 1 << 10


@nb.njit(cache=True, nogil=True, inline="always")
def _slot(key, shift):
    # Fibonacci hashing: the multiply spreads any bias of the key's low bits into the top bits.
    return np.int64((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(shift))


@nb.njit(cache=True, nogil=True)
def _insert(slots, keys, first_row, shift):
    mask = slots.shape[0] - 1
    for i in range(keys.shape[0]):
        s = _slot(keys[i], shift)
        while slots[s] != 0:
            s = (s + 1) & mask
        slots[s] = np.uint32(first_row + i + 1)


@nb.njit(cache=True, nogil=True)
def _lookup(slots, shift, qkeys, qdigests, digests, ids, dead, n_rows, out_q, out_id, out_x):
    mask = slots.shape[0] - 1
    width = digests.shape[1]
    count = 0
    for qi in range(qkeys.shape[0]):
        s = _slot(qkeys[qi], shift)
        for _ in range(slots.shape[0]):
            entry = np.int64(slots[s])
            if entry == 0:
                break
            row = entry - 1
            if row < n_rows and dead[row] == 0:
                same = True
                for b in range(width):
                    if digests[row, b] != qdigests[qi, b]:
                        same = False
                        break
                if same:
                    if count < out_q.shape[0]:
                        out_q[count] = qi
                        out_id[count] = ids[row]
                    count += 1
            s = (s + 1) & mask
    return count


@dataclass(frozen=True, slots=True)
class ExactHits:
    """(query, id) pairs of equal digests, sorted by query then id."""

    query: np.ndarray  # int64 index into the queries
    ids: np.ndarray  # int64 entry ids

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def as_tuples(self) -> list[tuple[int, int]]:
        return list(zip(self.query.tolist(), self.ids.tolist(), strict=True))


@dataclass(frozen=True, slots=True)
class _State:
    digests: np.ndarray  # uint8 (capacity, width)
    ids: np.ndarray  # int64 (capacity,)
    dead: np.ndarray  # uint8 (capacity,)
    slots: np.ndarray  # uint32 (2^k,) row + 1, 0 empty
    rows: int  # rows in use
    sorted_rows: int  # rows[:sorted_rows] are sorted by id


def digests_from_hex(hexes, width: int) -> np.ndarray:
    """(n, width) uint8 digests from hex strings of 2 * width characters each."""
    hexes = list(hexes)
    joined = "".join(hexes)
    if len(joined) != 2 * width * len(hexes):
        raise ValueError(f"digests must be {2 * width} hex characters each")
    return np.frombuffer(bytes.fromhex(joined), np.uint8).reshape(-1, width).copy()


def _first_words(digests: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(digests[:, :8]).view("<u8").reshape(-1).astype(np.uint64)


def _slots_for(rows: int) -> int:
    return max(_MIN_SLOTS, 1 << int(2 * max(rows, 1) - 1).bit_length())


class ExactIndex:
    """Digest -> entry ids for one digest width (16 md5, 20 sha1, 32 sha256 bytes).

    Ids are unique across the index (adding a present id is a ValueError; removing an absent
    one is ignored); a digest may map to many ids. Changes are visible to the next lookup.
    """

    def __init__(self, width: int) -> None:
        if not 8 <= width <= 64:
            raise ValueError(f"digest width must be 8 to 64 bytes, got {width}")
        self.width = width
        self._lock = threading.Lock()
        self._state = self._empty_state(width, 0)
        self._live = 0

    @classmethod
    def for_signal(cls, signal: str) -> ExactIndex:
        try:
            return cls(DIGEST_BYTES[signal])
        except KeyError:
            raise ValueError(
                f"no exact index for signal {signal!r}; known: {', '.join(DIGEST_BYTES)}"
            ) from None

    @staticmethod
    def _empty_state(width: int, capacity: int) -> _State:
        return _State(
            np.zeros((capacity, width), np.uint8),
            np.zeros(capacity, np.int64),
            np.zeros(capacity, np.uint8),
            np.zeros(_slots_for(capacity), np.uint32),
            0,
            0,
        )

    def __len__(self) -> int:
        return self._live

    def _check_digests(self, digests: np.ndarray) -> np.ndarray:
        digests = np.asarray(digests)
        if digests.dtype != np.uint8 or digests.ndim != 2 or digests.shape[1] != self.width:
            raise ValueError(
                f"digests must be uint8 of shape (n, {self.width}) "
                "(use bastion.index.exact.digests_from_hex to convert hex)"
            )
        return np.ascontiguousarray(digests)

    def lookup(self, digests: np.ndarray) -> ExactHits:
        """Every (query, id) whose stored digest equals the query's."""
        digests = self._check_digests(digests)
        st = self._state
        shift = 64 - (st.slots.shape[0].bit_length() - 1)
        q, ids, _ = collect(
            _lookup,
            st.slots,
            shift,
            _first_words(digests),
            digests,
            st.digests,
            st.ids,
            st.dead,
            st.rows,
            capacity=2 * digests.shape[0] + 16,
        )
        order = np.lexsort((ids, q))
        return ExactHits(q[order], ids[order])

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """Boolean array: which of `ids` are in the index."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        return self._rows_of(self._state, ids)[1]

    @staticmethod
    def _rows_of(st: _State, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Live rows holding `ids`, and which ids were found."""
        found = np.zeros(ids.shape[0], bool)
        head = st.ids[: st.sorted_rows]
        pos = np.minimum(np.searchsorted(head, ids), max(head.shape[0] - 1, 0))
        if head.shape[0]:
            found = (head[pos] == ids) & (st.dead[pos] == 0)
        rows = [pos[found]]
        tail = st.ids[st.sorted_rows : st.rows]
        in_tail = np.nonzero(np.isin(tail, ids) & (st.dead[st.sorted_rows : st.rows] == 0))[0]
        rows.append(in_tail + st.sorted_rows)
        found |= np.isin(ids, tail[in_tail])
        return np.concatenate(rows), found

    def add(self, ids: np.ndarray, digests: np.ndarray) -> None:
        """Add (id, digest) rows. Raises ValueError if an id is already present."""
        digests = self._check_digests(digests)
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.shape[0] != digests.shape[0]:
            raise ValueError("ids and digests differ in length")
        ids = ids.astype(np.int64)
        if has_duplicates(ids):
            raise ValueError("ids must be unique within one add")
        if not ids.shape[0]:
            return
        with self._lock:
            st = self._state
            present = self._rows_of(st, ids)[1]
            if present.any():
                shown = ", ".join(str(i) for i in ids[present][:5].tolist())
                raise ValueError(f"ids already in the index: {shown} (remove them first)")
            k = ids.shape[0]
            if (
                2 * (st.rows + k) > st.slots.shape[0]
                or st.rows + k > st.ids.shape[0]
                or not st.ids.flags.writeable
            ):
                st = self._rehashed(st, st.rows + k)
            start = st.rows
            st.digests[start : start + k] = digests
            st.ids[start : start + k] = ids
            st.dead[start : start + k] = 0
            shift = 64 - (st.slots.shape[0].bit_length() - 1)
            _insert(st.slots, _first_words(digests), start, shift)
            self._state = _State(st.digests, st.ids, st.dead, st.slots, start + k, st.sorted_rows)
            self._live += k

    def remove(self, ids: np.ndarray) -> None:
        """Remove rows by id; absent ids are ignored."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self._lock:
            st = self._state
            rows = np.unique(self._rows_of(st, ids)[0])
            if not rows.shape[0]:
                return
            if not st.dead.flags.writeable:
                st = self._rehashed(st, st.rows)
                rows = np.unique(self._rows_of(st, ids)[0])
                self._state = st
            st.dead[rows] = 1
            self._live -= rows.shape[0]

    def compact(self) -> None:
        """Drop removed rows and rebuild the table (readers keep the old one meanwhile)."""
        with self._lock:
            self._state = self._rehashed(self._state, self._live)

    def _rehashed(self, st: _State, rows_needed: int) -> _State:
        """A fresh, writable state: live rows sorted by id, room for `rows_needed` rows."""
        live = np.nonzero(st.dead[: st.rows] == 0)[0]
        live = live[np.argsort(st.ids[live], kind="stable")]
        capacity = max(rows_needed, 2 * live.shape[0], 16)
        new = self._empty_state(self.width, capacity)
        n = live.shape[0]
        new.digests[:n] = st.digests[live]
        new.ids[:n] = st.ids[live]
        shift = 64 - (new.slots.shape[0].bit_length() - 1)
        _insert(new.slots, _first_words(new.digests[:n]), 0, shift)
        return _State(new.digests, new.ids, new.dead, new.slots, n, n)

    def save(self, path: str | PathLike[str]) -> None:
        """Write the index to `path` atomically; `ExactIndex.open(path)` maps it back."""
        st = self._state
        meta = {"width": self.width, "rows": st.rows, "sorted_rows": st.sorted_rows}
        write_arrays(
            path,
            KIND,
            meta,
            {
                "digests": st.digests[: st.rows],
                "ids": st.ids[: st.rows],
                "dead": st.dead[: st.rows],
                "slots": st.slots,
            },
        )

    @classmethod
    def open(cls, path: str | PathLike[str], *, verify: bool = True) -> ExactIndex:
        """Map an index file written by `save`; the first change copies it into memory."""
        meta, arrays = read_arrays(path, KIND, verify)
        try:
            width, rows, sorted_rows = (
                int(meta["width"]),
                int(meta["rows"]),
                int(meta["sorted_rows"]),
            )
            digests, ids = arrays["digests"], arrays["ids"]
            dead, slots = arrays["dead"], arrays["slots"]
        except (KeyError, TypeError, ValueError):
            raise IndexFileError(path, "incomplete exact index") from None
        shapes_ok = (
            8 <= width <= 64
            and 0 <= sorted_rows <= rows
            and digests.dtype == np.uint8
            and digests.shape == (rows, width)
            and ids.dtype == np.int64
            and ids.shape == (rows,)
            and dead.dtype == np.uint8
            and dead.shape == (rows,)
            and slots.dtype == np.uint32
            and slots.ndim == 1
            and slots.shape[0] >= max(2 * rows, _MIN_SLOTS)
            and slots.shape[0] & (slots.shape[0] - 1) == 0
        )
        if not shapes_ok:
            raise IndexFileError(path, "arrays of the exact index have the wrong type or shape")
        index = cls(width)
        index._state = _State(digests, ids, dead, slots, rows, sorted_rows)
        index._live = rows - int(np.count_nonzero(dead))
        return index

    load = open
