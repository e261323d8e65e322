"""Benchmark: `bastion scan` of a generated Telegram export vs the straightforward baseline.

The export: 20,000 photos (sizes mixed as Telegram sends them: 640 to 1600 px on the long side),
10% of them re-posted from several messages (one file, several references), 1% listed in a bank
that also holds 100,000 unrelated PDQ hashes. Every picture is generated and benign.

Baseline (what a script would do): one process, per file: Pillow full-resolution decode,
pdqhash, MD5, and a faiss IndexBinaryFlat range search (radius 32 = distance <= 31) over the
bank. It runs on every 10th file (a fixed stride, so the same size mix) to keep the run short;
its files/s is measured on that sample and its total time extrapolated, which the output says.

Bastion runs twice on the same export: its default matching (dihedral variants and PDQ views,
docs/robustness.md) and `--plain --no-dihedral` (one lookup per file, as the baseline matches).

    python bench/scan.py [--files 20000] [--baseline-stride 10] [--workers 0] [--skip-plain]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import OUT

SIZES = [(1280, 960)] * 3 + [(800, 600)] * 5 + [(640, 480)] * 1 + [(1600, 1200)] * 1


def generate(folder: Path, files: int, seed: int = 7) -> list[Path]:
    """A full-account export: result.json naming `files` photos in chats/chat_1/photos/."""
    from PIL import Image, ImageDraw

    from bastion.synthetic import photo_like

    rng = random.Random(seed)
    photos = folder / "chats" / "chat_1" / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    bases = {size: [photo_like(seed * 1000 + i, *size) for i in range(40)] for size in set(SIZES)}
    paths = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(files):
        size = SIZES[i % len(SIZES)]
        base = bases[size][rng.randrange(40)]
        # A random crop (up to 15% per side) and flip make every file a different picture to
        # PDQ, not just different bytes; a few marks make it unique.
        w, h = size
        left, top = rng.randrange(int(w * 0.15)), rng.randrange(int(h * 0.15))
        right, bottom = w - rng.randrange(int(w * 0.15)), h - rng.randrange(int(h * 0.15))
        image = base.crop((left, top, right, bottom)).resize(size)
        if rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        draw = ImageDraw.Draw(image)
        for _ in range(3):
            x, y = rng.randrange(w - 60), rng.randrange(h - 60)
            draw.rectangle(
                (x, y, x + rng.randrange(20, 60), y + rng.randrange(20, 60)),
                fill=tuple(rng.randrange(256) for _ in range(3)),
            )
        name = f"photo_{i + 1}@{(start + timedelta(minutes=i)):%d-%m-%Y_%H-%M-%S}.jpg"
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=87)
        (photos / name).write_bytes(buf.getvalue())
        paths.append(photos / name)
    messages, mid = [], 1
    for i, path in enumerate(paths):
        posts = 3 if i % 10 == 0 else 1  # 10% re-posted: one file, three messages
        for _ in range(posts):
            when = start + timedelta(minutes=i, seconds=mid % 60)
            messages.append(
                {
                    "id": mid,
                    "type": "message",
                    "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
                    "date_unixtime": str(int(when.timestamp())),
                    "from": "Bench Sender",
                    "from_id": "user100" if mid % 4 else "user1",
                    "photo": str(path.relative_to(folder)),
                    "width": 640,
                    "height": 480,
                    "text": "",
                }
            )
            mid += 1
    result = {
        "about": "Here is the data you requested.",
        "personal_information": {
            "user_id": 1,
            "first_name": "Bench",
            "last_name": "Owner",
            "phone_number": "+44 7700 900000",
        },
        "chats": {
            "about": "",
            "list": [
                {
                    "name": "Bench Group",
                    "type": "private_supergroup",
                    "id": 4400,
                    "messages": messages,
                }
            ],
        },
    }
    (folder / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return paths


def baseline(paths: list[Path], bank_codes: np.ndarray, listed_md5: set[str]) -> tuple[float, int]:
    import faiss
    import pdqhash
    from PIL import Image

    faiss.omp_set_num_threads(1)
    index = faiss.IndexBinaryFlat(256)
    index.add(bank_codes)
    matched = 0
    started = time.perf_counter()
    for path in paths:
        data = path.read_bytes()
        md5 = hashlib.md5(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            rgb = np.asarray(im.convert("RGB"))
        bits, _ = pdqhash.compute(rgb)
        code = np.packbits(bits.astype(np.uint8)).reshape(1, 32)
        lims, _, _ = index.range_search(code, 32)
        matched += int(lims[1] > 0 or md5 in listed_md5)
    return time.perf_counter() - started, matched


def scan_once(export, paths, filler, listed_hashes, workers: int, views: bool) -> tuple[float, int]:
    """`bastion scan` of the export into a fresh SQLite store: (seconds, distinct matched)."""
    from bastion.banks.formats.base import Row
    from bastion.cases.summary import summarise
    from bastion.scan.pipeline import ScanOptions, scan
    from bastion.store import Store
    from bastion.store.banks import BankStore

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        banks = BankStore(store)
        banks.create("bench", "iwf")
        rows = [Row(i + 1, "pdq", bytes(c).hex(), "C") for i, c in enumerate(filler)]
        # The listed 1% by MD5 and by PDQ, as the baseline's index holds them.
        rows += [
            Row(len(rows) + i + 1, "md5", h.digests.md5, "A") for i, h in enumerate(listed_hashes)
        ]
        rows += [Row(len(rows) + i + 1, "pdq", h.pdq.hex, "A") for i, h in enumerate(listed_hashes)]
        banks.import_items("bench", rows)
        references = json.loads((export / "result.json").read_text())["chats"]["list"][0][
            "messages"
        ]
        print(
            f"export: {len(paths):,} files, {len(references):,} references; bank: {len(rows):,} "
            f"entries; views {'on' if views else 'off'}",
            flush=True,
        )
        started = time.perf_counter()
        scan(
            store,
            export,
            "bench",
            ScanOptions(workers=workers, views=views, dihedral=views),
            "bench",
        )
        seconds = time.perf_counter() - started
        summary = summarise(store, "bench")
        assert summary.accounted, summary.states
        matched = summary.distinct_matched.total()
        store.close()
    return seconds, matched


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--baseline-stride", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--skip-plain", action="store_true", help="only the default (views) configuration"
    )
    args = parser.parse_args()

    from bastion.hashing import hash_file

    export = OUT / f"scan-export-v2-{args.files}"
    if not (export / "result.json").is_file():
        print(f"generating {args.files:,} benign photos into {export} (cached) ...", flush=True)
        generate(export, args.files)
    paths = sorted((export / "chats" / "chat_1" / "photos").glob("*.jpg"))
    listed = paths[::100]  # 1%
    rng = np.random.default_rng(3)
    filler = rng.integers(0, 256, size=(100_000, 32), dtype=np.uint8)
    listed_hashes = [hash_file(p) for p in listed]
    listed_codes = np.array(
        [np.frombuffer(bytes.fromhex(h.pdq.hex), np.uint8) for h in listed_hashes]
    )

    runs = {}
    for label, views in (
        ("bastion scan (default: views)", True),
        ("bastion scan --plain --no-dihedral", False),
    ):
        if not views and args.skip_plain:
            continue
        runs[label] = scan_once(export, paths, filler, listed_hashes, args.workers, views)
    sample = paths[:: args.baseline_stride]
    base_seconds, base_matched = baseline(
        sample, np.vstack([filler, listed_codes]), {h.digests.md5 for h in listed_hashes}
    )
    base_rate = len(sample) / base_seconds
    print()
    print(f"{'':32}{'files':>8}{'seconds':>10}{'files/s':>10}{'matched':>9}")
    print(
        f"{'baseline (1 process)':32}{len(sample):>8}{base_seconds:>10.1f}{base_rate:>10.1f}{base_matched:>9}"
    )
    print(
        f"{'  extrapolated to all files':32}{len(paths):>8}{len(paths) / base_rate:>10.1f}{'':>10}"
    )
    for label, (seconds, matched) in runs.items():
        print(f"{label:32}{len(paths):>8}{seconds:>10.1f}{len(paths) / seconds:>10.1f}{matched:>9}")
    print()
    for label, (seconds, _) in runs.items():
        rate = len(paths) / seconds
        print(
            f"RESULT {label}: {rate:.1f} files/s vs baseline {base_rate:.1f} files/s = "
            f"{rate / base_rate:.1f}x (target >= 8x); total {seconds:.0f} s, "
            f"baseline extrapolated {len(paths) / base_rate:.0f} s"
        )
    print(
        "baseline = Pillow full-resolution decode + pdqhash + MD5 + faiss IndexBinaryFlat, per "
        "file, one process (plain PDQ: no rotations, no views); matched = files with a match, "
        "the baseline's among its sample only"
    )


if __name__ == "__main__":
    main()
