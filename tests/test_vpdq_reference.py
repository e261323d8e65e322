"""vPDQ against Meta's reference hashes of the benign sample videos (every frame)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bastion.signals.pdq import QUALITY_THRESHOLD, hamming
from bastion.signals.vpdq import VpdqHash, hash_video, parse_vpdq

VIDEOS = [
    "chair-orig-22-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-with-small-logo-bar",
    "pattern-sd-grey-bar",
    "doorknob-hd-no-bar",
    "test-padded-dimensions",
]
FRAME_TOLERANCE = 31  # vpdq/python/tests/test_vpdq_hash.py: distance < 31 where both q >= 50


def expected(reference: Path, name: str) -> VpdqHash:
    return parse_vpdq((reference / "vpdq" / "expected" / f"{name}.txt").read_text())


@pytest.fixture(scope="module")
def every_frame(reference: Path) -> dict[str, VpdqHash]:
    videos = reference / "vpdq" / "videos"
    return {name: hash_video(videos / f"{name}.mp4", seconds_per_hash=0) for name in VIDEOS}


@pytest.mark.parametrize("name", VIDEOS)
def test_every_frame_agrees_with_the_reference_hasher(
    reference: Path, every_frame: dict[str, VpdqHash], name: str
) -> None:
    want = expected(reference, name)
    got = every_frame[name]
    assert len(got) == len(want)
    assert [f.number for f in got.frames] == [f.number for f in want.frames]
    assert [f"{f.timestamp:.3f}" for f in got.frames] == [f"{f.timestamp:.3f}" for f in want.frames]
    distances = [
        hamming(a.pdq, b.pdq)
        for a, b in zip(got.frames, want.frames, strict=True)
        if a.quality >= QUALITY_THRESHOLD and b.quality >= QUALITY_THRESHOLD
    ]
    assert distances, "some frames must be usable on both sides"
    print(
        f"\n{name}: {len(distances)}/{len(want)} frames usable on both sides, distance median "
        f"{statistics.median(distances)}, max {max(distances)}"
    )
    assert max(distances) <= FRAME_TOLERANCE


@pytest.mark.parametrize("name", ["chair-orig-22-sd-bar", "doorknob-hd-no-bar"])
def test_quality_agrees_with_the_reference_hasher(
    reference: Path, every_frame: dict[str, VpdqHash], name: str
) -> None:
    pairs = zip(every_frame[name].frames, expected(reference, name).frames, strict=True)
    assert max(abs(a.quality - b.quality) for a, b in pairs) <= 2
