"""The exact PDQ index: multi-index-hashing segments, incremental updates, memory-mapped files.

An index is a short list of immutable segments (see `segment.py`) plus one tombstone array per
segment. Adding builds a segment from the new rows; small segments are merged as they come, like
a binary counter, so each row is rebuilt O(log n) times and the newest rows sit in a segment
that is scanned linearly until it is worth indexing. Merges above `AUTO_MERGE_ROWS` happen only
in `compact()`, which builds the replacement while readers keep searching the old segments and
then swaps it in. Removing marks tombstones, checked on hits only.

Readers take no lock: a search works on the segment list it started with (a tuple swapped in
whole by writers), and the compiled kernels release the GIL, so searches from several threads
run in parallel. Writers (add, remove, compact) take one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from os import PathLike

import numpy as np

from bastion.index.base import PDQ_BYTES, Hits, VariantHits, has_duplicates
from bastion.index.container import IndexFileError, read_arrays, write_arrays
from bastion.index.hamming import BLOCK, RECORD
from bastion.index.segment import MAX_KEY_BITS, MIN_KEY_BITS, Layout, Segment, code_words

KIND = "bastion-pdq-mih"
# A segment below this many rows absorbs the next add (rebuilt whole: it has no tables yet).
SMALL_ROWS = 4096
# Larger merges wait for compact(): one takes seconds, which an add should not.
AUTO_MERGE_ROWS = 1 << 18
MAX_VARIANTS = 8


@dataclass(frozen=True, slots=True)
class _State:
    segments: tuple[Segment, ...]
    dead: tuple[np.ndarray, ...]  # uint8 per segment row, 1 once removed


@dataclass(frozen=True, slots=True)
class IndexStats:
    entries: int  # live ids
    segments: tuple[int, ...]  # rows per segment, oldest first (removed rows included)
    removed: int  # rows removed but still held until compact()


def _check_ids_codes(ids: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not (np.issubdtype(ids.dtype, np.integer) or ids.shape[0] == 0):
        raise ValueError("ids must be a one-dimensional array of integers")
    ids = ids.astype(np.int64)
    codes = np.asarray(codes)
    if codes.dtype != np.uint8 or codes.size != ids.shape[0] * PDQ_BYTES:
        raise ValueError(
            f"codes must be uint8 of shape ({ids.shape[0]}, {PDQ_BYTES}) to match the ids "
            "(use bastion.index.pdq_codes to convert hex)"
        )
    if has_duplicates(ids):
        raise ValueError("ids must be unique within one add")
    return ids, code_words(codes)


def _query_words(queries: np.ndarray) -> np.ndarray:
    queries = np.asarray(queries)
    if queries.dtype != np.uint8 or queries.size % PDQ_BYTES:
        raise ValueError(f"queries must be uint8 codes of {PDQ_BYTES} bytes each")
    return code_words(queries)


def _check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer):
        raise ValueError(f"radius must be an integer, got {radius!r}")
    if not 0 <= radius <= 256:
        raise ValueError(f"radius must be between 0 and 256, got {radius}")
    return int(radius)


class MihPdqIndex:
    """Exact radius search over PDQ codes (the `PdqIndex` protocol) by multi-index hashing.

    Tuning (defaults are chosen per segment from its size by a cost model): `layout` fixes the
    segment layout; `crowded_after` is the candidate count above which one query is answered
    by a linear scan of its segment; `always_probe` uses the hashing tables even where the
    model prefers a scan. Tests use them to drive small sets through every path.
    """

    def __init__(
        self,
        *,
        layout: Layout | None = None,
        crowded_after: int | None = None,
        always_probe: bool = False,
    ) -> None:
        self._layout = layout
        self._crowded_after = crowded_after
        self._always_probe = always_probe
        self._lock = threading.Lock()
        self._state = _State((), ())
        self._live = 0

    @classmethod
    def build(cls, ids: np.ndarray, codes: np.ndarray, **options) -> MihPdqIndex:
        """An index holding `ids` with `codes`, built as one segment."""
        index = cls(**options)
        ids, words = _check_ids_codes(ids, codes)
        if ids.shape[0]:
            segment = Segment.build(ids, words, index._layout)
            index._state = _State((segment,), (np.zeros(len(segment), np.uint8),))
            index._live = len(segment)
        return index

    def __len__(self) -> int:
        return self._live

    def stats(self) -> IndexStats:
        state = self._state
        sizes = tuple(len(s) for s in state.segments)
        return IndexStats(self._live, sizes, sum(sizes) - self._live)

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """Boolean array: which of `ids` are in the index (added and not removed)."""
        return self._present(self._state, np.asarray(ids, dtype=np.int64).reshape(-1))

    @staticmethod
    def _present(state: _State, ids: np.ndarray) -> np.ndarray:
        found = np.zeros(ids.shape[0], bool)
        for segment, dead in zip(state.segments, state.dead, strict=True):
            row, present = segment.positions(ids)
            found |= present & (dead[row] == 0)
        return found

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add entries; visible to the next search. Raises ValueError if an id is present."""
        ids, words = _check_ids_codes(ids, codes)
        if not ids.shape[0]:
            return
        with self._lock:
            state = self._state
            present = self._present(state, ids)
            if present.any():
                shown = ", ".join(str(i) for i in ids[present][:5].tolist())
                raise ValueError(f"ids already in the index: {shown} (remove them first)")
            segments = [*state.segments, Segment.build(ids, words, self._layout)]
            dead = [*state.dead, np.zeros(ids.shape[0], np.uint8)]
            while len(segments) >= 2 and len(segments[-2]) <= 4 * AUTO_MERGE_ROWS:
                older = len(segments[-2]) - int(dead[-2].sum())
                newer = len(segments[-1]) - int(dead[-1].sum())
                if older + newer > AUTO_MERGE_ROWS or (older >= SMALL_ROWS and older > 2 * newer):
                    break
                merged = self._merge(segments[-2:], dead[-2:])
                segments[-2:] = [merged]
                dead[-2:] = [np.zeros(len(merged), np.uint8)]
            self._state = _State(tuple(segments), tuple(dead))
            self._live += ids.shape[0]

    def remove(self, ids: np.ndarray) -> None:
        """Remove entries; visible to the next search. Absent ids are ignored."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self._lock:
            state = self._state
            removed = 0
            for segment, dead in zip(state.segments, state.dead, strict=True):
                row, present = segment.positions(ids)
                hit = row[present & (dead[row] == 0)]
                dead[hit] = 1
                removed += np.unique(hit).shape[0]
            self._live -= removed
            kept = [(s, d) for s, d in zip(state.segments, state.dead, strict=True) if not d.all()]
            self._state = _State(tuple(s for s, _ in kept), tuple(d for _, d in kept))

    def compact(self) -> None:
        """Merge every segment into one and drop removed rows.

        Readers keep searching the old segments until the new one is swapped in; adds and
        removes wait. Worth running (e.g. from a background thread) once `stats()` shows many
        segments or many removed rows.
        """
        with self._lock:
            state = self._state
            if len(state.segments) <= 1 and not any(d.any() for d in state.dead):
                return
            merged = self._merge(state.segments, state.dead)
            if len(merged):
                self._state = _State((merged,), (np.zeros(len(merged), np.uint8),))
            else:
                self._state = _State((), ())

    def _merge(self, segments, dead) -> Segment:
        live = [d == 0 for d in dead]
        ids = np.concatenate([s.ids[k] for s, k in zip(segments, live, strict=True)])
        words = np.concatenate([s.words[k] for s, k in zip(segments, live, strict=True)])
        return Segment.build(ids, words, self._layout)

    def search(self, queries: np.ndarray, radius: int) -> Hits:
        """Every (query, id) with Hamming distance <= radius, for uint8 codes of shape (n, 32)."""
        qwords = _query_words(queries)
        radius = _check_radius(radius)
        state = self._state
        found_q, found_id, found_d = [], [], []
        for segment, dead in zip(state.segments, state.dead, strict=True):
            q, row, d = segment.search(
                qwords, radius, dead, self._crowded_after, self._always_probe
            )
            found_q.append(q)
            found_id.append(segment.ids[row])
            found_d.append(d)
        if not found_q:
            return Hits.empty()
        return Hits.sorted_from(
            np.concatenate(found_q), np.concatenate(found_id), np.concatenate(found_d)
        )

    def search_variants(self, codes: np.ndarray, radius: int) -> VariantHits:
        """Search items given several codes each: uint8 of shape (items, variants, 32).

        Typically the 8 dihedral variants of each picture (`PdqHash.dihedral`), so a rotated or
        mirrored copy of a listed picture matches. An item with fewer codes repeats one.
        """
        codes = np.asarray(codes)
        if codes.ndim != 3 or codes.shape[2] != PDQ_BYTES or codes.dtype != np.uint8:
            raise ValueError("codes must be uint8 of shape (items, variants, 32)")
        items, variants = codes.shape[:2]
        if not 1 <= variants <= MAX_VARIANTS:
            raise ValueError(f"each item needs 1 to {MAX_VARIANTS} codes, got {variants}")
        hits = self.search(codes.reshape(items * variants, PDQ_BYTES), radius)
        item, variant = np.divmod(hits.query, variants)
        # Keep, per (item, id), the row with the least distance, then the lowest variant.
        order = np.lexsort((variant, hits.distance, hits.ids, item))
        item, ids = item[order], hits.ids[order]
        distance, variant = hits.distance[order], variant[order]
        first = np.ones(item.shape[0], bool)
        first[1:] = (item[1:] != item[:-1]) | (ids[1:] != ids[:-1])
        item, ids, distance, variant = item[first], ids[first], distance[first], variant[first]
        order = np.lexsort((ids, distance, item))
        return VariantHits(item[order], ids[order], distance[order], variant[order].astype(np.int8))

    def save(self, path: str | PathLike[str]) -> None:
        """Write the index to `path` atomically; `MihPdqIndex.open(path)` maps it back."""
        state = self._state
        arrays: dict[str, np.ndarray] = {}
        meta = {"segments": []}
        for i, (segment, dead) in enumerate(zip(state.segments, state.dead, strict=True)):
            meta["segments"].append(
                {
                    "tables": segment.layout.tables,
                    "key_bits": segment.layout.key_bits,
                    "rows": len(segment),
                }
            )
            arrays[f"{i}.ids"] = segment.ids
            arrays[f"{i}.words"] = segment.words
            arrays[f"{i}.rows"] = segment.rows
            arrays[f"{i}.blocks"] = segment.blocks
            arrays[f"{i}.exc_keys"] = segment.exc_keys
            arrays[f"{i}.exc_offsets"] = segment.exc_offsets
            arrays[f"{i}.dead"] = dead
        write_arrays(path, KIND, meta, arrays)

    @classmethod
    def open(cls, path: str | PathLike[str], *, verify: bool = True, **options) -> MihPdqIndex:
        """Map an index file written by `save`. Raises IndexFileError if it is unusable.

        `verify` checks every array's checksum (a read of the whole file); without it only
        the header and the arrays' sizes are checked, and damage inside an array can give
        wrong answers (never a crash: the kernels bounds-check what they read from tables).
        """
        meta, arrays = read_arrays(path, KIND, verify)
        index = cls(**options)
        segments, deads = [], []
        try:
            described = list(meta["segments"])
        except (KeyError, TypeError):
            raise IndexFileError(path, "header lists no segments") from None
        for i, info in enumerate(described):
            segment, dead = _segment_from(path, i, info, arrays)
            segments.append(segment)
            deads.append(dead)
        index._state = _State(tuple(segments), tuple(deads))
        index._live = sum(len(s) - int(d.sum()) for s, d in zip(segments, deads, strict=True))
        return index

    load = open


def _segment_from(path, i: int, info: dict, arrays: dict) -> tuple[Segment, np.ndarray]:
    names = ("ids", "words", "rows", "blocks", "exc_keys", "exc_offsets", "dead")
    try:
        m, b, n = int(info["tables"]), int(info["key_bits"]), int(info["rows"])
        found = {name: arrays[f"{i}.{name}"] for name in names}
    except (KeyError, TypeError, ValueError):
        raise IndexFileError(path, f"segment {i} is incomplete") from None
    if m == 0:
        layout_ok = b == 0
    else:
        layout_ok = 1 <= m <= 256 and MIN_KEY_BITS <= b <= min(MAX_KEY_BITS, 256 // m)
    if not layout_ok:
        raise IndexFileError(path, f"segment {i}: impossible layout ({m} tables of {b} bits)")
    n_blocks = -(-(1 << b) // BLOCK) + 1 if m else 0
    e = found["exc_keys"].shape[0]
    expected = {
        "ids": (np.int64, (n,)),
        "words": (np.uint64, (n, 4)),
        "rows": (np.uint32, (m, n)),
        "blocks": (np.uint16, (m, n_blocks, RECORD)),
        "exc_keys": (np.int64, (e,)),
        "exc_offsets": (np.uint32, (e, BLOCK)),
        "dead": (np.uint8, (n,)),
    }
    for name, (dtype, shape) in expected.items():
        if found[name].dtype != dtype or found[name].shape != shape:
            raise IndexFileError(path, f"segment {i}: {name} has the wrong type or shape")
    blocks = found["blocks"]
    if m:
        start = (blocks[:, 0, 0] != 0) | (blocks[:, 0, 1] & 0x7FFF != 0)  # 0x8000: crowded
        end = (blocks[:, -1, 0] != n & 0xFFFF) | (blocks[:, -1, 1] != n >> 16)
        if start.any() or end.any():
            raise IndexFileError(path, f"segment {i}: bucket offsets do not cover its rows")
    offsets = (blocks, found["exc_keys"], found["exc_offsets"])
    segment = Segment(Layout(m, b), found["ids"], found["words"], found["rows"], offsets)
    return segment, np.array(found["dead"])
