"""Banks in the store, on SQLite and PostgreSQL: all-or-nothing imports, tombstones, versions."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from bastion.banks import formats
from bastion.banks.formats.export import write_csv
from bastion.banks.model import BankSettingsError, Category, parse_category_map
from bastion.store.banks import BankExists, BankNotFound, BankStore, ImportRejected, VersionConflict

MD5S = [f"{i:032x}" for i in range(1, 11)]


def csv_file(tmp_path: Path, lines: list[str], name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text("md5,category,id\n" + "".join(line + "\n" for line in lines))
    return path


def imp(banks: BankStore, path: Path, fmt: str = "csv", bank: str = "b", **kw):
    return banks.import_items(bank, formats.read(path, fmt), source_file=path.name, **kw)


@pytest.fixture
def banks(store) -> BankStore:
    b = BankStore(store)
    b.create("b", "iwf")
    return b


def live(banks: BankStore, bank: str = "b") -> dict[str, str]:
    return {e.value: e.category.value for e in banks.entries(bank)}


def test_import_adds_entries_with_category_label_and_id(banks, tmp_path) -> None:
    report = imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,x1", f"{MD5S[1]},Category B,x2"]))
    assert (report.added, report.version) == (2, 2)
    entries = {e.value: e for e in banks.entries("b")}
    assert entries[MD5S[1]].category is Category.B
    assert entries[MD5S[1]].source_label == "Category B" and entries[MD5S[1]].source_id == "x2"


def test_a_file_with_bad_rows_changes_nothing_and_lists_every_bad_row(banks, tmp_path) -> None:
    path = csv_file(tmp_path, [f"{MD5S[0]},A,", "nothex,B,", f"{MD5S[2]},C,", "abc,C,"])
    with pytest.raises(ImportRejected) as caught:
        imp(banks, path)
    assert [e.line for e in caught.value.report.errors] == [3, 5]
    assert "nothing was imported" in str(caught.value)
    assert live(banks) == {} and banks.get("b").version == 1


def test_skip_invalid_imports_the_rest_and_lists_what_was_skipped(banks, tmp_path) -> None:
    report = imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,", "nothex,B,"]), skip_invalid=True)
    assert report.added == 1 and [e.line for e in report.skipped] == [3]
    assert banks.versions("b")[-1].skipped == 1


def test_duplicate_rows_are_counted_once(banks, tmp_path) -> None:
    report = imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,"] * 3 + [f"{MD5S[0].upper()},A,"]))
    assert (report.added, report.duplicates) == (1, 3)


def test_one_hash_with_two_categories_is_a_bad_row_naming_both_lines(banks, tmp_path) -> None:
    path = csv_file(tmp_path, [f"{MD5S[0]},A,", f"{MD5S[1]},B,", f"{MD5S[0]},C,"])
    with pytest.raises(ImportRejected) as caught:
        imp(banks, path)
    (error,) = caught.value.report.errors
    assert error.line == 4 and "graded C here but A on line 2" in error.reason
    report = imp(banks, path, skip_invalid=True)
    assert live(banks) == {MD5S[0]: "A", MD5S[1]: "B"} and len(report.skipped) == 1


def test_reimport_is_a_no_op_without_a_new_version(banks, tmp_path) -> None:
    path = csv_file(tmp_path, [f"{MD5S[0]},A,"])
    imp(banks, path)
    report = imp(banks, path)
    assert (report.added, report.unchanged, report.version) == (0, 1, 2)
    assert banks.get("b").version == 2


def test_regrading_tombstones_the_old_entry_and_adds_the_new(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{MD5S[0]},B,"]))
    report = imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,"], "v2.csv"))
    assert report.regraded == 1 and live(banks) == {MD5S[0]: "A"}
    added, removed = banks.diff("b", 2, 3)
    assert [(e.value, e.category.value) for e in added] == [(MD5S[0], "A")]
    assert [(e.value, e.category.value) for e in removed] == [(MD5S[0], "B")]


def test_removal_is_a_tombstone_and_history_still_explains_old_matches(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{m},A," for m in MD5S[:3]]))
    report = imp(
        banks, csv_file(tmp_path, [f"{MD5S[0]},A,", f"{MD5S[9]},A,"], "rm.csv"), remove=True
    )
    assert (report.removed, report.not_present) == (1, 1)
    assert set(live(banks)) == set(MD5S[1:3])
    then = {e.value: e for e in banks.entries("b", at_version=2)}
    assert set(then) == set(MD5S[:3]) and then[MD5S[0]].removed_version == 3


def test_replace_makes_the_bank_equal_to_the_file(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{m},A," for m in MD5S[:3]]))
    report = imp(
        banks, csv_file(tmp_path, [f"{MD5S[2]},A,", f"{MD5S[3]},B,"], "snap.csv"), replace=True
    )
    assert (report.added, report.removed) == (1, 2)
    assert live(banks) == {MD5S[2]: "A", MD5S[3]: "B"}


def test_delta_rows_with_actions_and_an_expected_version(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{m},A," for m in MD5S[:2]]))
    delta = tmp_path / "delta.csv"
    delta.write_text(f"md5,category,action\n{MD5S[0]},A,remove\n{MD5S[5]},C,add\n")
    with pytest.raises(VersionConflict, match="is at version 2, not 1"):
        imp(banks, delta, expect_version=1)
    report = imp(banks, delta, expect_version=2)
    assert (report.added, report.removed) == (1, 1)
    assert live(banks) == {MD5S[1]: "A", MD5S[5]: "C"}


def test_dry_run_reports_but_changes_nothing(banks, tmp_path) -> None:
    report = imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,"]), dry_run=True)
    assert report.dry_run and report.added == 1
    assert live(banks) == {} and banks.get("b").version == 1


def test_vics_categories_stay_unknown_without_a_map_and_map_explicitly(banks, tmp_path) -> None:
    path = tmp_path / "v.json"
    records = [
        {"MediaID": 1, "Category": 1, "MD5": MD5S[0]},
        {"MediaID": 2, "Category": 3, "MD5": MD5S[1]},
    ]
    path.write_text(json.dumps({"value": records}))
    banks.create("v", "vics")
    imp(banks, path, "vics", bank="v")
    assert set(live(banks, "v").values()) == {"unknown"}
    banks.create("v2", "caid")
    imp(banks, path, "vics", bank="v2", category_map=parse_category_map("1=A,2=B,3=C"))
    entries = {e.value: e for e in banks.entries("v2")}
    assert entries[MD5S[0]].category is Category.A and entries[MD5S[0]].source_label == "1"
    assert entries[MD5S[1]].category is Category.C


def test_export_round_trips_through_the_generic_importer(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,x", f"{MD5S[1]},C,y"]))
    out = io.StringIO()
    assert write_csv(banks.entries("b"), out) == 2
    exported = tmp_path / "export.csv"
    exported.write_text(out.getvalue())
    banks.create("copy", "local")
    imp(banks, exported, bank="copy")
    copy = {(e.value, e.category, e.source_id) for e in banks.entries("copy")}
    assert copy == {(e.value, e.category, e.source_id) for e in banks.entries("b")}


def test_retiring_a_bank_hides_it_and_keeps_history(banks, tmp_path) -> None:
    imp(banks, csv_file(tmp_path, [f"{MD5S[0]},A,"]))
    banks.retire("b")
    assert [b.name for b in banks.list()] == []
    assert banks.list(include_retired=True)[0].retired_at is not None
    assert list(banks.entries("b")) == [] and len(list(banks.entries("b", at_version=2))) == 1
    with pytest.raises(VersionConflict, match="retired"):
        imp(banks, csv_file(tmp_path, [f"{MD5S[1]},A,"]))


def test_bank_settings_are_validated(banks) -> None:
    with pytest.raises(BankExists):
        banks.create("b", "iwf")
    with pytest.raises(BankSettingsError, match="outside 0..63"):
        banks.create("c", "iwf", pdq_threshold=64)
    with pytest.raises(BankSettingsError, match="bank name"):
        banks.create("../etc", "iwf")
    with pytest.raises(ValueError):
        banks.create("d", "somewhere")
    assert banks.update_settings("b", pdq_threshold=40).pdq_threshold == 40
    assert banks.versions("b")[-1].note == "pdq_threshold 31 -> 40"


def test_unknown_bank_names_the_known_ones(banks) -> None:
    with pytest.raises(BankNotFound, match="known banks: b"):
        banks.get("nope")


def test_a_large_file_is_streamed_in_bounded_memory(tmp_path) -> None:
    from bastion.store import Store

    banks = BankStore(Store.open(f"sqlite:///{tmp_path / 'big.db'}"))
    banks.create("big", "local")
    n = 150_000
    path = tmp_path / "big.txt"
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"{i:032x}\n")
    tracemalloc.start()
    report = banks.import_items("big", formats.read(path, "text"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.added == n
    assert peak < 40 * 1024 * 1024, peak  # the file is 5 MB; rows are staged in batches
