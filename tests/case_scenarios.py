"""Scenario cases with known right answers: benign synthetic exports, a hash list that lists
some of their pictures under *test* category labels (the labels mean nothing about the
pictures), scanned for real.

Each scenario names the attachments it lists as (chat id, message id, field) -> category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.banks import formats
from bastion.hashing import hash_file
from bastion.scan.pipeline import ScanOptions, scan
from bastion.sources.telegram_synthetic import write_export
from bastion.sources.telegram_synthetic.spec import Chat, Export, Media, Message, Person
from bastion.store import Store
from bastion.store.banks import BankStore

OWNER = Person(6100000001, "Sam", "Rivera")
ALICE = Person(7100000002, "Alice", "Chen")
BOB = Person(7100000003, "Bob", "Okafor")
CAROL = Person(7100000004, "Carol", "Diaz")
DAY = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return DAY + timedelta(days=days)


def photo(seed: int, share: str | None = None) -> Media:
    return Media("photo", seed=seed, pixels=(320, 240), share=share)


@dataclass(frozen=True)
class Scenario:
    name: str
    export: Export
    listed: dict[tuple[int, int, str], str]  # (chat id, message id, field) -> category
    formats: tuple[str, ...] = ("json",)


def receives_only() -> Scenario:
    """The owner only receives: B once, C twice (one C shared into a group as well)."""
    alice = Chat(ALICE.user_id, "personal_chat", "Alice", last_name="Chen", messages=[
        Message(11, at(0), ALICE, media=photo(201)),
        Message(12, at(2), ALICE, media=photo(202, share="c2")),
        Message(13, at(5), ALICE, media=photo(203)),
        Message(14, at(6), OWNER, media=photo(204)),
    ])  # fmt: skip
    group = Chat(4400000001, "private_group", "Harbour Walkers", messages=[
        Message(21, at(9), BOB, media=photo(202, share="c2")),
    ])  # fmt: skip
    listed = {
        (ALICE.user_id, 11, "photo"): "C",
        (ALICE.user_id, 12, "photo"): "C",
        (ALICE.user_id, 13, "photo"): "B",
    }
    return Scenario("receives-only", Export(OWNER, (alice, group)), listed)


CHANNEL_ID = 1987000001


def forwards_to_channel() -> Scenario:
    """Alice sends the owner a B; the owner forwards it into a channel twice and posts a C
    there. Channel posts carry the channel as sender, as tdesktop writes them."""
    x = photo(301, share="x")
    alice = Chat(ALICE.user_id, "personal_chat", "Alice", last_name="Chen", messages=[
        Message(31, at(1), ALICE, media=x),
    ])  # fmt: skip
    channel = Chat(CHANNEL_ID, "public_channel", "Harbour Notices", member_count=5000, messages=[
        Message(41, at(3), None, media=x, forwarded_from="Alice Chen"),
        Message(42, at(4), None, media=photo(302)),
        Message(43, at(8), None, media=x, forwarded_from="Alice Chen"),
    ])  # fmt: skip
    listed = {(ALICE.user_id, 31, "photo"): "B", (CHANNEL_ID, 42, "photo"): "C"}
    return Scenario("forwards-to-channel", Export(OWNER, (alice, channel)), listed)


SUPERGROUP_ID = 1555000111


def mixed_one_a() -> Scenario:
    """Six C, two B and one A, all received; the owner posts one C into a supergroup."""
    received = [Message(100 + i, at(i), ALICE, media=photo(400 + i)) for i in range(9)]
    alice = Chat(ALICE.user_id, "personal_chat", "Alice", last_name="Chen", messages=received)
    supergroup = Chat(SUPERGROUP_ID, "public_supergroup", "Open Lounge", messages=[
        Message(501, at(12), OWNER, media=photo(450)),
        Message(502, at(13), CAROL, media=photo(451)),
    ])  # fmt: skip
    listed = {(ALICE.user_id, 100 + i, "photo"): "C" for i in range(6)}
    listed |= {(ALICE.user_id, 106, "photo"): "B", (ALICE.user_id, 107, "photo"): "B"}
    listed |= {(ALICE.user_id, 108, "photo"): "A", (SUPERGROUP_ID, 501, "photo"): "C"}
    return Scenario("mixed-one-a", Export(OWNER, (alice, supergroup)), listed)


def videos() -> Scenario:
    """A video listed by its file and its thumbnail (one moving image, not two), an animation,
    and a video only whose thumbnail is listed (one still image, matched via the thumbnail)."""
    group = Chat(4400000002, "private_supergroup", "Film Club", messages=[
        Message(61, at(0), BOB, media=Media("video", seed=601, pixels=(160, 120), file_name="a.mp4")),
        Message(62, at(1), OWNER, media=Media("animation", seed=602, pixels=(160, 120))),
        Message(63, at(2), BOB, media=Media("video", seed=603, pixels=(160, 120), file_name="b.mp4")),
        Message(64, at(3), BOB, media=photo(604)),
    ])  # fmt: skip
    listed = {
        (4400000002, 61, "file"): "B",
        (4400000002, 61, "thumbnail"): "B",
        (4400000002, 62, "file"): "C",
        (4400000002, 63, "thumbnail"): "C",
        (4400000002, 64, "photo"): "C",
    }
    return Scenario("videos", Export(OWNER, (group,)), listed)


def empty() -> Scenario:
    alice = Chat(ALICE.user_id, "personal_chat", "Alice", last_name="Chen", messages=[
        Message(71, at(0), ALICE, media=photo(701)),
        Message(72, at(1), OWNER, media=photo(702)),
    ])  # fmt: skip
    return Scenario("empty", Export(OWNER, (alice,)), {})


def html_receives_only() -> Scenario:
    base = receives_only()
    return Scenario("html-receives-only", base.export, base.listed, formats=("html",))


def build(store: Store, scenario: Scenario, folder: Path, bank: str = "hotline") -> int:
    """Write the export, list its scenario pictures in `bank`, scan it; the case id."""
    root = folder / scenario.name
    written = write_export(scenario.export, root, formats=scenario.formats)
    paths = {(r.chat_id, r.message_id, r.field): r.path for r in written.references}
    banks = BankStore(store)
    if not banks.exists(bank):
        banks.create(bank, "iwf")
    rows = []
    for n, (where, category) in enumerate(sorted(scenario.listed.items()), start=1):
        path = paths[where]
        assert path is not None, f"{scenario.name}: {where} wrote no file"
        rows.append(formats.Row(n, "md5", hash_file(root / path).digests.md5, category))
    if not rows:  # a list that matches nothing in this export
        rows.append(formats.Row(1, "md5", "0" * 32, "A"))
    banks.import_items(bank, rows, replace=True, source_file=f"{scenario.name}.csv")
    source = root / "export_results.html" if scenario.formats == ("html",) else root
    if not source.exists():
        source = root
    return scan(store, source, scenario.name, ScanOptions(workers=1, banks=(bank,)), "tester")


def all_scenarios() -> tuple[Scenario, ...]:
    from dataclasses import replace

    return (
        receives_only(),
        forwards_to_channel(),
        replace(forwards_to_channel(), name="channel-with-facts"),
        mixed_one_a(),
        replace(mixed_one_a(), name="cli-case"),  # the command-line tests change this one
        videos(),
        empty(),
        html_receives_only(),
    )


GIVEN_BY = "DC Jo Example, digital forensics"
_BUILT: dict[str, tuple[Store, dict[str, int]]] = {}


def built_scenarios(tmp_path_factory) -> tuple[Store, dict[str, int]]:
    """Every scenario scanned once per test run (several test modules share them), with the
    chat facts of 'channel-with-facts' recorded: 5,000 members, the owner posts as the channel."""
    if "store" not in _BUILT:
        from bastion.audit import Actor
        from bastion.cases.answers import record_chat_fact

        root = tmp_path_factory.mktemp("case-scenarios")
        store = Store.open(f"sqlite:///{root / 'bastion.db'}")
        ids = {s.name: build(store, s, root) for s in all_scenarios()}
        record_chat_fact(
            store, ids["channel-with-facts"], "channel-with-facts", "Harbour Notices",
            actor=Actor("tester", "operator"), members=5000, owner_posts=True,
            note="channel info page, exhibit JD/3", given_by=GIVEN_BY,
        )  # fmt: skip
        _BUILT["store"] = (store, ids)
    return _BUILT["store"]
