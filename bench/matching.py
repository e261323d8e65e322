"""Benchmark: PDQ radius search, Bastion's MIH index vs faiss (HMA's index and brute force).

Data: n PDQ-like codes, uniform random plus seeded clusters of near-duplicates (2% of n, cluster
sizes from 10 to 20,000, members 0-12 bits from their seed), which is how real hash lists look
(many edits of one picture). Queries: `--queries` codes, 1% planted at 0-31 bits from a stored
code (half of them from clusters), the rest random. Radius 31 (PDQ's match threshold).

Measured, on one core (the process is pinned to one CPU; faiss is set to one thread):
  * Bastion `MihPdqIndex`: build time; save; then in a fresh process: open time, resident
    memory (RSS) after opening and after searching, queries per second on all queries.
  * Baselines on a subset (`--baseline-queries`, all planted queries included): faiss
    `IndexBinaryMultiHash(256, 16, 16)` with nflip=1 (HMA's default) and `IndexBinaryFlat`
    (faiss binary range_search is strict, so both get radius 32 for distance <= 31).
  * Recall on that subset against faiss IndexBinaryFlat (an independent exact scan), and
    Bastion's full answers must equal it exactly.

    python bench/matching.py [--n 10000000] [--queries 10000] [--baseline-queries 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "bench" / "out"
RADIUS = 31


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def memory_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def flip_random_bits(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> None:
    """Flip counts[i] distinct random bits of codes[i], in place."""
    bits = np.unpackbits(codes, axis=1)
    for i, k in enumerate(counts):
        bits[i, rng.choice(256, size=int(k), replace=False)] ^= 1
    codes[:] = np.packbits(bits, axis=1)


def make_data(n: int, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes, queries, planted query indexes)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    clustered = n // 50
    sizes = []
    while sum(sizes) < clustered:
        sizes.append(int(min(20_000, 10 * (1 / rng.random()) ** 1.2)))
    sizes[-1] -= sum(sizes) - clustered
    start = n - clustered
    for size in sizes:
        if size <= 0:
            continue
        members = np.repeat(codes[start : start + 1], size, axis=0)
        flip_random_bits(members, rng.integers(0, 13, size), rng)
        codes[start : start + size] = members
        start += size
    queries = rng.integers(0, 256, size=(n_queries, 32), dtype=np.uint8)
    planted = rng.choice(n_queries, size=max(1, n_queries // 100), replace=False)
    half = planted.shape[0] // 2
    sources = np.concatenate(
        [
            rng.integers(0, n - clustered, planted.shape[0] - half),
            rng.integers(n - clustered, n, half) if clustered else rng.integers(0, n, half),
        ]
    )
    near = codes[sources].copy()
    flip_random_bits(near, rng.integers(0, RADIUS + 1, planted.shape[0]), rng)
    queries[planted] = near
    return codes, queries, np.sort(planted)


def pairs(q: np.ndarray, ids: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(q.tolist(), ids.tolist(), strict=True))


def worker(directory: Path) -> None:
    """In a fresh process: open the saved index, measure memory and search speed."""
    pin_one_core()
    from bastion.index import MihPdqIndex

    queries = np.load(directory / "queries.npy")
    subset = np.load(directory / "subset.npy")
    before = memory_mb()
    started = time.perf_counter()
    index = MihPdqIndex.open(directory / "index.bidx", verify=False)
    open_s = time.perf_counter() - started
    after_open = memory_mb()
    started = time.perf_counter()
    MihPdqIndex.open(directory / "index.bidx", verify=True)
    open_verified_s = time.perf_counter() - started

    index.search(queries[:2], RADIUS)  # compiled code loads from numba's cache
    started = time.perf_counter()
    hits = index.search(queries, RADIUS)
    cold_s = time.perf_counter() - started  # pages of the file fault in as they are touched
    after_search = memory_mb()
    started = time.perf_counter()
    hits = index.search(queries, RADIUS)
    search_s = time.perf_counter() - started
    started = time.perf_counter()
    subset_hits = index.search(queries[subset], RADIUS)
    subset_s = time.perf_counter() - started
    started = time.perf_counter()
    for q in queries[:1000]:
        index.search(q[None], RADIUS)
    one_by_one_s = time.perf_counter() - started
    wide = queries[subset[:20]]
    started = time.perf_counter()
    index.search(wide, 63)
    wide_s = time.perf_counter() - started

    rng = np.random.default_rng(1)
    added = rng.integers(0, 256, size=(10_000, 32), dtype=np.uint8)
    started = time.perf_counter()
    for i in range(0, 10_000, 100):
        index.add(np.arange(i, i + 100) + 10**12, added[i : i + 100])
    add_s = time.perf_counter() - started
    found = index.search(added[::1000], 0)

    np.save(directory / "hits_q.npy", hits.query)
    np.save(directory / "hits_id.npy", hits.ids)
    np.save(directory / "hits_d.npy", hits.distance)
    np.save(directory / "subset_q.npy", subset_hits.query)
    np.save(directory / "subset_id.npy", subset_hits.ids)
    result = {
        "open_s": open_s,
        "open_verified_s": open_verified_s,
        "rss_before_mb": before,
        "rss_after_open_mb": after_open,
        "rss_after_search_mb": after_search,
        "qps": queries.shape[0] / search_s,
        "cold_qps": queries.shape[0] / cold_s,
        "subset_qps": subset.shape[0] / subset_s,
        "one_by_one_qps": 1000 / one_by_one_s,
        "radius63_qps": wide.shape[0] / wide_s,
        "add_per_s": 10_000 / add_s,
        "added_found": len(found),
        "segments": list(index.stats().segments),
    }
    (directory / "worker.json").write_text(json.dumps(result))


def faiss_search(index, queries: np.ndarray) -> tuple[float, set[tuple[int, int]]]:
    started = time.perf_counter()
    lims, _d, ids = index.range_search(queries, RADIUS + 1)  # strict: d < 32
    elapsed = time.perf_counter() - started
    q = np.repeat(np.arange(queries.shape[0]), np.diff(lims.astype(np.int64)))
    return queries.shape[0] / elapsed, pairs(q, ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000_000, help="stored PDQ codes")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--baseline-queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-faiss-mih", action="store_true", help="its build is slow at 10M")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    pin_one_core()
    import faiss

    from bastion.index import MihPdqIndex

    faiss.omp_set_num_threads(1)
    directory = OUT / "matching"
    directory.mkdir(parents=True, exist_ok=True)

    print(f"generating {args.n:,} codes and {args.queries:,} queries ...", flush=True)
    codes, queries, planted = make_data(args.n, args.queries, args.seed)
    ids = np.arange(args.n, dtype=np.int64)
    rng = np.random.default_rng(args.seed + 1)
    others = np.setdiff1d(np.arange(args.queries), planted)
    n_other = max(0, min(others.shape[0], args.baseline_queries - planted.shape[0]))
    subset = np.sort(np.concatenate([planted, rng.choice(others, n_other, replace=False)]))
    np.save(directory / "queries.npy", queries)
    np.save(directory / "subset.npy", subset)

    MihPdqIndex.build(ids[:5000], codes[:5000]).search(queries[:2], RADIUS)  # compile once
    started = time.perf_counter()
    index = MihPdqIndex.build(ids, codes)
    build_s = time.perf_counter() - started
    layout = index._state.segments[0].layout
    started = time.perf_counter()
    index.save(directory / "index.bidx")
    save_s = time.perf_counter() - started
    file_mb = (directory / "index.bidx").stat().st_size / 2**20
    del index

    print("opening and searching in a fresh process ...", flush=True)
    subprocess.run(
        [sys.executable, __file__, "--worker", str(directory)],
        check=True,
        env={**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    w = json.loads((directory / "worker.json").read_text())
    hits_d = np.load(directory / "hits_d.npy")
    subset_bastion = pairs(
        np.load(directory / "subset_q.npy"), np.load(directory / "subset_id.npy")
    )

    print(f"faiss IndexBinaryFlat on {subset.shape[0]} queries ...", flush=True)
    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    flat_qps, truth = faiss_search(flat, queries[subset])
    del flat

    mih_qps, mih_pairs, mih_build_s = None, None, None
    if not args.skip_faiss_mih:
        print("faiss IndexBinaryMultiHash(256, 16, 16), nflip=1: building ...", flush=True)
        started = time.perf_counter()
        mih = faiss.IndexBinaryMultiHash(256, 16, 16)
        mih.nflip = 1
        mih.add(codes)
        mih_build_s = time.perf_counter() - started
        mih_qps, mih_pairs = faiss_search(mih, queries[subset])
        del mih

    # Ground truth: faiss IndexBinaryFlat, an independent exact scan, on the subset.
    recall = len(subset_bastion & truth) / max(1, len(truth))
    exact = subset_bastion == truth
    print()
    print(f"{args.n:,} codes ({args.n // 50:,} in clusters), radius <= {RADIUS}, one core")
    print(
        f"ground truth: faiss IndexBinaryFlat on {subset.shape[0]} queries "
        f"({planted.shape[0]} planted), {len(truth)} pairs"
    )
    print()
    print(f"{'index':44} {'queries/s':>10} {'recall':>7} {'build s':>8}")
    rows = [("faiss IndexBinaryFlat", flat_qps, 1.0, 0.0)]
    if mih_qps is not None:
        mih_recall = len(mih_pairs & truth) / max(1, len(truth))
        rows.append(
            ("faiss IndexBinaryMultiHash(256,16,16) nflip=1", mih_qps, mih_recall, mih_build_s)
        )
    rows.append(
        (
            f"bastion MihPdqIndex {layout.tables}x{layout.key_bits} (subset)",
            w["subset_qps"],
            recall,
            build_s,
        )
    )
    for name, qps, rec, build in rows:
        print(f"{name:44} {qps:10.1f} {rec:7.3f} {build:8.1f}")
    best = max(flat_qps, mih_qps or 0.0)
    print()
    print(
        f"bastion, all {args.queries:,} queries in one batch: {w['qps']:,.0f} q/s "
        f"({hits_d.shape[0]:,} hits, max distance {int(hits_d.max()) if hits_d.size else 0})"
    )
    print(f"bastion, 1,000 queries one at a time:      {w['one_by_one_qps']:,.0f} q/s")
    print(f"bastion, radius 63 (20 planted queries):   {w['radius63_qps']:,.1f} q/s")
    print(
        f"ratio vs faster faiss (same {subset.shape[0]} queries): {w['subset_qps'] / best:.1f}x;"
        f" all queries: {w['qps'] / best:.1f}x"
    )
    print(f"exact on the subset (equal to faiss flat): {exact}")
    print(
        f"file {file_mb:,.0f} MB, saved in {save_s:.1f} s; open {w['open_s']:.2f} s "
        f"(with checksums {w['open_verified_s']:.2f} s)"
    )
    for label, key in (
        ("after open", "rss_after_open_mb"),
        ("after searching", "rss_after_search_mb"),
    ):
        m = w[key]
        print(
            f"RSS {label}: {m['VmRSS']:,.0f} MB (file-backed {m['RssFile']:,.0f}, "
            f"anonymous {m['RssAnon']:,.0f}); before open {w['rss_before_mb']['VmRSS']:,.0f} MB"
        )
    print(
        f"incremental: {w['add_per_s']:,.0f} adds/s in batches of 100 after opening "
        f"(segments now {w['segments']}); added codes found: {w['added_found']}/10"
    )


if __name__ == "__main__":
    main()
