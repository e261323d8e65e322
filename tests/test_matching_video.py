"""Videos through the matcher: listed videos by vPDQ shares, listed stills found inside
videos by their frames, per-bank rules, and video in scans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bastion.banks import formats
from bastion.hashing import hash_bytes, hash_file
from bastion.matching import Matcher, Query
from bastion.signals.pdq import pdq_exact
from bastion.store.banks import BankStore
from bastion.synthetic import photo_like
from tests.video_factory import video


@pytest.fixture
def banks(store) -> BankStore:
    return BankStore(store)


def import_vpdq(
    banks: BankStore, bank: str, paths: list[Path], category: str = "A", **settings
) -> None:
    if not banks.exists(bank):
        banks.create(bank, "local", **settings)
    for path in paths:
        banks.import_items(bank, formats.read(path, "vpdq", label=category))


def test_chair_variants_match_the_listed_chair_and_unrelated_videos_do_not(
    banks, reference: Path
) -> None:
    expected = reference / "vpdq" / "expected"
    import_vpdq(banks, "videos", [expected / "chair-orig-22-sd-bar.txt"])
    matcher = Matcher(banks.store)
    videos = reference / "vpdq" / "videos"
    for variant in ("chair-22-sd-grey-bar", "chair-22-with-small-logo-bar"):
        result = matcher.match(Query.of(hash_file(videos / f"{variant}.mp4")))
        (m,) = result.matches
        assert m.signal_type == "vpdq" and m.query_percent >= 80, (variant, m)
        assert m.time_ranges and m.time_ranges[0][0] == 0.0
    for unrelated in ("pattern-sd-grey-bar", "doorknob-hd-no-bar"):
        assert not matcher.match(Query.of(hash_file(videos / f"{unrelated}.mp4"))).matched, (
            unrelated
        )


def test_a_bank_can_require_most_of_the_listed_video(banks, reference: Path) -> None:
    expected = reference / "vpdq" / "expected"
    # A compilation rule: most of the listed video must be found in the query.
    import_vpdq(
        banks,
        "strict",
        [expected / "chair-orig-22-sd-bar.txt"],
        vpdq_query_percent=0,
        vpdq_listed_percent=95,
    )
    result = Matcher(banks.store).match(
        Query.of(hash_file(reference / "vpdq" / "videos" / "chair-22-sd-grey-bar.mp4"))
    )
    assert not result.matched  # 1 frame per second covers far less than 95% of a 673-frame listing


def test_a_listed_still_shown_in_a_video_is_found_by_its_frames(banks) -> None:
    still = np.asarray(photo_like(4242, 160, 120))
    data = video(seconds=6, fps=10, still=still, still_between=(2.0, 4.0))
    listed = pdq_exact(still).hex
    banks.create("stills", "iwf")
    banks.import_items("stills", [formats.Row(1, "pdq", listed, "B")])
    result = Matcher(banks.store).match(Query.of(hash_bytes(data, "clip.mp4")))
    (m,) = result.matches
    assert m.signal_type == "pdq" and m.variant == "frame" and m.category.value == "B"
    start, end = m.time_ranges[0]
    assert 2.0 <= start <= end < 4.0


def test_removing_a_listed_video_takes_effect_on_refresh(banks, reference: Path) -> None:
    expected = reference / "vpdq" / "expected" / "chair-orig-22-sd-bar.txt"
    import_vpdq(banks, "videos", [expected])
    matcher = Matcher(banks.store)
    query = Query.of(hash_file(reference / "vpdq" / "videos" / "chair-22-sd-grey-bar.mp4"))
    assert matcher.match(query).matched and matcher.video_entries == 1
    banks.import_items("videos", formats.read(expected, "vpdq"), remove=True)
    matcher.refresh()
    assert not matcher.match(query).matched and matcher.video_entries == 0


def test_vpdq_folder_import_reports_a_bad_file_by_name(
    banks, tmp_path: Path, reference: Path
) -> None:
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "good.txt").write_text(
        (reference / "vpdq" / "expected" / "pattern-sd-grey-bar.txt").read_text()
    )
    (folder / "bad.txt").write_text("0,100,nothex,0.000\n")
    items = list(formats.read(folder, "vpdq", label="C"))
    errors = [i for i in items if isinstance(i, formats.RowError)]
    rows = [i for i in items if isinstance(i, formats.Row)]
    assert len(rows) == 1 and rows[0].source_id == "good" and rows[0].label == "C"
    assert errors[0].unit == "file" and "bad.txt" in errors[0].reason
