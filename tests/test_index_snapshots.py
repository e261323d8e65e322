"""The still-image index saved beside the store: reopened instead of rebuilt, caught up with
changes made since, and ignored when it belongs to another database's history."""

from __future__ import annotations

import random

from bastion.banks.formats.base import Row
from bastion.index_snapshots import load, open_matcher
from bastion.matching import Query
from bastion.store import Store
from bastion.store.banks import BankStore


def hexes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(256):064x}" for _ in range(n)]


def test_a_snapshot_is_reopened_and_caught_up(store, tmp_path) -> None:
    banks = BankStore(store)
    banks.create("l", "local")
    first = hexes(50, 1)
    banks.import_items("l", [Row(i + 1, "pdq", h, "A") for i, h in enumerate(first)])
    folder = tmp_path / "index"
    open_matcher(store, folder=folder)
    index, applied = load(store, folder)
    assert len(index) == 50 and applied
    later = hexes(5, 2)
    banks.import_items("l", [Row(i + 1, "pdq", h, "B") for i, h in enumerate(later)])
    banks.import_items("l", [Row(1, "pdq", first[0], "A")], remove=True)
    matcher = open_matcher(store, folder=folder)
    assert matcher.pdq_entries == 54
    assert matcher.match(Query.of_value("pdq", later[0])).matches[0].category.value == "B"
    assert not matcher.match(Query.of_value("pdq", first[0])).matched
    assert matcher.match(Query.of_value("pdq", first[1])).matched


def test_a_snapshot_from_another_database_is_ignored(tmp_path) -> None:
    folder = tmp_path / "index"
    one = Store.open(f"sqlite:///{tmp_path / 'one.db'}")
    BankStore(one).create("l", "local")
    BankStore(one).import_items("l", [Row(1, "pdq", hexes(1, 3)[0], "A")])
    open_matcher(one, folder=folder)
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    BankStore(other).create("m", "local")
    assert load(other, folder) is None
    assert open_matcher(other, folder=folder).pdq_entries == 0


def test_a_damaged_snapshot_is_rebuilt(store, tmp_path) -> None:
    BankStore(store).create("l", "local")
    BankStore(store).import_items("l", [Row(1, "pdq", hexes(1, 4)[0], "A")])
    folder = tmp_path / "index"
    open_matcher(store, folder=folder)
    snap = folder / (folder / "CURRENT").read_text().strip() / "stills.bidx"
    snap.write_bytes(snap.read_bytes()[:100])
    assert load(store, folder) is None
    assert open_matcher(store, folder=folder).pdq_entries == 1
