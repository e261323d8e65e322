"""The Matcher: exact and PDQ matches, per-bank thresholds, allow-lists, dihedral variants,
incremental freshness. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bastion.banks import formats
from bastion.hashing import hash_file
from bastion.matching import Matcher, Query
from bastion.signals.pdq import hamming
from bastion.store.banks import BankNotFound, BankStore


def flip(hex_value: str, bits: int, seed: int = 0) -> str:
    value = int(hex_value, 16)
    for b in random.Random(seed).sample(range(256), bits):
        value ^= 1 << b
    return f"{value:064x}"


def load(banks: BankStore, bank: str, tmp_path: Path, lines: list[str], **create) -> None:
    if not banks.exists(bank):
        banks.create(bank, create.pop("source", "local"), **create)
    path = tmp_path / f"{bank}-{len(lines)}-{random.random()}.csv"
    path.write_text("md5,sha256,pdq,category,label\n" + "".join(line + "\n" for line in lines))
    banks.import_items(bank, formats.read(path, "csv"))


@pytest.fixture
def banks(store) -> BankStore:
    return BankStore(store)


@pytest.fixture
def bridge(pdq_images: Path):
    return hash_file(pdq_images / "dih" / "bridge-1-original.jpg")


def test_exact_md5_match_reports_bank_category_and_label(banks, tmp_path, bridge) -> None:
    load(banks, "iwf", tmp_path, [f"{bridge.digests.md5},,,B,Cat B"], source="iwf")
    result = Matcher(banks.store).match(Query.of(bridge))
    (m,) = result.matches
    assert (m.bank, m.signal_type, m.category.value, m.source_label, m.distance) == (
        "iwf",
        "md5",
        "B",
        "Cat B",
        0,
    )
    assert result.category.value == "B"


def test_pdq_matches_within_the_bank_threshold_only(banks, tmp_path) -> None:
    listed = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    load(banks, "l", tmp_path, [f",,{listed},A,"])
    matcher = Matcher(banks.store)
    assert matcher.match(Query.of_value("pdq", flip(listed, 31))).matches[0].distance == 31
    assert not matcher.match(Query.of_value("pdq", flip(listed, 32))).matched


def test_each_bank_applies_its_own_threshold(banks, tmp_path) -> None:
    listed = "0f" * 32
    load(banks, "strict", tmp_path, [f",,{listed},A,"], pdq_threshold=10)
    load(banks, "loose", tmp_path, [f",,{listed},C,"], pdq_threshold=45)
    result = Matcher(banks.store).match(Query.of_value("pdq", flip(listed, 40)))
    assert [m.bank for m in result.matches] == ["loose"]
    result = Matcher(banks.store).match(Query.of_value("pdq", flip(listed, 5)))
    assert [m.bank for m in result.matches] == ["strict", "loose"]  # category A sorts first


def test_an_allow_entry_suppresses_block_matches_for_the_item(banks, tmp_path, bridge) -> None:
    load(banks, "block", tmp_path, [f"{bridge.digests.md5},,,A,", f",,{bridge.pdq.hex},A,"])
    load(banks, "fp", tmp_path, [f",,{flip(bridge.pdq.hex, 12)},,"], kind="allow")
    result = Matcher(banks.store).match(Query.of(bridge))
    assert not result.matched and result.category is None
    assert {m.signal_type for m in result.suppressed} == {"md5", "pdq"}
    assert [m.bank for m in result.allowed_by] == ["fp"]


def test_mirrored_image_matches_through_its_dihedral_variant(
    banks, tmp_path, bridge, pdq_images
) -> None:
    load(banks, "l", tmp_path, [f",,{bridge.pdq.hex},A,"])
    mirrored = hash_file(pdq_images / "dih" / "bridge-6-flipy.jpg")
    assert hamming(mirrored.pdq.hex, bridge.pdq.hex) > 31
    matcher = Matcher(banks.store)
    (m,) = matcher.match(Query.of(mirrored)).matches
    assert m.variant == "flipy" and m.distance <= 10
    assert not matcher.match(Query.of(mirrored, dihedral=False)).matched


def test_unusable_pdq_never_matches_even_when_listed(banks, tmp_path, pdq_images) -> None:
    dark = hash_file(pdq_images / "misc" / "small.jpg")
    load(banks, "l", tmp_path, [f",,{dark.pdq.hex},A,"])
    result = Matcher(banks.store).match(Query(pdq=dark.pdq))
    assert not result.matched and "quality 0" in result.notes[0]


def test_refresh_applies_additions_and_removals_without_a_rebuild(banks, tmp_path) -> None:
    a, b = "0f" * 32, "f0" * 32
    load(banks, "l", tmp_path, [f",,{a},A,"])
    matcher = Matcher(banks.store)
    assert not matcher.match(Query.of_value("pdq", b)).matched
    load(banks, "l", tmp_path, [f",,{b},B,"])
    path = tmp_path / "rm.txt"
    path.write_text(a + "\n")
    banks.import_items("l", formats.read(path, "text", signal_type="pdq"), remove=True)
    assert matcher.refresh() == 2
    assert matcher.match(Query.of_value("pdq", b)).matches[0].category.value == "B"
    assert not matcher.match(Query.of_value("pdq", a)).matched
    assert matcher.refresh() == 0


def test_matches_come_in_a_deterministic_order(banks, tmp_path) -> None:
    value = "3c" * 32
    for name, cat in (("zeta", "C"), ("alpha", "C"), ("mid", "A"), ("other", "unknown")):
        load(banks, name, tmp_path, [f",,{value},{cat},"])
    result = Matcher(banks.store).match(Query.of_value("pdq", value))
    assert [(m.bank, m.category.value) for m in result.matches] == [
        ("mid", "A"),
        ("alpha", "C"),
        ("zeta", "C"),
        ("other", "unknown"),
    ]
    assert result.category.value == "A"


def test_selected_banks_only_and_unknown_bank_is_an_error(banks, tmp_path) -> None:
    value = "3c" * 32
    load(banks, "one", tmp_path, [f",,{value},A,"])
    load(banks, "two", tmp_path, [f",,{value},B,"])
    assert [
        m.bank
        for m in Matcher(banks.store, banks=["two"]).match(Query.of_value("pdq", value)).matches
    ] == ["two"]
    with pytest.raises(BankNotFound):
        Matcher(banks.store, banks=["three"])


def test_match_many_agrees_with_a_brute_force_reading_of_the_bank(banks, tmp_path) -> None:
    rng = random.Random(5)
    listed = [f"{rng.getrandbits(256):064x}" for _ in range(200)]
    load(banks, "l", tmp_path, [f",,{v},C," for v in listed])
    queries = [flip(listed[i], d, seed=i) for i, d in enumerate([0, 5, 30, 31, 32, 40] * 5)]
    queries += [f"{rng.getrandbits(256):064x}" for _ in range(20)]
    results = Matcher(banks.store).match_many([Query.of_value("pdq", q) for q in queries])
    for q, result in zip(queries, results, strict=True):
        expected = sorted(hamming(q, v) for v in listed if hamming(q, v) <= 31)
        assert sorted(m.distance for m in result.matches) == expected
