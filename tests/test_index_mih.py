"""The multi-index-hashing PDQ index answers exactly what the brute-force index answers."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.hashing import hash_file
from bastion.index import (
    IndexFileError,
    LinearPdqIndex,
    MihPdqIndex,
    pdq_codes,
)
from bastion.index.segment import Layout, Segment, code_words

# Small forced layouts put a 1,350-code set through the hashing tables (by default a set that
# small is scanned linearly); crowded_after=0 sends every query down the crowded fallback.
PROBE = {"crowded_after": 10**9, "always_probe": True}
LAYOUTS = {
    "default": {},
    "8x8": {"layout": Layout(8, 8), **PROBE},
    "16x10": {"layout": Layout(16, 10), **PROBE},
    "16x16": {"layout": Layout(16, 16), **PROBE},
    "11x10-crowded": {"layout": Layout(11, 10), "crowded_after": 0, "always_probe": True},
}


def flip_bits(code: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(code)
    chosen = rng.choice(256, size=k, replace=False)
    bits[chosen] ^= 1
    return np.packbits(bits)


def random_codes(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32), dtype=np.uint8)


def linear(ids: np.ndarray, codes: np.ndarray) -> LinearPdqIndex:
    index = LinearPdqIndex()
    index.add(ids, codes)
    return index


@pytest.fixture(scope="module")
def haystack(reference: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hashes = reference / "pdq" / "hashes"
    hay = pdq_codes((hashes / "haystack.txt").read_text().split())
    needles = pdq_codes((hashes / "needles.txt").read_text().split())
    ids = np.arange(hay.shape[0], dtype=np.int64) * 7 + 3
    return ids, hay, needles


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("radius", [31, 63])
def test_reference_needles_match_brute_force(haystack, layout, radius):
    ids, hay, needles = haystack
    index = MihPdqIndex.build(ids, hay, **LAYOUTS[layout])
    expected = linear(ids, hay).search(needles, radius).as_tuples()
    assert expected, "the reference needles should have neighbours"
    assert index.search(needles, radius).as_tuples() == expected


def spread_flips(code: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Flip k bits dealt round-robin over 16-bit words: the pigeonhole's tightest case."""
    bits = np.unpackbits(code)
    for word in range(16):
        count = k // 16 + (1 if word < k % 16 else 0)
        bits[word * 16 + rng.choice(16, size=count, replace=False)] ^= 1
    return np.packbits(bits)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    radius=st.sampled_from([31, 63]),
    layout=st.sampled_from([Layout(8, 8), Layout(16, 16), Layout(32, 8), Layout(11, 12)]),
    spread=st.booleans(),
)
def test_planted_neighbours_at_the_radius_edge_are_exact(seed, radius, layout, spread):
    rng = np.random.default_rng(seed)
    base = random_codes(300, seed)
    centre = base[0]
    plant = spread_flips if spread else flip_bits
    planted = np.stack([plant(centre, radius + k, rng) for k in (-1, -1, 0, 0, 1, 1)])
    codes = np.concatenate([base, planted])
    ids = np.arange(codes.shape[0], dtype=np.int64) + 1000
    index = MihPdqIndex.build(ids, codes, layout=layout, **PROBE)
    found = index.search(centre[None], radius)
    planted_ids = set(ids[300:].tolist())
    assert set(found.ids.tolist()) & planted_ids == set(ids[300:304].tolist())
    assert found.as_tuples() == linear(ids, codes).search(centre[None], radius).as_tuples()


def test_default_layout_on_twenty_thousand_codes_finds_planted_matches():
    rng = np.random.default_rng(7)
    codes = random_codes(20_000, 7)
    queries = np.stack([flip_bits(codes[i], int(rng.integers(0, 40)), rng) for i in range(200)])
    ids = np.arange(codes.shape[0], dtype=np.int64)
    index = MihPdqIndex.build(ids, codes)
    assert index.stats().segments == (20_000,)
    for radius in (0, 31, 32):
        assert (
            index.search(queries, radius).as_tuples()
            == linear(ids, codes).search(queries, radius).as_tuples()
        )


def test_clustered_codes_are_found_exactly():
    # Near-duplicates crowd a few buckets: both the hashing path and the per-query fallback
    # to a scan must stay exact.
    rng = np.random.default_rng(3)
    seeds = random_codes(5, 3)
    cluster = np.stack(
        [flip_bits(seeds[i % 5], int(rng.integers(0, 12)), rng) for i in range(5000)]
    )
    codes = np.concatenate([cluster, random_codes(5000, 4)])
    ids = np.arange(codes.shape[0], dtype=np.int64)
    queries = np.concatenate([seeds, codes[-5:]])
    expected = linear(ids, codes).search(queries, 31).as_tuples()
    for options in ({}, {"crowded_after": 100}):
        index = MihPdqIndex.build(ids, codes, **options)
        assert index.search(queries, 31).as_tuples() == expected


def test_a_hit_found_in_several_tables_is_reported_once(haystack):
    ids, hay, _ = haystack
    index = MihPdqIndex.build(ids, hay, layout=Layout(16, 10), **PROBE)
    hits = index.search(hay[:50], 0)
    assert hits.as_tuples() == [(i, int(ids[i]), 0) for i in range(50)]


