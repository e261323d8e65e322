"""Scoring one vPDQ hash against another: shares matched, thresholds, matched time ranges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bastion.signals.pdq import pdq_exact
from bastion.signals.vpdq import VpdqFrame, VpdqHash, hash_video, parse_vpdq
from bastion.signals.vpdq_score import TimeRange, score
from bastion.synthetic import photo_like
from tests.video_factory import video

CHAIRS = ["chair-orig-22-sd-bar", "chair-22-sd-grey-bar", "chair-22-with-small-logo-bar"]


@pytest.fixture(scope="module")
def sampled(reference: Path) -> dict[str, VpdqHash]:
    """The reference videos hashed at Bastion's default, one frame per second."""
    folder = reference / "vpdq" / "videos"
    return {p.stem: hash_video(p) for p in sorted(folder.glob("*.mp4"))}


def _flip(hex_hash: str, bits: int) -> str:
    return f"{int(hex_hash, 16) ^ ((1 << bits) - 1):064x}"


def _hash(*frames: tuple[str, int, float]) -> VpdqHash:
    return VpdqHash(tuple(VpdqFrame(i, q, h, t) for i, (h, q, t) in enumerate(frames)))


A = "f" * 32 + "0" * 32
B = "0f" * 32
C = "a5" * 32


@pytest.mark.parametrize("query", CHAIRS)
@pytest.mark.parametrize("listed", CHAIRS)
def test_the_three_chair_variants_match_each_other(
    sampled: dict[str, VpdqHash], query: str, listed: str
) -> None:
    result = score(sampled[query], sampled[listed])
    assert result.matches()
    assert result.matches(min_query_percent=0, min_listed_percent=80)


@pytest.mark.parametrize("other", ["pattern-sd-grey-bar", "doorknob-hd-no-bar"])
def test_pattern_and_doorknob_do_not_match_the_chair(
    sampled: dict[str, VpdqHash], other: str
) -> None:
    for chair in CHAIRS:
        for query, listed in ((sampled[chair], sampled[other]), (sampled[other], sampled[chair])):
            result = score(query, listed)
            assert result.query_percent == 0 and result.listed_percent == 0
            assert not result.matches() and not result.matches(0, 80)


def test_reference_expected_hashes_of_chair_variants_match(reference: Path) -> None:
    expected = reference / "vpdq" / "expected"
    orig = parse_vpdq((expected / "chair-orig-22-sd-bar.txt").read_text())
    grey = parse_vpdq((expected / "chair-22-sd-grey-bar.txt").read_text())
    result = score(grey, orig)
    assert result.query_percent == 100 and result.listed_percent == 100


def test_still_shown_inside_a_video_is_found_by_its_frames_and_time_range() -> None:
    still = np.asarray(photo_like(777, 160, 120))
    data = video(seconds=8, fps=10, still=still, still_between=(3, 6), options={"crf": "18"})
    query = hash_video(data, "clip.mp4")
    listed = _hash((pdq_exact(still).hex, 100, 0.0))
    result = score(query, listed)
    assert result.listed_percent == 100
    assert result.query_ranges == (TimeRange(3.0, 5.0),)


def test_distance_threshold_is_inclusive_by_default() -> None:
    query, listed = _hash((A, 100, 0.0)), _hash((_flip(A, 31), 100, 0.0))
    assert score(query, listed).query_percent == 100
    assert score(query, listed, max_frame_distance=30).query_percent == 0  # the C++ `<` rule


def test_low_quality_frames_are_ignored() -> None:
    query = _hash((A, 100, 0.0), (B, 49, 1.0))
    listed = _hash((A, 100, 0.0), (B, 100, 1.0))
    result = score(query, listed)
    assert result.query_usable == 1 and result.query_percent == 100
    assert result.listed_usable == 2 and result.listed_percent == 50


def test_repeated_frames_count_once() -> None:
    query = _hash((A, 100, 0.0), (A, 100, 1.0), (A, 100, 2.0), (C, 100, 3.0))
    listed = _hash((A, 100, 0.0))
    result = score(query, listed)
    assert result.query_usable == 2 and result.query_percent == 50


def test_clip_of_a_listed_video_matches_by_default_but_not_under_the_readme_rule() -> None:
    listed = _hash((A, 100, 0.0), (B, 100, 1.0), (C, 100, 2.0), (_flip(C, 100), 100, 3.0))
    clip = _hash((B, 100, 0.0), (C, 100, 1.0))
    result = score(clip, listed)
    assert (result.query_percent, result.listed_percent) == (100, 50)
    assert result.matches()  # python-threatexchange: P_q = 80, P_c = 0
    assert not result.matches(min_query_percent=0, min_listed_percent=80)  # README example


def test_matched_runs_merge_consecutive_frames_and_skip_unusable_ones() -> None:
    query = _hash(
        (A, 100, 0.0), (B, 10, 1.0), (A, 100, 2.0), (C, 100, 3.0), (A, 100, 4.0), (A, 100, 5.0)
    )
    result = score(query, _hash((A, 100, 0.0)))
    assert result.query_ranges == (TimeRange(0.0, 2.0), TimeRange(4.0, 5.0))


def test_nothing_usable_never_matches() -> None:
    result = score(_hash((A, 10, 0.0)), _hash((A, 10, 0.0)))
    assert result.query_usable == 0 and not result.matches(0, 0)


def test_large_hashes_are_compared_in_bounded_blocks() -> None:
    rng = np.random.default_rng(1)
    hashes = [rng.bytes(32).hex() for _ in range(3000)]
    query = _hash(*((h, 100, float(i)) for i, h in enumerate(hashes)))
    listed = _hash(*((h, 100, float(i)) for i, h in enumerate(hashes[::3])))
    result = score(query, listed)
    assert result.listed_percent == 100
    assert result.query_percent == pytest.approx(100 / 3, abs=0.1)
