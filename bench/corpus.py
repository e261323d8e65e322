"""Deterministic benign corpora for benchmarks, cached under bench/out/."""

from __future__ import annotations

from pathlib import Path

from bastion.synthetic import photo_like_jpeg

OUT = Path(__file__).resolve().parent / "out"


def jpeg_corpus(name: str, count: int, size: tuple[int, int], seed0: int) -> list[Path]:
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{i:05d}.jpg"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(photo_like_jpeg(seed0 + i, *size, quality=90))
            tmp.rename(path)
        paths.append(path)
    return paths