def test_added_entries_are_found_by_the_next_search(haystack):
    ids, hay, needles = haystack
    index = MihPdqIndex(layout=Layout(8, 8), **PROBE)
    for start in range(0, hay.shape[0], 97):
        index.add(ids[start : start + 97], hay[start : start + 97])
    assert len(index) == hay.shape[0]
    assert index.search(needles, 31).as_tuples() == linear(ids, hay).search(needles, 31).as_tuples()


def test_small_adds_merge_into_few_segments():
    index = MihPdqIndex()
    codes = random_codes(20_000, 11)
    for start in range(0, 20_000, 500):
        index.add(np.arange(start, start + 500), codes[start : start + 500])
    assert len(index.stats().segments) <= 6
    assert index.search(codes[::1000], 0).ids.tolist() == list(range(0, 20_000, 1000))


def test_removed_entries_are_gone_from_the_next_search(haystack):
    ids, hay, needles = haystack
    index = MihPdqIndex.build(ids, hay, layout=Layout(8, 8), **PROBE)
    reference = linear(ids, hay)
    gone = ids[::3]
    index.remove(gone)
    reference.remove(gone)
    assert len(index) == hay.shape[0] - gone.shape[0]
    assert not index.contains(gone).any()
    assert index.search(needles, 31).as_tuples() == reference.search(needles, 31).as_tuples()


def test_removing_an_absent_id_is_ignored(haystack):
    ids, hay, _ = haystack
    index = MihPdqIndex.build(ids, hay)
    index.remove(np.array([-5, 2]))
    assert len(index) == hay.shape[0]


def test_adding_a_present_id_is_refused(haystack):
    ids, hay, _ = haystack
    index = MihPdqIndex.build(ids, hay)
    with pytest.raises(ValueError, match="already in the index: 3"):
        index.add(ids[:2], hay[:2])


def test_a_removed_id_can_be_added_again_with_a_new_code(haystack):
    ids, hay, _ = haystack
    index = MihPdqIndex.build(ids, hay)
    index.remove(ids[:1])
    index.add(ids[:1], hay[1:2])
    assert index.search(hay[1:2], 0).ids.tolist() == sorted([int(ids[0]), int(ids[1])])


def test_compact_keeps_answers_and_drops_removed_rows(haystack):
    ids, hay, needles = haystack
    index = MihPdqIndex(layout=Layout(8, 8), **PROBE)
    for start in range(0, hay.shape[0], 200):
        index.add(ids[start : start + 200], hay[start : start + 200])
    index.remove(ids[:100])
    before = index.search(needles, 40).as_tuples()
    index.compact()
    assert index.stats().segments == (hay.shape[0] - 100,)
    assert index.search(needles, 40).as_tuples() == before


def test_searches_during_compaction_stay_exact():
    codes = random_codes(30_000, 5)
    ids = np.arange(30_000, dtype=np.int64)
    index = MihPdqIndex()
    for start in range(0, 30_000, 10_000):
        index.add(ids[start : start + 10_000], codes[start : start + 10_000])
    expected = index.search(codes[::97], 31).as_tuples()
    worker = threading.Thread(target=index.compact)
    worker.start()
    answers = []
    while worker.is_alive() or not answers:
        answers.append(index.search(codes[::97], 31).as_tuples())
    worker.join()
    assert all(a == expected for a in answers)
    assert index.stats().segments == (30_000,)


def test_save_and_open_round_trip(tmp_path, haystack):
    ids, hay, needles = haystack
    index = MihPdqIndex(layout=Layout(8, 8), **PROBE)
    index.add(ids[:1000], hay[:1000])
    index.add(ids[1000:], hay[1000:])
    index.remove(ids[:10])
    path = tmp_path / "pdq.idx"
    index.save(path)
    opened = MihPdqIndex.open(path, **PROBE)
    assert len(opened) == len(index)
    assert opened.stats() == index.stats()
    for radius in (31, 63):
        assert (
            opened.search(needles, radius).as_tuples() == index.search(needles, radius).as_tuples()
        )


def test_an_opened_index_takes_changes_without_touching_its_file(tmp_path, haystack):
    ids, hay, _ = haystack
    path = tmp_path / "pdq.idx"
    MihPdqIndex.build(ids, hay).save(path)
    written = path.read_bytes()
    opened = MihPdqIndex.open(path)
    opened.remove(ids[:5])
    opened.add(np.array([10**12]), hay[:1])
    assert opened.search(hay[:1], 0).ids.tolist() == [10**12]
    assert path.read_bytes() == written


def test_save_replaces_the_file_and_leaves_no_temporary(tmp_path, haystack):
    ids, hay, _ = haystack
    path = tmp_path / "pdq.idx"
    MihPdqIndex.build(ids[:10], hay[:10]).save(path)
    MihPdqIndex.build(ids, hay).save(path)
    assert len(MihPdqIndex.open(path)) == hay.shape[0]
    assert [p.name for p in tmp_path.iterdir()] == ["pdq.idx"]


