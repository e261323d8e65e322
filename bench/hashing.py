"""Benchmark: PDQ hashing throughput, Bastion fast mode vs the python-threatexchange baseline.

Baseline (what python-threatexchange and HMA do): Pillow decodes the file at full resolution,
converts to RGB, and pdqhash (Meta's C++) hashes it. Bastion: `compute_pdq(..., "fast")`.
Both run single-process, pinned to one core, on the same deterministic benign corpus:
200 photo-like JPEGs at 1024x768 and 50 at 4032x3024.

    python bench/hashing.py [--small 200] [--large 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bastion.hashing import compute_pdq
from bastion.signals.pdq import hamming
from bench.corpus import jpeg_corpus


def baseline_pdq(path: Path) -> str:
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    bits, _quality = pdqhash.compute(rgb)
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def bastion_pdq(path: Path) -> str:
    return compute_pdq(path.read_bytes(), str(path), "fast")[0].hex


def timed(fn, paths: list[Path]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    hashes = [fn(p) for p in paths]
    return time.perf_counter() - started, hashes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=200, help="1024x768 JPEGs")
    parser.add_argument("--large", type=int, default=50, help="4032x3024 JPEGs")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    print("generating corpus (cached in bench/out/) ...", flush=True)
    small = jpeg_corpus("hashing-1024x768", args.small, (1024, 768), seed0=0)
    large = jpeg_corpus("hashing-4032x3024", args.large, (4032, 3024), seed0=10_000)
    corpus = small + large
    for p in corpus[:3]:  # warm the page cache and lazy imports
        baseline_pdq(p), bastion_pdq(p)

    rows = []
    for label, paths in (("1024x768", small), ("4032x3024", large), ("mixed", corpus)):
        t_base, h_base = timed(baseline_pdq, paths)
        t_fast, h_fast = timed(bastion_pdq, paths)
        distances = [hamming(a, b) for a, b in zip(h_base, h_fast, strict=True)]
        rows.append(
            (
                label,
                len(paths),
                len(paths) / t_base,
                len(paths) / t_fast,
                t_base / t_fast,
                statistics.median(distances),
                max(distances),
            )
        )

    print()
    print("PDQ hashing, single process on one core (images/s; distance in bits vs baseline)")
    print(
        f"{'corpus':<11}{'images':>7}{'baseline':>11}{'bastion':>10}{'ratio':>8}{'median d':>10}{'max d':>7}"
    )
    for label, n, base, fast, ratio, med, worst in rows:
        print(f"{label:<11}{n:>7}{base:>11.1f}{fast:>10.1f}{ratio:>7.1f}x{med:>10.1f}{worst:>7}")
    mixed = rows[-1]
    print()
    print("baseline = Pillow full-resolution decode + pdqhash (python-threatexchange/HMA path)")
    print(
        f"RESULT mixed corpus: bastion fast {mixed[3]:.1f} img/s vs baseline {mixed[2]:.1f} img/s "
        f"= {mixed[4]:.1f}x (target >= 5x); max distance {mixed[6]} bits (target <= 10)"
    )


if __name__ == "__main__":
    main()
