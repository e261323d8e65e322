"""One immutable, exact multi-index-hashing segment over PDQ codes.

Scheme (Norouzi, Punjani and Fleet, "Fast search in Hamming space with multi-index hashing",
CVPR 2012): cut the 256 bits into m substrings. If two codes differ in at most r bits and table
t is searched within radius r_t of the query's substring, every code within r is found as soon
as sum(r_t + 1) > r: otherwise every substring would differ in at least r_t + 1 bits, more than
r in total. Each table is keyed by the first b bits of its substring (b is capped so that the
table's bucket array is no larger than its row array); a ball of radius r_t over those b bits
contains the ball over the whole substring, so the candidates are a superset and stay exact
after verification on the full code.

Memory layout, all flat numpy arrays (memory-mappable, no Python object per entry):
  ids          int64   (n,)           entry ids, ascending (membership is a binary search)
  words        uint64  (n, 4)         the codes, big-endian words, row-aligned with ids
  rows         uint32  (m, n)         row numbers grouped by bucket (CSR values)
  blocks       uint16  (m, B, 32)     CSR offsets in 64-byte records of 30 buckets: a 32-bit base
                                      and 16-bit deltas (hamming.compact_offsets)
  exc_keys     int64   (e,)           blocks holding over 65,535 rows (crowds of near-duplicates)
  exc_offsets  uint32  (e, 30)        keep their full offsets here
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from bastion.index import hamming

BITS = 256
# Below this many rows a segment is scanned linearly: the probes would cost more than the scan.
LINEAR_ROWS = 4096
MAX_KEY_BITS = 24
MIN_KEY_BITS = 4
# Relative costs, in rows of a linear scan (2.8 ns a row), measured with 10M codes on a 2-core
# AMD EPYC VM: a bucket probe (its offsets and first row are random reads, ~37 ns) and a
# candidate check (a random read of its code, ~28 ns), rounded up so that a tie goes to the scan.
PROBE_COST = 14.0
CANDIDATE_COST = 12.0
SCAN_COST = 1.0
# A probe plan larger than this many bucket probes per table is never worth it over a scan.
MAX_PROBES = 1 << 20


@dataclass(frozen=True, slots=True)
class Layout:
    """m substrings of near-equal width; tables keyed by the first `key_bits` bits of each."""

    tables: int
    key_bits: int

    @property
    def starts(self) -> list[int]:
        return [BITS * t // self.tables for t in range(self.tables)]

    @property
    def widths(self) -> list[int]:
        starts = [*self.starts, BITS]
        return [starts[t + 1] - starts[t] for t in range(self.tables)]

    @classmethod
    def for_rows(cls, n: int) -> Layout:
        """The layout with the least expected cost at radius 31 for n uniform codes."""
        if n < LINEAR_ROWS:
            return cls(0, 0)
        cap = min(MAX_KEY_BITS, int(math.log2(n)))
        best = None
        for m in range(4, 33):
            layout = cls(m, min(cap, BITS // m))
            cost = layout.plan(n, 31).cost
            if best is None or cost < best[0]:
                best = (cost, layout)
        return best[1]

    def plan(self, n: int, radius: int, always_probe: bool = False) -> Plan:
        """Per-table radii for an exact search, and whether a linear scan is cheaper.

        `always_probe` uses the tables even where a scan would be cheaper (tests, benchmarks).
        """
        return _plan(self, n, radius, always_probe)


@functools.lru_cache(maxsize=1024)
def _plan(layout: Layout, n: int, radius: int, always_probe: bool) -> Plan:
    """Cached: a service lookup plans each query alone, and the few numpy reductions here
    cost as much as the search kernel's own candidate checks."""
    linear_cost = n * SCAN_COST
    if layout.tables == 0:
        return Plan(None, linear_cost)
    radii, probes = _table_radii(layout.tables, layout.key_bits, radius)
    load = n / 2.0**layout.key_bits
    cost = float(probes.sum()) * (PROBE_COST + CANDIDATE_COST * load)
    if always_probe:
        return Plan((radii, probes), cost)
    if (radii == layout.key_bits).any() or probes.max() > MAX_PROBES or cost >= linear_cost:
        return Plan(None, linear_cost)
    return Plan((radii, probes), cost)


