"""Scoring one vPDQ hash against another: how much of each video is found in the other.

The brute comparison of Meta's vPDQ (vpdq/README.md "Comparison (Matching) Algorithm";
vpdq/cpp/vpdq/cpp/hashing/matchTwoHash.cpp; python-threatexchange
extensions/vpdq/vpdq_brute_matcher.py): keep frames with PDQ quality >= 50, take the unique
hashes of each video, and count a frame hash as matched when some hash of the other video is
within the frame distance. The two shares are

* query %:  matched unique usable query hashes / unique usable query hashes, and
* listed %: matched unique usable listed hashes / unique usable listed hashes.

Choices, where the references disagree:

* Frame distance is inclusive (`<= 31`), as in the README's pseudocode, python-threatexchange
  and PDQ's own rule ("<=31"). The C++ `matchTwoHashBrute` counts `distance < tolerance`, so the
  C++ CLI with tolerance 31 accepts only <= 30; pass `max_frame_distance=30` to reproduce it.
* Quality is filtered before hashes are made unique (a hash seen once with quality >= 50 is
  kept). python-threatexchange makes unique first, keeping the first occurrence's quality;
  identical PDQ hashes with different qualities are too rare to matter.
* Match rule (`VpdqScore.matches`): the README's example requires listed % >= 80 and query %
  >= 0 (P_c = 80, P_q = 0); python-threatexchange's index uses query % >= 80 and listed %
  >= 0. Bastion's default is python-threatexchange's: a query that is a clip of a listed video
  (the common case of re-shared, trimmed material) is found, and results agree with HMA
  deployments. A query that *contains* a listed video amid other material (a compilation) has a
  low query % but a high listed %: also test `matches(min_query_percent=0,
  min_listed_percent=80)` to catch it. Both thresholds are parameters.

Frame timestamps are used only for the matched time ranges of the query, which the comparison
itself ignores (the README treats frames as a bag of hashes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bastion.signals.pdq import MATCH_THRESHOLD, QUALITY_THRESHOLD
from bastion.signals.vpdq import VpdqFrame, VpdqHash

DEFAULT_MIN_QUERY_PERCENT = 80.0  # python-threatexchange VPDQ_QUERY_MATCH_THRESHOLD_PERCENT
DEFAULT_MIN_LISTED_PERCENT = 0.0  # python-threatexchange VPDQ_INDEX_MATCH_THRESHOLD_PERCENT
# Compare this many query rows against all listed hashes at once (bounds memory).
_BLOCK_CELLS = 1 << 22


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: float  # timestamp of the first matched frame of a run, seconds
    end: float  # timestamp of the last matched frame of the run


@dataclass(frozen=True, slots=True)
class VpdqScore:
    query_percent: float  # 0-100: share of the query's unique usable hashes matched
    listed_percent: float  # 0-100: share of the listed video's unique usable hashes matched
    query_usable: int  # unique usable hashes in the query
    listed_usable: int
    query_ranges: tuple[TimeRange, ...]  # where in the query the matched frames are

    def matches(
        self,
        min_query_percent: float = DEFAULT_MIN_QUERY_PERCENT,
        min_listed_percent: float = DEFAULT_MIN_LISTED_PERCENT,
    ) -> bool:
        """The reference rule: query % >= P_q and listed % >= P_c (and something matched)."""
        if self.query_usable == 0 or self.listed_usable == 0:
            return False
        return (
            self.query_percent >= min_query_percent
            and self.listed_percent >= min_listed_percent
            and (self.query_percent > 0 or self.listed_percent > 0)
        )


def _packed(hashes: list[str]) -> np.ndarray:
    """(n, 4) uint64 words of 64-character hex PDQ hashes (bit order is irrelevant to
    Hamming distance as long as both sides share it)."""
    if not hashes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(hashes))
    return np.frombuffer(raw, dtype=np.uint8).view(np.uint64).reshape(len(hashes), 4)


def _matched(
    query: np.ndarray, listed: np.ndarray, max_distance: int
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks: query rows within max_distance of some listed row, and vice versa."""
    query_hit = np.zeros(len(query), dtype=bool)
    listed_hit = np.zeros(len(listed), dtype=bool)
    if len(query) == 0 or len(listed) == 0:
        return query_hit, listed_hit
    block = max(1, _BLOCK_CELLS // len(listed))
    for start in range(0, len(query), block):
        rows = query[start : start + block]
        distance = np.bitwise_count(rows[:, None, :] ^ listed[None, :, :]).sum(
            axis=2, dtype=np.int32
        )
        close = distance <= max_distance
        query_hit[start : start + block] = close.any(axis=1)
        listed_hit |= close.any(axis=0)
    return query_hit, listed_hit


def time_ranges(frames: list[VpdqFrame], matched: set[str]) -> tuple[TimeRange, ...]:
    """Runs of consecutive usable query frames whose hash matched. Frames below the quality
    threshold (dark, blank) neither extend nor break a run."""
    ranges: list[TimeRange] = []
    start: float | None = None
    last = 0.0
    for frame in frames:
        if frame.pdq in matched:
            if start is None:
                start = frame.timestamp
            last = frame.timestamp
        elif start is not None:
            ranges.append(TimeRange(start, last))
            start = None
    if start is not None:
        ranges.append(TimeRange(start, last))
    return tuple(ranges)


def score(
    query: VpdqHash,
    listed: VpdqHash,
    *,
    max_frame_distance: int = MATCH_THRESHOLD,
    min_quality: int = QUALITY_THRESHOLD,
) -> VpdqScore:
    """How much of `query` is found in `listed` and of `listed` in `query` (pure; no index)."""
    query_frames = [f for f in query.frames if f.quality >= min_quality]
    query_unique = list(dict.fromkeys(f.pdq for f in query_frames))
    listed_unique = list(dict.fromkeys(f.pdq for f in listed.frames if f.quality >= min_quality))
    query_hit, listed_hit = _matched(
        _packed(query_unique), _packed(listed_unique), max_frame_distance
    )
    matched = {h for h, hit in zip(query_unique, query_hit, strict=True) if hit}
    return VpdqScore(
        query_percent=100.0 * len(matched) / len(query_unique) if query_unique else 0.0,
        listed_percent=100.0 * int(listed_hit.sum()) / len(listed_unique) if listed_unique else 0.0,
        query_usable=len(query_unique),
        listed_usable=len(listed_unique),
        query_ranges=time_ranges(query_frames, matched),
    )
