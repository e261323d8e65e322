"""Benchmark: what plain PDQ misses when known pictures come back altered, and what Bastion's
query-side views catch, with the false-match rate measured on the same corpus.

Baseline: plain PDQ, one lookup of the picture's hash at distance 31 (what HMA and
python-threatexchange do). Bastion's views (`bastion.signals.pdq_views`): the 8 dihedral
variants, a `trimmed` view without bars or frames, and `zoom-out` views for crops; every
combination is scored in the same run from the same hashes.

Corpus, benign only: the reference photos (../shared/reference/pdq/images), the sample images
shipped in scikit-image, and generated photo-like scenes (bench/robustness_corpus.py); base
pictures with PDQ quality below 50 are left out, as matching leaves them out. The "bank" holds
the reference PDQ (pdqhash at full resolution, as hotline lists are made) of every base
picture. Each base is altered by every edit in bench/transforms.py, shared as JPEG, and
hashed by Bastion's production path (`hash_bytes`, fast mode).

Metrics: recall at distance 31 per edit and strength; false matches among all distinct pairs
of base pictures (every view of A against the bank hash of B, and of B against A) and among
every altered copy against every other base's hash; lookups per query; hashing time.

    python bench/robustness.py            # full run: 1,000 scenes + references + samples
    python bench/robustness.py --quick    # 60 scenes, under a minute
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bastion.hashing import compute_pdq, compute_pdq_views, hash_bytes
from bastion.signals.pdq import DIHEDRAL_NAMES, MATCH_THRESHOLD, QUALITY_THRESHOLD, pdq_exact
from bastion.signals.pdq_views import TRIMMED, ZOOM_OUT, ZOOM_OUT_WIDE
from bastion.synthetic import encode
from bench.robustness_corpus import (
    REFERENCE_FILES,
    SKIMAGE_FILES,
    Base,
    reference_base,
    scene,
    skimage_base,
)
from bench.transforms import standard_transforms

ZOOMS = (ZOOM_OUT, ZOOM_OUT_WIDE)
CONFIGS: dict[str, frozenset[str]] = {
    "plain": frozenset({"original"}),
    "+dihedral": frozenset(DIHEDRAL_NAMES),
    "+trim": frozenset({"original", TRIMMED}),
    "+zoom": frozenset({"original", *ZOOMS}),
    "+trim+zoom": frozenset({"original", TRIMMED, *ZOOMS}),
    "+dihedral+trim": frozenset({*DIHEDRAL_NAMES, TRIMMED}),
    "+dihedral+zoom": frozenset({*DIHEDRAL_NAMES, *ZOOMS}),
    "default (all)": frozenset({*DIHEDRAL_NAMES, TRIMMED, *ZOOMS}),
}
IDENTITY_QUALITY = 95  # a base picture asked about as itself: one light JPEG round trip


@dataclass(frozen=True, slots=True)
class Query:
    """One hashed copy: the views matching would search, as (name, hex) pairs."""

    views: tuple[tuple[str, str], ...]


def searched(
    views: Iterable[tuple[str, str, int]], plain_quality: int
) -> tuple[tuple[str, str], ...]:
    """The views the matcher searches: dihedral ones only when the plain hash is usable, the
    others when their own quality is (bastion.matching.Matcher._match_pdq)."""
    out = []
    for name, hex_, quality in views:
        usable = plain_quality if name in DIHEDRAL_NAMES else quality
        if usable >= QUALITY_THRESHOLD and hex_ != "0" * 64:
            out.append((name, hex_))
    return tuple(out)


def query_of(data: bytes) -> Query:
    hashed = hash_bytes(data, "query")
    if hashed.pdq is None:
        return Query(())
    views = [(v.name, v.hex, v.quality) for v in hashed.pdq_views]
    return Query(searched(views, hashed.pdq.quality))


def load_base(spec: tuple[str, int]) -> Base | None:
    kind, index = spec
    if kind == "scene":
        return Base(f"scene:{index}", scene(index))
    if kind == "ref":
        return reference_base(REFERENCE_FILES[index])
    return skimage_base(SKIMAGE_FILES[index])


def run_base(spec: tuple[str, int], with_edits: bool) -> tuple[str, str, Query, list[Query]] | None:
    """Bank hash, identity query and one query per edit for one base (a worker's job)."""
    from bastion.hashing import limit_blas_threads

    limit_blas_threads()
    base = load_base(spec)
    if base is None:
        return None
    bank = pdq_exact(np.asarray(base.image))
    if bank.quality < QUALITY_THRESHOLD:
        return None
    identity = query_of(encode(base.image, "JPEG", IDENTITY_QUALITY))
    edits = []
    if with_edits:
        for t in standard_transforms():
            edits.append(query_of(encode(t.edit(base.image), "JPEG", t.jpeg_quality)))
    return base.name, bank.hex, identity, edits


def _job(args: tuple[tuple[str, int], bool]):
    return run_base(*args)


def codes_of(hexes: list[str]) -> np.ndarray:
    return np.array([np.frombuffer(bytes.fromhex(h), dtype=">u8") for h in hexes], dtype=np.uint64)


def near(view_codes: np.ndarray, bank: np.ndarray) -> list[np.ndarray]:
    """For each view, the bank rows within the threshold (chunked popcount)."""
    out = []
    for start in range(0, len(view_codes), 256):
        chunk = view_codes[start : start + 256]
        d = np.bitwise_count(chunk[:, None, :] ^ bank[None, :, :]).sum(axis=2)
        out.extend(np.flatnonzero(row <= MATCH_THRESHOLD) for row in d)
    return out


def hits_by_view(queries: list[Query], bank: np.ndarray) -> list[dict[str, np.ndarray]]:
    """For each query, view name -> bank rows that view matches."""
    flat = [(qi, name, hex_) for qi, q in enumerate(queries) for name, hex_ in q.views]
    result: list[dict[str, np.ndarray]] = [{} for _ in queries]
    if not flat:
        return result
    found = near(codes_of([h for _, _, h in flat]), bank)
    for (qi, name, _), rows in zip(flat, found, strict=True):
        result[qi][name] = rows
    return result


def matched(hits: dict[str, np.ndarray], config: frozenset[str], row: int) -> bool:
    return any(row in rows for name, rows in hits.items() if name in config)


def false_rows(hits: dict[str, np.ndarray], config: frozenset[str], own: int) -> set[int]:
    return {int(r) for name, rows in hits.items() if name in config for r in rows if r != own}


def time_cost(samples: list[bytes], repeats: int = 3) -> tuple[float, float]:
    """Median milliseconds per picture: plain PDQ alone, and PDQ with every view (same
    decode). The two are timed alternately, picture by picture, so that a busy machine
    slows both alike."""
    plain: list[float] = []
    views: list[float] = []
    for data in samples[:5]:
        compute_pdq_views(data, "warm-up")
    for _ in range(repeats):
        for data in samples:
            for fn, times in ((compute_pdq, plain), (compute_pdq_views, views)):
                started = time.perf_counter()
                fn(data, "timing")
                times.append((time.perf_counter() - started) * 1000)
    return float(np.median(plain)), float(np.median(views))


def pct(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.0f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 scenes instead of 1,000")
    parser.add_argument("--scenes", type=int, default=None, help="generated scenes (1000)")
    parser.add_argument(
        "--edited-scenes",
        type=int,
        default=None,
        help="how many of the scenes are also edited for recall (default: all)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    scenes = args.scenes or (60 if args.quick else 1000)
    edited = min(scenes, args.edited_scenes or scenes)

    specs = [(("ref", i), True) for i in range(len(REFERENCE_FILES))]
    specs += [(("skimage", i), True) for i in range(len(SKIMAGE_FILES))]
    specs += [(("scene", i), i < edited) for i in range(scenes)]
    started = time.perf_counter()
    print(
        f"hashing {len(specs)} base pictures and their edits on {args.workers} processes ...",
        file=sys.stderr,
        flush=True,
    )
    with Pool(args.workers) as pool:
        results = [r for r in pool.imap(_job, specs, chunksize=2) if r is not None]
    hashing_s = time.perf_counter() - started
    names = [r[0] for r in results]
    bank = codes_of([r[1] for r in results])
    n = len(results)
    transforms = standard_transforms()

    identity_hits = hits_by_view([r[2] for r in results], bank)
    edited_rows = [i for i, r in enumerate(results) if r[3]]
    edit_hits = {i: hits_by_view(results[i][3], bank) for i in edited_rows}

    print(
        f"# PDQ robustness: {n} base pictures ({sum(not x.startswith('scene') for x in names)} "
        f"reference and sample photos, {sum(x.startswith('scene') for x in names)} generated "
        f"scenes), {len(edited_rows)} of them edited {len(transforms)} ways\n"
    )
    configs = list(CONFIGS)
    print("Recall at distance 31, percent of edited pictures matched to their original.\n")
    print("| edit | strength | " + " | ".join(configs) + " |")
    print("|---|---|" + "---:|" * len(configs))
    groups: dict[str, list[int]] = {}
    for ti, t in enumerate(transforms):
        cells = [
            pct([matched(edit_hits[i][ti], CONFIGS[c], i) for i in edited_rows]) for c in configs
        ]
        print(f"| {t.family} | {t.strength} | " + " | ".join(cells) + " |")
        groups.setdefault(t.family, []).append(ti)
    print("\nTargets of issue 10 (pooled over strengths):\n")
    targets = {
        "rotations 90/180/270 and mirror": groups["rotate"] + groups["mirror"],
        "letterbox and pillarbox (all bars)": groups["letterbox"] + groups["pillarbox"],
        "centre crop 5%": [ti for ti in groups["crop centre"] if transforms[ti].strength == "5%"],
        "screenshot": groups["screenshot"],
    }
    print("| target | " + " | ".join(configs) + " |")
    print("|---|" + "---:|" * len(configs))
    for label, tis in targets.items():
        cells = [
            pct([matched(edit_hits[i][ti], CONFIGS[c], i) for i in edited_rows for ti in tis])
            for c in configs
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")

    pairs = n * (n - 1) // 2
    comparisons = sum(len(results[i][3]) for i in edited_rows) * (n - 1)
    print(
        f"\nFalse matches at distance 31: among all {pairs:,} distinct pairs of base pictures "
        f"(a pair counts once if any view of either matches the other's hash), and among "
        f"{comparisons:,} (altered copy, other base) comparisons. Lookups are the hashes "
        f"searched per query.\n"
    )
    print(
        "| configuration | false pairs | false altered-copy matches | lookups mean | lookups max |"
    )
    print("|---|---:|---:|---:|---:|")
    for c in configs:
        config = CONFIGS[c]
        false_pairs = {
            tuple(sorted((a, b))) for a in range(n) for b in false_rows(identity_hits[a], config, a)
        }
        false_copies = sum(len(false_rows(h, config, i)) for i in edited_rows for h in edit_hits[i])
        lookups = [
            sum(1 for name, _ in q.views if name in config) for r in results for q in [r[2], *r[3]]
        ]
        print(
            f"| {c} | {len(false_pairs)} of {pairs:,} | {false_copies} of {comparisons:,} "
            f"| {np.mean(lookups):.2f} | {max(lookups)} |"
        )

    samples = [encode(scene(100_000 + i), "JPEG", 90) for i in range(100)]
    plain_ms, views_ms = time_cost(samples)
    print(
        f"\nHashing time, one process, 100 generated 640x480-class JPEGs, median of 3: plain PDQ "
        f"{plain_ms:.1f} ms/picture, PDQ with all views {views_ms:.1f} ms/picture "
        f"({views_ms / plain_ms:.2f}x the plain baseline). Whole run: {hashing_s:.0f} s "
        f"hashing on {args.workers} processes."
    )


if __name__ == "__main__":
    main()
