"""Telegram Desktop HTML exports: the same references as the JSON, with the context HTML carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bastion.sources import DateSource, ItemStatus, MediaItem, MediaKind, RejectReason, open_source
from bastion.sources.telegram_synthetic import (
    Chat,
    Media,
    Message,
    WrittenExport,
    demo_export,
    write_chat_export,
    write_export,
)
from bastion.sources.telegram_synthetic.scenario import ALICE, BOB


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> WrittenExport:
    return write_export(demo_export(), tmp_path_factory.mktemp("export"), formats=("html",))


@pytest.fixture(scope="module")
def items(demo: WrittenExport) -> list[MediaItem]:
    with open_source(demo.root) as source:
        assert source.kind == "telegram_html"
        found = list(source.items())
        assert source.problems == []
    return found


def _media(items: list[MediaItem], message_id: int, field: str = "media") -> MediaItem:
    (item,) = [
        i for i in items if i.telegram.message_id == message_id and i.telegram.field == field
    ]
    return item


def test_every_file_the_json_names_is_referenced_by_the_html(
    demo: WrittenExport, items: list[MediaItem]
) -> None:
    named = {r.path for r in demo.references if r.path is not None}
    referenced = {i.path for i in items if i.readable and not i.telegram.is_derived}
    assert referenced == named
    assert len({i.ref for i in items}) == len(items)


def test_every_placeholder_the_json_has_is_in_the_html(
    demo: WrittenExport, items: list[MediaItem]
) -> None:
    expected = sorted(
        (r.message_id, r.status)
        for r in demo.references
        if r.path is None and r.field != "thumbnail"
    )
    found = sorted((i.telegram.message_id, i.status.value) for i in items if i.path is None)
    assert found == expected


def test_chat_categories_and_sections_come_from_the_chats_list(items: list[MediaItem]) -> None:
    chats = {
        (i.telegram.chat_folder, i.telegram.chat_name, i.telegram.chat_category, i.telegram.section)
        for i in items
        if i.telegram.chat_folder is not None
    }
    assert chats == {
        ("chats/chat_1", "Saved messages", "private", "chats"),
        ("chats/chat_2", "Alice Chen", "private", "chats"),
        ("chats/chat_3", "Harbour Walkers", "group", "chats"),
        ("chats/chat_4", "Seaside Photography Club", "group", "chats"),
        ("chats/chat_5", "Harbour Book Club Notices", "channel", "chats"),
        ("chats/chat_6", "Coastal Weather Alerts", "channel", "left_chats"),
    }
    assert all(i.telegram.chat_id is None and i.telegram.chat_type is None for i in items)


@pytest.mark.parametrize(
    "message_id, status, kind",
    [
        (48224, ItemStatus.TOO_LARGE, MediaKind.VIDEO),
        (48225, ItemStatus.NOT_INCLUDED, MediaKind.VOICE),
        (904, ItemStatus.UNAVAILABLE, MediaKind.PHOTO),
        (310, ItemStatus.TOO_LARGE, MediaKind.PHOTO),
    ],
)
def test_placeholder_boxes_become_statuses(
    items: list[MediaItem], message_id: int, status: ItemStatus, kind: MediaKind
) -> None:
    item = _media(items, message_id)
    assert (item.status, item.kind, item.path) == (status, kind, None)


def test_joined_message_takes_the_previous_sender(
    demo: WrittenExport, items: list[MediaItem]
) -> None:
    page = (demo.root / "chats/chat_3/messages.html").read_text("utf-8")
    assert 'class="message default clearfix joined" id="message48214"' in page
    assert _media(items, 48214).telegram.sender_name == ALICE.name


def test_forwarded_message_keeps_poster_and_original_apart(items: list[MediaItem]) -> None:
    context = _media(items, 48231).telegram
    assert context.sender_name == "Sam Rivera"
    assert context.forwarded_from == "Harbour Book Club Notices"


def test_one_file_referenced_by_two_messages_shares_one_key(items: list[MediaItem]) -> None:
    forwarded, post = _media(items, 48231), _media(items, 2)
    assert forwarded.key == post.key and forwarded.ref != post.ref


def test_title_dates_with_an_offset_are_converted_to_utc(items: list[MediaItem]) -> None:
    context = _media(items, 48213).telegram
    assert context.date == datetime(2024, 3, 5, 14, 2, 11, tzinfo=UTC)
    assert context.local_date == datetime(2024, 3, 5, 15, 2, 11)
    assert context.date_source is DateSource.TITLE_WITH_OFFSET


def test_previews_are_derived_and_document_thumbnails_are_not(items: list[MediaItem]) -> None:
    preview = _media(items, 48213, "preview")
    assert preview.telegram.is_derived and preview.readable
    thumbnail = _media(items, 48220, "thumbnail")
    assert thumbnail.telegram.is_thumbnail and not thumbnail.telegram.is_derived
    assert thumbnail.path.endswith("waves.avi_thumb.jpg")


def test_deleted_account_is_named_as_the_page_names_it(items: list[MediaItem]) -> None:
    assert _media(items, 48226).telegram.sender_name == "Deleted Account"


def test_service_photo_and_profile_pictures_are_references(items: list[MediaItem]) -> None:
    photo = _media(items, 48192, "photo")
    assert (photo.telegram.message_type, photo.kind, photo.status) == (
        "service", MediaKind.PHOTO, ItemStatus.AVAILABLE,
    )  # fmt: skip
    profile = [
        i for i in items if i.telegram.section == "profile_pictures" and not i.telegram.is_derived
    ]
    assert [i.path for i in profile] == ["profile_pictures/photo_1@01-03-2024_11-11-12.jpg"]


def test_pages_are_followed_in_order_and_every_reference_comes_once(tmp_path: Path) -> None:
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    messages = tuple(
        Message(n, start + timedelta(minutes=20 * n), (ALICE, BOB)[n % 2], media=Media("photo", seed=n, pixels=(160, 120)))
        for n in range(1, 8)
    )  # fmt: skip
    write_chat_export(Chat(7, "private_group", "Paged", messages), tmp_path, ("html",), per_file=3)
    assert (tmp_path / "messages3.html").is_file()
    with open_source(tmp_path) as source:
        media = [i for i in source.items() if i.telegram.field == "media"]
    assert [i.telegram.message_id for i in media] == list(range(1, 8))
    assert {i.telegram.section for i in media} == {"chat"}
    assert [i.telegram.sender_name for i in media][:2] == [BOB.name, ALICE.name]


HOSTILE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"/></head><body><div class="page_wrap">
<div class="page_header"><div class="content"><div class="text bold">Hostile</div></div></div>
<div class="page_body chat_page"><div class="history">
<div class="message default clearfix" id="message1"><div class="body">
<div class="pull_right date details" title="11.02.2020 09:03:59">09:03</div>
<div class="from_name">Mallory</div>
<div class="media_wrap clearfix">
<a class="photo_wrap clearfix pull_left" href="../../../etc/passwd"><img class="photo" src="/etc/shadow"/></a>
</div>
<div class="text">see <a href="photos/../../../secret.jpg">this</a> and <a href="https://example.org/">that</a></div>
</div></div>
<div class="message default clearfix" id="message2"><div class="body">
<div class="pull_right date details" title="11.02.2020 09:04:00">09:04</div>
<div class="from_name">Mallory</div>
<div class="media_wrap clearfix">
<a class="media clearfix pull_left block_link media_file" href="file:///etc/passwd"><div class="body"><div class="title bold">x</div></div></a>
</div>
<div class="media_wrap clearfix">
<a class="media clearfix pull_left block_link media_file" href="files/report%20final.pdf"><div class="body"><div class="title bold">report</div></div></a>
</div>
</div></div>
</div></div></div></body></html>
"""