def test_an_empty_index_saves_opens_and_finds_nothing(tmp_path):
    path = tmp_path / "empty.idx"
    MihPdqIndex().save(path)
    opened = MihPdqIndex.open(path)
    assert len(opened) == 0
    assert len(opened.search(random_codes(3, 1), 63)) == 0


@pytest.fixture
def saved(tmp_path, haystack) -> Path:
    ids, hay, _ = haystack
    path = tmp_path / "pdq.idx"
    MihPdqIndex.build(ids, hay, layout=Layout(8, 8), **PROBE).save(path)
    return path


def test_a_truncated_file_is_refused(saved):
    saved.write_bytes(saved.read_bytes()[:-1000])
    with pytest.raises(IndexFileError, match="truncated"):
        MihPdqIndex.open(saved)


def test_a_damaged_array_is_refused(saved):
    data = bytearray(saved.read_bytes())
    data[-5000] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="checksum mismatch"):
        MihPdqIndex.open(saved)


def test_a_damaged_header_is_refused(saved):
    data = bytearray(saved.read_bytes())
    data[40] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="damaged header"):
        MihPdqIndex.open(saved)


def test_a_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not an index at all, just some words")
    with pytest.raises(IndexFileError, match="not a Bastion index file"):
        MihPdqIndex.open(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(IndexFileError, match="no such file"):
        MihPdqIndex.open(tmp_path / "absent.idx")


def test_damaged_tables_never_read_out_of_bounds(haystack):
    # An unverified file with damage inside its tables may give wrong answers, but the kernels
    # clamp every offset and row they read, so a search cannot crash the process.
    ids, hay, needles = haystack
    good = Segment.build(ids, code_words(hay), Layout(8, 8))
    rng = np.random.default_rng(0)
    offsets = (
        rng.integers(0, 2**16, size=good.blocks.shape, dtype=np.uint16),
        np.sort(rng.integers(0, 2**40, size=5, dtype=np.int64)),
        rng.integers(0, 2**32, size=(5, 30), dtype=np.uint32),
    )
    rows = rng.integers(0, 2**32, size=good.rows.shape, dtype=np.uint32)
    damaged = Segment(good.layout, good.ids, good.words, rows, offsets)
    dead = np.zeros(len(good), np.uint8)
    for radius in (31, 63):
        damaged.search(code_words(needles), radius, dead, 10**9, always_probe=True)


def test_variants_attribute_each_hit_to_its_closest_code():
    rng = np.random.default_rng(1)
    stored = random_codes(2, 1)
    index = MihPdqIndex.build(np.array([10, 20]), stored)
    variants = random_codes(8, 2)
    variants[2] = flip_bits(stored[0], 10, rng)
    variants[5] = flip_bits(stored[0], 3, rng)
    variants[6] = flip_bits(stored[1], 7, rng)
    hits = index.search_variants(variants[None], 31)
    assert hits.as_tuples() == [(0, 10, 3, 5), (0, 20, 7, 6)]


def test_a_rotated_picture_matches_through_its_dihedral_variants(pdq_images):
    original = hash_file(pdq_images / "dih" / "bridge-1-original.jpg").pdq
    rotated = hash_file(pdq_images / "dih" / "bridge-2-rotate-90.jpg").pdq
    index = MihPdqIndex.build(np.array([1]), pdq_codes([original.hex]))
    assert len(index.search(pdq_codes([rotated.hex]), 31)) == 0
    hits = index.search_variants(pdq_codes(rotated.dihedral).reshape(1, 8, 32), 31)
    assert hits.as_tuples() == [(0, 1, 0, 3)]  # variant 3: rotate270 undoes the rotation


@pytest.mark.parametrize("radius", [-1, 257, 3.5, True])
def test_a_bad_radius_is_refused(radius):
    with pytest.raises(ValueError, match="radius"):
        MihPdqIndex().search(random_codes(1, 0), radius)


def test_codes_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="uint8 of shape"):
        MihPdqIndex().add(np.array([1, 2]), random_codes(3, 0))


def test_a_crowd_of_over_65535_near_duplicates_is_found_whole(tmp_path):
    # A block of buckets holding more rows than a uint16 delta can count keeps full offsets in
    # an exception table. All-zero codes (featureless pictures) crowd the very first block.
    rng = np.random.default_rng(9)
    crowd = np.zeros((70_000, 32), np.uint8)
    crowd[::2] = np.stack([flip_bits(crowd[0], 3, rng) for _ in range(35_000)])
    codes = np.concatenate([crowd, random_codes(2_000, 10)])
    ids = np.arange(codes.shape[0], dtype=np.int64)
    index = MihPdqIndex.build(ids, codes, layout=Layout(8, 8), **PROBE)
    assert index._state.segments[0].exc_keys.shape[0] > 0
    expected = linear(ids, codes).search(crowd[:1], 31).as_tuples()
    assert len(expected) >= 70_000
    assert index.search(crowd[:1], 31).as_tuples() == expected
    index.save(tmp_path / "crowd.idx")
    opened = MihPdqIndex.open(tmp_path / "crowd.idx", **PROBE)
    assert opened.search(crowd[:1], 31).as_tuples() == expected
