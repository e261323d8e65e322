"""The exact-digest index maps md5/sha1/sha256 digests to every entry id that holds them."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bastion.index import ExactIndex, IndexFileError, digests_from_hex


def sha256s(*texts: str) -> np.ndarray:
    return digests_from_hex([hashlib.sha256(t.encode()).hexdigest() for t in texts], 32)


def random_digests(n: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, width), dtype=np.uint8)


def test_lookup_finds_the_id_of_each_stored_digest():
    index = ExactIndex.for_signal("sha256")
    index.add(np.array([10, 20, 30]), sha256s("a", "b", "c"))
    hits = index.lookup(sha256s("c", "nope", "a"))
    assert hits.as_tuples() == [(0, 30), (2, 10)]


def test_a_digest_in_several_banks_returns_every_id():
    index = ExactIndex(32)
    index.add(np.array([7, 3, 5]), sha256s("same", "same", "other"))
    assert index.lookup(sha256s("same")).as_tuples() == [(0, 3), (0, 7)]


def test_digests_sharing_their_first_eight_bytes_are_told_apart():
    a = random_digests(1, 20, 0)
    b = a.copy()
    b[0, 19] ^= 1
    index = ExactIndex.for_signal("sha1")
    index.add(np.array([1, 2]), np.concatenate([a, b]))
    assert index.lookup(b).as_tuples() == [(0, 2)]


def test_many_rows_stay_exact_through_growth():
    digests = random_digests(50_000, 16, 1)
    index = ExactIndex.for_signal("md5")
    for start in range(0, 50_000, 5_000):
        index.add(np.arange(start, start + 5_000), digests[start : start + 5_000])
    assert len(index) == 50_000
    hits = index.lookup(digests[::7])
    assert hits.ids.tolist() == list(range(0, 50_000, 7))
    assert len(index.lookup(random_digests(100, 16, 2))) == 0


def test_removed_ids_are_gone_and_others_stay():
    index = ExactIndex(32)
    index.add(np.array([1, 2, 3]), sha256s("x", "x", "y"))
    index.remove(np.array([1, 99]))
    assert index.lookup(sha256s("x", "y")).as_tuples() == [(0, 2), (1, 3)]
    assert index.contains(np.array([1, 2, 3])).tolist() == [False, True, True]
    assert len(index) == 2


def test_a_removed_id_can_be_added_again():
    index = ExactIndex(32)
    index.add(np.array([1]), sha256s("x"))
    index.remove(np.array([1]))
    index.add(np.array([1]), sha256s("y"))
    assert index.lookup(sha256s("x", "y")).as_tuples() == [(1, 1)]


def test_adding_a_present_id_is_refused():
    index = ExactIndex(32)
    index.add(np.array([1]), sha256s("x"))
    with pytest.raises(ValueError, match="already in the index: 1"):
        index.add(np.array([1]), sha256s("y"))


def test_compact_keeps_answers():
    digests = random_digests(5_000, 32, 3)
    index = ExactIndex(32)
    index.add(np.arange(5_000), digests)
    index.remove(np.arange(0, 5_000, 2))
    before = index.lookup(digests[:100]).as_tuples()
    index.compact()
    assert index.lookup(digests[:100]).as_tuples() == before
    assert len(index) == 2_500


def test_save_and_open_round_trip(tmp_path):
    digests = random_digests(3_000, 20, 4)
    index = ExactIndex(20)
    index.add(np.arange(3_000), digests)
    index.add(np.array([5_000]), digests[:1])
    index.remove(np.array([7]))
    path = tmp_path / "sha1.idx"
    index.save(path)
    opened = ExactIndex.open(path)
    assert len(opened) == len(index)
    assert opened.lookup(digests[:10]).as_tuples() == index.lookup(digests[:10]).as_tuples()


def test_an_opened_index_takes_changes_without_touching_its_file(tmp_path):
    path = tmp_path / "sha256.idx"
    index = ExactIndex(32)
    index.add(np.array([1, 2]), sha256s("a", "b"))
    index.save(path)
    written = path.read_bytes()
    opened = ExactIndex.open(path)
    opened.remove(np.array([1]))
    opened.add(np.array([3]), sha256s("a"))
    assert opened.lookup(sha256s("a", "b")).as_tuples() == [(0, 3), (1, 2)]
    assert path.read_bytes() == written


def test_a_damaged_file_is_refused(tmp_path):
    path = tmp_path / "sha256.idx"
    index = ExactIndex(32)
    index.add(np.arange(100), random_digests(100, 32, 5))
    index.save(path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="checksum mismatch"):
        ExactIndex.open(path)


def test_a_pdq_index_file_is_not_an_exact_index(tmp_path):
    from bastion.index import MihPdqIndex

    path = tmp_path / "pdq.idx"
    MihPdqIndex().save(path)
    with pytest.raises(IndexFileError, match="expected 'bastion-exact'"):
        ExactIndex.open(path)


def test_digests_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match=r"shape \(n, 16\)"):
        ExactIndex.for_signal("md5").lookup(sha256s("a"))


def test_an_unknown_signal_is_refused():
    with pytest.raises(ValueError, match="no exact index for signal 'pdq'"):
        ExactIndex.for_signal("pdq")