def test_hostile_links_in_a_page_are_rejected_and_text_links_ignored(tmp_path: Path) -> None:
    (tmp_path / "messages.html").write_text(HOSTILE_PAGE, "utf-8")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "report final.pdf").write_bytes(b"%PDF")
    with open_source(tmp_path) as source:
        found = [(i.telegram.field, i.status, i.reason, i.path) for i in source.items()]
    assert found == [
        ("media", ItemStatus.REJECTED, RejectReason.PATH_TRAVERSAL, None),
        ("preview", ItemStatus.REJECTED, RejectReason.ABSOLUTE_PATH, None),
        ("media", ItemStatus.REJECTED, RejectReason.ABSOLUTE_PATH, None),
        ("media", ItemStatus.AVAILABLE, None, "files/report final.pdf"),
    ]


def test_old_titles_without_an_offset_give_local_time_only(tmp_path: Path) -> None:
    (tmp_path / "messages.html").write_text(HOSTILE_PAGE, "utf-8")
    with open_source(tmp_path) as source:
        first = next(iter(source.items()))
    assert first.telegram.date is None
    assert first.telegram.date_source is DateSource.LOCAL_WITHOUT_OFFSET
    assert first.telegram.local_date == datetime(2020, 2, 11, 9, 3, 59)
    assert first.telegram.chat_name == "Hostile" and first.telegram.sender_name == "Mallory"
