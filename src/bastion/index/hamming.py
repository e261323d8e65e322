"""Compiled Hamming-distance kernels over PDQ codes held as 4 uint64 words per row.

numba compiles these once per machine (cached beside the module). Every kernel releases the
GIL, so searches from several threads run in parallel, and every kernel bounds-checks the
indexes it reads from a table: a damaged index file can give wrong answers (its checksums
catch that) but never read outside its arrays.

Search kernels write hits into caller-given parallel arrays (query, row, distance) in the order
found and return how many there are; when that exceeds the arrays, the caller runs the same
(deterministic) search again with room for all of them. Writing into fixed arrays keeps the inner
loops free of reallocation, which costs numba reference counting on every iteration.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _popcount(typingctx, x):
    # LLVM's ctpop becomes the POPCNT instruction; numba has no popcount of its own.
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _prefetch(typingctx, array, offset):
    """Start fetching element `offset` of a C-contiguous array (flat index) into the cache.

    A prefetch never faults and changes nothing, so it needs no bounds check. Issued a phase
    ahead, the random reads of a search overlap many more than the processor finds alone."""
    sig = types.void(array, types.int64)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # read, high temporal locality, data cache
        builder.call(function, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@nb.njit(cache=True, nogil=True, inline="always")
def _distance(words, row, q0, q1, q2, q3):
    return np.int64(
        _popcount(words[row, 0] ^ q0)
        + _popcount(words[row, 1] ^ q1)
        + _popcount(words[row, 2] ^ q2)
        + _popcount(words[row, 3] ^ q3)
    )


@nb.njit(cache=True, nogil=True)
def _scan_query(qi, q, words, dead, radius, out_q, out_row, out_d, count):
    """One query against every row (the exact fallback for a query with a crowded ball)."""
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    for row in range(words.shape[0]):
        d = _distance(words, row, q0, q1, q2, q3)
        if d <= radius and dead[row] == 0:
            if count < out_q.shape[0]:
                out_q[count] = qi
                out_row[count] = row
                out_d[count] = d
            count += 1
    return count


@nb.njit(cache=True, nogil=True)
def linear_search(qwords, words, dead, radius, out_q, out_row, out_d):
    """Every (query, row) within `radius`, scanning all rows in cache-sized blocks.

    Blocks of rows stay in cache while every query passes over them, so a batch costs one
    pass over memory instead of one per query.
    """
    n = words.shape[0]
    count = 0
    block = 4096
    for start in range(0, n, block):
        stop = min(start + block, n)
        for qi in range(qwords.shape[0]):
            q0, q1, q2, q3 = qwords[qi, 0], qwords[qi, 1], qwords[qi, 2], qwords[qi, 3]
            for row in range(start, stop):
                d = _distance(words, row, q0, q1, q2, q3)
                if d <= radius and dead[row] == 0:
                    if count < out_q.shape[0]:
                        out_q[count] = qi
                        out_row[count] = row
                        out_d[count] = d
                    count += 1
    return count


@nb.njit(cache=True, nogil=True)
def build_table(keys, n_buckets):
    """Counting sort of rows by key: CSR offsets (n_buckets + 1) and rows grouped by key.

    Rows keep their order inside a bucket (ascending), so equal inputs give equal files.
    """
    offsets = np.zeros(n_buckets + 1, np.uint32)
    for i in range(keys.shape[0]):
        offsets[keys[i] + 1] += 1
    for k in range(n_buckets):
        offsets[k + 1] += offsets[k]
    cursor = offsets[:-1].copy()
    rows = np.empty(keys.shape[0], np.uint32)
    for i in range(keys.shape[0]):
        k = keys[i]
        rows[cursor[k]] = i
        cursor[k] += 1
    return offsets, rows


BLOCK = 30  # buckets per 64-byte block record of the compact bucket offsets
RECORD = 32  # uint16 fields per record: base (2) and one delta per bucket (30)
CROWDED = 0x8000  # flag in a record's high base half: the block's offsets are in exc_offsets


def compact_offsets(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR offsets (m, 2^b + 1) uint32 -> (blocks, exc_keys, exc_offsets), about half the size.

    Each block of 30 buckets is one 64-byte record (a cache line): a 32-bit base, then a 16-bit
    delta per bucket, so a probe usually reads its start and end from one line. A block whose
    30 buckets hold more than 65,535 rows (a crowd of near-duplicates) sets the base's top bit
    and keeps its full offsets in exc_offsets, found by binary search of exc_keys
    (table * blocks + block). Rows per segment stay below 2^31.
    """
    m, size = offsets.shape
    if m == 0:
        return (
            np.zeros((0, 0, RECORD), np.uint16),
            np.zeros(0, np.int64),
            np.zeros((0, BLOCK), np.uint32),
        )
    n_blocks = -(-(size - 1) // BLOCK) + 1  # the last record holds only the end (n)
    blocks = np.empty((m, n_blocks, RECORD), np.uint16)
    keys, full = [], []
    for t in range(m):  # one table at a time keeps the int64 temporaries small
        padded = np.empty(n_blocks * BLOCK, np.int64)
        padded[:size] = offsets[t]
        padded[size:] = offsets[t, -1]
        grouped = padded.reshape(n_blocks, BLOCK)
        base = grouped[:, 0].copy()
        crowded = np.zeros(n_blocks, bool)
        crowded[:-1] = np.diff(base) > 0xFFFF
        which = np.nonzero(crowded)[0]
        keys.append(t * n_blocks + which)
        full.append(grouped[which].astype(np.uint32))
        flagged = base.astype(np.uint32) | np.where(crowded, np.uint32(CROWDED << 16), 0)
        blocks[t, :, 0] = flagged & 0xFFFF
        blocks[t, :, 1] = flagged >> 16
        delta = grouped - base[:, None]
        delta[crowded] = 0
        blocks[t, :, 2:] = delta
    exc_keys = np.concatenate(keys).astype(np.int64)
    exc_offsets = np.concatenate(full).reshape(-1, BLOCK).astype(np.uint32)
    return blocks, exc_keys, exc_offsets


@nb.njit(cache=True, nogil=True)
def mih_search(
    qwords,
    qkeys,
    words,
    dead,
    blocks,
    exc_keys,
    exc_offsets,
    n_buckets,
    rows,
    table_radii,
    probe_counts,
    flips,
    key_masks,
    radius,
    budget,
    out_q,
    out_row,
    out_d,
):
    """Multi-index hashing: probe each table's ball, verify candidates on the full code.

    Table t is probed with the first `probe_counts[t]` entries of `flips` (XOR masks ordered by
    popcount, so a prefix is the Hamming ball of radius `table_radii[t]`; -1 skips the table).
    The caller chooses the balls so that any row within `radius` lands in at least one
    (pigeonhole). A row found in several tables is reported only from the first table whose
    ball holds it, so no hit repeats and no set is needed. A query whose candidates exceed
    `budget` is answered by a linear scan instead, which bounds the cost of crowded buckets
    (clusters of near-duplicates).

    Each query runs in phases (bucket ranges, candidate rows, distances, hits) so that each
    phase is a tight loop of independent memory reads the processor can overlap; fetching a
    random code is a cache miss, and overlapping them is most of the speed. Each phase also
    prefetches what the next one reads (bucket records, then candidate rows, then their codes):
    a prefetch does not wait, so far more misses are in flight than the processor's reorder
    window allows (a one-query search at 1M codes: 127 us before, 41-48 us with).
    """
    n = words.shape[0]
    m = blocks.shape[0]
    n_blocks = blocks.shape[1]
    n_exc = exc_keys.shape[0]
    n_probes = 0
    for t in range(m):
        n_probes += probe_counts[t]
    lo = np.empty(n_probes, np.int64)
    hi = np.empty(n_probes, np.int64)
    probe_table = np.empty(n_probes, np.int64)
    cand = np.empty(1024, np.int64)
    cand_table = np.empty(1024, np.int64)
    dist = np.empty(1024, np.int64)
    count = 0
    for qi in range(qwords.shape[0]):
        q0, q1, q2, q3 = qwords[qi, 0], qwords[qi, 1], qwords[qi, 2], qwords[qi, 3]
        nr = 0
        total = 0
        for t in range(m):  # the bucket records this query needs, fetched all at once
            key = np.int64(qkeys[qi, t])
            for p in range(probe_counts[t]):
                bucket = key ^ np.int64(flips[p])
                _prefetch(blocks, (t * n_blocks + bucket // BLOCK) * blocks.shape[2])
        for t in range(m):
            key = np.int64(qkeys[qi, t])
            for p in range(probe_counts[t]):
                bucket = key ^ np.int64(flips[p])
                if bucket >= n_buckets:
                    continue
                # Start and end of the bucket from its 64-byte record (compact_offsets).
                # Written out here: a function call in this loop costs numba its speed.
                block = bucket // BLOCK
                i = bucket - block * BLOCK
                high = np.int64(blocks[t, block, 1])
                if high & CROWDED:
                    k = t * n_blocks + block
                    first, last = 0, n_exc
                    while first < last:
                        mid = (first + last) >> 1
                        if exc_keys[mid] < k:
                            first = mid + 1
                        else:
                            last = mid
                    a = 0
                    b = 0
                    if first < n_exc and exc_keys[first] == k:
                        a = np.int64(exc_offsets[first, i])
                        if i < BLOCK - 1:
                            b = np.int64(exc_offsets[first, i + 1])
                        else:
                            b = np.int64(blocks[t, block + 1, 0]) | (
                                (np.int64(blocks[t, block + 1, 1]) & 0x7FFF) << 16
                            )
                else:
                    base = np.int64(blocks[t, block, 0]) | (high << 16)
                    a = base + np.int64(blocks[t, block, 2 + i])
                    if i < BLOCK - 1:
                        b = base + np.int64(blocks[t, block, 3 + i])
                    else:
                        b = np.int64(blocks[t, block + 1, 0]) | (
                            (np.int64(blocks[t, block + 1, 1]) & 0x7FFF) << 16
                        )
                a = min(a, n)
                b = min(b, n)
                if b > a:
                    _prefetch(rows, t * rows.shape[1] + a)
                    lo[nr] = a
                    hi[nr] = b
                    probe_table[nr] = t
                    nr += 1
                    total += b - a
        if total > budget:
            count = _scan_query(qi, qwords[qi], words, dead, radius, out_q, out_row, out_d, count)
            continue
        if total > cand.shape[0]:
            size = max(total, 2 * cand.shape[0])
            cand = np.empty(size, np.int64)
            cand_table = np.empty(size, np.int64)
            dist = np.empty(size, np.int64)
        nc = 0
        for i in range(nr):
            t = probe_table[i]
            for j in range(lo[i], hi[i]):
                row = np.int64(rows[t, j])
                _prefetch(words, row * words.shape[1])
                cand[nc] = row
                cand_table[nc] = t
                nc += 1
        for c in range(nc):
            row = cand[c]
            dist[c] = _distance(words, row, q0, q1, q2, q3) if row < n else radius + 1
        for c in range(nc):
            d = dist[c]
            row = cand[c]
            if d > radius or dead[row] != 0:
                continue
            seen = False
            for u in range(cand_table[c]):
                kd = (
                    _popcount((words[row, 0] ^ q0) & key_masks[u, 0])
                    + _popcount((words[row, 1] ^ q1) & key_masks[u, 1])
                    + _popcount((words[row, 2] ^ q2) & key_masks[u, 2])
                    + _popcount((words[row, 3] ^ q3) & key_masks[u, 3])
                )
                if np.int64(kd) <= table_radii[u]:
                    seen = True
                    break
            if seen:
                continue
            if count < out_q.shape[0]:
                out_q[count] = qi
                out_row[count] = row
                out_d[count] = d
            count += 1
    return count


def collect(kernel, *args, capacity: int = 1024) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run a search kernel into arrays of `capacity`, again with exactly enough room if short."""
    while True:
        out = tuple(np.empty(capacity, np.int64) for _ in range(3))
        count = kernel(*args, *out)
        if count <= capacity:
            return out[0][:count], out[1][:count], out[2][:count]
        capacity = count


@nb.njit(cache=True, nogil=True)
def query_keys(qwords, starts, bits):
    """(queries, tables) uint32: the `bits` bits at each table's bit offset (most significant
    first) of each query; segment.table_keys for every table at once, without the dozens of
    small numpy calls that cost a one-query search more than its probes."""
    q = qwords.shape[0]
    m = starts.shape[0]
    out = np.empty((q, m), np.uint32)
    mask = (np.uint64(1) << np.uint64(bits)) - np.uint64(1)
    for i in range(q):
        for t in range(m):
            start = starts[t]
            w = start // 64
            off = start % 64
            if off + bits <= 64:
                key = (qwords[i, w] >> np.uint64(64 - off - bits)) & mask
            else:
                high = 64 - off
                low = bits - high
                key = (
                    (qwords[i, w] & ((np.uint64(1) << np.uint64(high)) - np.uint64(1)))
                    << np.uint64(low)
                ) | (qwords[i, w + 1] >> np.uint64(64 - low))
            out[i, t] = np.uint32(key)
    return out