@functools.lru_cache(maxsize=256)
def _table_radii(tables: int, key_bits: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-table search radii dealing `radius + 1` units over the tables, and each ball's
    volume. Cached: a service lookup plans one query at a time, and building these arrays
    was a tenth of its search time."""
    units, extra = divmod(radius + 1, tables)
    radii = np.array([units - 1 + (1 if t < extra else 0) for t in range(tables)], np.int64)
    radii = np.minimum(radii, key_bits)
    probes = np.array([ball_volume(key_bits, int(r)) for r in radii], np.int64)
    radii.setflags(write=False)
    probes.setflags(write=False)
    return radii, probes


@dataclass(frozen=True, slots=True)
class Plan:
    tables: tuple[np.ndarray, np.ndarray] | None  # (radii, probe counts), None: scan linearly
    cost: float
    max_radius: int = 0  # the largest per-table radius

    def __post_init__(self) -> None:
        if self.tables is not None:
            object.__setattr__(self, "max_radius", int(self.tables[0].max()))


def ball_volume(bits: int, radius: int) -> int:
    if radius < 0:
        return 0
    return sum(math.comb(bits, k) for k in range(min(radius, bits) + 1))


@functools.lru_cache(maxsize=16)
def flips(bits: int, radius: int) -> np.ndarray:
    """XOR masks over `bits` bits ordered by popcount: the first ball_volume(bits, r) form a ball."""
    masks = [0]
    for k in range(1, radius + 1):
        masks.extend(sum(1 << i for i in c) for c in itertools.combinations(range(bits), k))
    out = np.array(masks, np.uint32)
    out.setflags(write=False)
    return out


def table_keys(words: np.ndarray, start: int, bits: int) -> np.ndarray:
    """The `bits` bits at bit offset `start` (most significant first) of each code, as uint32."""
    i, off = divmod(start, 64)
    mask = np.uint64((1 << bits) - 1)
    if off + bits <= 64:
        keys = (words[:, i] >> np.uint64(64 - off - bits)) & mask
    else:
        high = 64 - off
        low = bits - high
        keys = ((words[:, i] & np.uint64((1 << high) - 1)) << np.uint64(low)) | (
            words[:, i + 1] >> np.uint64(64 - low)
        )
    return keys.astype(np.uint32)


def key_masks(layout: Layout) -> np.ndarray:
    """(m, 4) uint64 word masks of each table's key bits, for de-duplicating hits in-kernel."""
    masks = np.zeros((layout.tables, 4), np.uint64)
    for t, start in enumerate(layout.starts):
        for bit in range(start, start + layout.key_bits):
            masks[t, bit // 64] |= np.uint64(1 << (63 - bit % 64))
    return masks


def code_words(codes: np.ndarray) -> np.ndarray:
    """(n, 32) uint8 codes -> (n, 4) native uint64 words, most significant word first."""
    return np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32).view(">u8").astype(np.uint64)


class Segment:
    """Immutable rows (ids ascending) with their MIH tables. Build with `Segment.build`."""

    def __init__(
        self,
        layout: Layout,
        ids: np.ndarray,
        words: np.ndarray,
        rows: np.ndarray,
        offsets: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        self.layout = layout
        self.ids = ids
        self.words = words
        self.rows = rows
        self.blocks, self.exc_keys, self.exc_offsets = offsets
        self._key_masks = key_masks(layout)
        self._starts = np.array(layout.starts, np.int64)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def build(cls, ids: np.ndarray, words: np.ndarray, layout: Layout | None = None) -> Segment:
        """Rows sorted by id (ids must be unique), then one counting sort per table."""
        order = np.argsort(ids, kind="stable")
        ids = np.ascontiguousarray(ids[order], dtype=np.int64)
        words = np.ascontiguousarray(words[order], dtype=np.uint64)
        n = ids.shape[0]
        if n >= 1 << 31:
            raise ValueError("a segment holds fewer than 2^31 rows; split the codes")
        layout = layout or Layout.for_rows(n)
        m, b = layout.tables, layout.key_bits
        if m and not MIN_KEY_BITS <= b <= min(MAX_KEY_BITS, BITS // m):
            raise ValueError(f"{layout}: key bits must be {MIN_KEY_BITS} to 24 and fit a substring")
        offsets = np.zeros((m, (1 << b) + 1 if m else 0), np.uint32)
        rows = np.zeros((m, n), np.uint32)
        for t, start in enumerate(layout.starts):
            offsets[t], rows[t] = hamming.build_table(table_keys(words, start, b), 1 << b)
        return cls(layout, ids, words, rows, hamming.compact_offsets(offsets))

    def search(
        self,
        qwords: np.ndarray,
        radius: int,
        dead: np.ndarray,
        crowded_after: int | None = None,
        always_probe: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query, row, distance) arrays of live rows within `radius` of each query.

        A query with more than `crowded_after` candidates is scanned linearly instead (default:
        where the scan becomes cheaper). `always_probe`: see `Layout.plan`.
        """
        n = len(self)
        capacity = 4 * qwords.shape[0] + 1024
        plan = self.layout.plan(n, radius, always_probe)
        if plan.tables is None:
            return hamming.collect(
                hamming.linear_search, qwords, self.words, dead, radius, capacity=capacity
            )
        radii, probes = plan.tables
        b = self.layout.key_bits
        qkeys = hamming.query_keys(qwords, self._starts, b)
        budget = int(n * SCAN_COST / CANDIDATE_COST) if crowded_after is None else crowded_after
        return hamming.collect(
            hamming.mih_search,
            qwords,
            qkeys,
            self.words,
            dead,
            self.blocks,
            self.exc_keys,
            self.exc_offsets,
            1 << b,
            self.rows,
            radii,
            probes,
            flips(b, plan.max_radius),
            self._key_masks,
            radius,
            budget,
            capacity=capacity,
        )

    def positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each id: (row, present) by binary search over the sorted ids."""
        pos = np.searchsorted(self.ids, ids)
        pos_clipped = np.minimum(pos, max(len(self) - 1, 0))
        present = (pos < len(self)) & (self.ids[pos_clipped] == ids) if len(self) else pos < 0
        return pos_clipped, present
