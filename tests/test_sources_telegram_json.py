"""Telegram Desktop JSON exports: every reference once, with its status and its context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bastion.sources import (
    DateSource,
    ItemNotReadable,
    ItemStatus,
    MediaItem,
    MediaKind,
    RejectReason,
    open_source,
)
from bastion.sources.telegram import PLACEHOLDERS
from bastion.sources.telegram_synthetic import (
    Chat,
    Media,
    Message,
    Person,
    WrittenExport,
    demo_export,
    write_chat_export,
    write_export,
)
from bastion.sources.telegram_synthetic.scenario import ALICE, OWNER


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> WrittenExport:
    return write_export(demo_export(), tmp_path_factory.mktemp("export"), formats=("json",))


@pytest.fixture(scope="module")
def items(demo: WrittenExport) -> list[MediaItem]:
    with open_source(demo.root) as source:
        assert source.kind == "telegram_json"
        found = list(source.items())
        assert source.problems == []
    return found


def _by_message(items: list[MediaItem], message_id: int, field: str = "") -> MediaItem:
    (item,) = [
        i for i in items
        if i.telegram and i.telegram.message_id == message_id and i.telegram.field.startswith(field)
    ]  # fmt: skip
    return item


def _write(folder: Path, document: dict, files: dict[str, bytes] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _chat(messages: list[dict]) -> dict:
    return {"name": "Test chat", "type": "private_group", "id": 42, "messages": messages}


def _message(message_id: int, **fields: object) -> dict:
    return {"id": message_id, "type": "message", "date": "2024-03-05T15:02:11",
            "date_unixtime": "1709647331", "from": "Alice Chen", "from_id": "user7",
            **fields, "text": "", "text_entities": []}  # fmt: skip


def test_every_reference_the_writer_made_comes_out_once(
    demo: WrittenExport, items: list[MediaItem]
) -> None:
    found = sorted(
        (
            i.telegram.section, i.telegram.chat_id, i.telegram.message_id,
            i.telegram.field, i.status.value, i.path,
        )
        for i in items
        if i.telegram and i.telegram.section != "unreferenced"
    )  # fmt: skip
    expected = sorted(
        (r.section, r.chat_id, r.message_id, r.field, r.status, r.path) for r in demo.references
    )
    assert found == expected
    assert len({i.ref for i in items}) == len(items)


def test_chat_types_are_verbatim_with_a_category(items: list[MediaItem]) -> None:
    chats = {
        (i.telegram.chat_name, i.telegram.chat_type, i.telegram.chat_category, i.telegram.section)
        for i in items
        if i.telegram.chat_id is not None
    }
    assert chats == {
        (None, "saved_messages", "private", "chats"),
        ("Alice", "personal_chat", "private", "chats"),
        ("Harbour Walkers", "private_group", "group", "chats"),
        ("Seaside Photography Club", "public_supergroup", "group", "chats"),
        ("Harbour Book Club Notices", "private_channel", "channel", "chats"),
        ("Coastal Weather Alerts", "public_channel", "channel", "left_chats"),
    }


@pytest.mark.parametrize(
    "message_id, status",
    [
        (48224, ItemStatus.TOO_LARGE),
        (48225, ItemStatus.NOT_INCLUDED),
        (904, ItemStatus.UNAVAILABLE),
    ],
)
def test_placeholders_become_statuses_and_are_never_paths(
    items: list[MediaItem], message_id: int, status: ItemStatus
) -> None:
    item = _by_message(items, message_id, "file" if message_id != 904 else "photo")
    assert item.status is status
    assert item.path is None and item.key == item.ref
    assert PLACEHOLDERS[item.detail] is status


def test_too_large_video_has_its_thumbnail_skipped_too(items: list[MediaItem]) -> None:
    thumbnail = _by_message(items, 48224, "thumbnail")
    assert thumbnail.status is ItemStatus.TOO_LARGE and thumbnail.telegram.is_thumbnail
    assert thumbnail.declared_size == 9876


def test_downloaded_video_and_its_thumbnail(items: list[MediaItem]) -> None:
    video, thumbnail = _by_message(items, 48220, "file"), _by_message(items, 48220, "thumbnail")
    assert (video.kind, video.mime_type, video.telegram.file_name) == (
        MediaKind.VIDEO, "video/x-msvideo", "waves.avi",
    )  # fmt: skip
    assert video.size == video.declared_size and not video.size_mismatch
    assert thumbnail.telegram.is_thumbnail and thumbnail.path == video.path + "_thumb.jpg"


def test_control_characters_written_as_xhh_are_read(
    demo: WrittenExport, items: list[MediaItem]
) -> None:
    raw = (demo.root / "result.json").read_bytes()
    assert b"\\x01" in raw and b"\\x0C" in raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    assert _by_message(items, 48213).status is ItemStatus.AVAILABLE


def test_null_from_keeps_the_sender_id(demo: WrittenExport, items: list[MediaItem]) -> None:
    assert b'"from": null' in (demo.root / "result.json").read_bytes()
    context = _by_message(items, 48226).telegram
    assert context.sender_name is None
    assert context.sender_id == "user5550001111" and context.sender_is_owner is False


def test_one_file_referenced_by_two_messages_shares_one_key(items: list[MediaItem]) -> None:
    forwarded, post = _by_message(items, 48231), _by_message(items, 2)
    assert forwarded.key == post.key and forwarded.ref != post.ref
    assert forwarded.telegram.forwarded_from == "Harbour Book Club Notices"
    assert forwarded.telegram.sender_is_owner is True
    assert post.telegram.author == "Sam Rivera" and post.telegram.sender_id == "channel1987654321"
    assert sum(1 for i in items if i.key == post.key) == 2


def test_owner_is_recognised_from_personal_information(items: list[MediaItem]) -> None:
    owners = {i.telegram.sender_name for i in items if i.telegram.sender_is_owner}
    assert owners == {OWNER.name, None}  # None: the owner's profile picture
    assert _by_message(items, 5001).telegram.sender_is_owner is False
    assert _by_message(items, 5002).telegram.sender_is_owner is True


def test_dates_are_utc_from_unixtime_with_the_local_time_kept(items: list[MediaItem]) -> None:
    context = _by_message(items, 48213).telegram
    assert context.date == datetime(2024, 3, 5, 14, 2, 11, tzinfo=UTC)
    assert context.date_source is DateSource.UNIXTIME
    assert context.local_date == datetime(2024, 3, 5, 15, 2, 11)  # the exporter was at UTC+1


def test_edited_message_is_flagged(tmp_path: Path) -> None:
    document = _chat([
        _message(1, photo="(File not included. Change data exporting settings to download.)",
                 edited="2024-03-05T16:00:00", edited_unixtime="1709650800"),
        _message(2, photo="(File not included. Change data exporting settings to download.)",
                 edited="1970-01-01T01:00:00"),
    ])  # fmt: skip
    with open_source(_write(tmp_path, document)) as source:
        first, second = source.items()
    assert first.telegram.edited and first.telegram.edited_date == datetime(
        2024, 3, 5, 15, tzinfo=UTC
    )
    assert not second.telegram.edited  # before tdesktop 2.1.9 every message had "edited": 1970


def test_service_message_photo_is_a_reference(items: list[MediaItem]) -> None:
    item = _by_message(items, 48192)
    context = item.telegram
    assert (context.message_type, context.action, context.field) == (
        "service", "edit_group_photo", "photo",
    )  # fmt: skip
    assert context.sender_name == OWNER.name and item.status is ItemStatus.AVAILABLE


def test_date_without_unixtime_is_local_and_says_so(tmp_path: Path) -> None:
    message = _message(1, photo="photos/a.jpg")
    del message["date_unixtime"]
    with open_source(_write(tmp_path, _chat([message]), {"photos/a.jpg": b"x"})) as source:
        (item,) = source.items()
    assert item.telegram.date is None
    assert item.telegram.date_source is DateSource.LOCAL_WITHOUT_OFFSET
    assert item.telegram.local_date == datetime(2024, 3, 5, 15, 2, 11)


def test_text_as_a_list_with_custom_emoji_references(tmp_path: Path) -> None:
    message = _message(1)
    message["text"] = [
        "Look ",
        {"type": "custom_emoji", "text": "🙂", "document_id": "stickers/e.webp"},
    ]
    message["text_entities"] = [
        {"type": "plain", "text": "Look "},
        {"type": "custom_emoji", "text": "🙂", "document_id": "stickers/e.webp"},
        {"type": "custom_emoji", "text": "🙂", "document_id": ""},
        {"type": "custom_emoji", "text": "🙂", "document_id": "(unavailable)"},
        {"type": "bold", "text": "!"},
    ]
    folder = _write(tmp_path, _chat([message]), {"stickers/e.webp": b"RIFF"})
    with open_source(folder) as source:
        found = [i.status for i in source.items()]
    assert found == [ItemStatus.AVAILABLE, ItemStatus.TOO_LARGE, ItemStatus.UNAVAILABLE]


def test_single_chat_export_has_the_chat_at_the_top(tmp_path: Path) -> None:
    chat = Chat(1234, "private_supergroup", "Kayak Club", (
        Message(10, datetime(2024, 3, 1, 9, tzinfo=UTC), ALICE, media=Media("photo", seed=5)),
    ))  # fmt: skip
    written = write_chat_export(chat, tmp_path, formats=("json",))
    top = json.loads((tmp_path / "result.json").read_text("utf-8"))
    assert list(top) == ["name", "type", "id", "messages"]
    with open_source(tmp_path) as source:
        (item,) = source.items()
    assert item.path == written.references[0].path == "photos/photo_1@01-03-2024_09-00-00.jpg"
    context = item.telegram
    assert (context.section, context.chat_id, context.chat_type, context.sender_is_owner) == (
        "chat", 1234, "private_supergroup", None,
    )  # fmt: skip


@pytest.mark.parametrize(
    "value, reason",
    [
        ("../../etc/passwd", RejectReason.PATH_TRAVERSAL),
        ("photos/../../outside.jpg", RejectReason.PATH_TRAVERSAL),
        ("/etc/passwd", RejectReason.ABSOLUTE_PATH),
        ("C:\\Windows\\win.ini", RejectReason.ABSOLUTE_PATH),
        ("photos/link.jpg", RejectReason.SYMLINK_OUTSIDE),
        ("photos", RejectReason.NOT_A_FILE),
    ],
)
def test_hostile_paths_in_result_json_are_rejected(
    tmp_path: Path, value: str, reason: RejectReason
) -> None:
    (tmp_path / "outside.jpg").write_bytes(b"secret")
    folder = _write(tmp_path / "export", _chat([_message(1, photo=value)]), {"photos/ok.jpg": b"x"})
    (folder / "photos" / "link.jpg").symlink_to(tmp_path / "outside.jpg")
    with open_source(folder) as source:
        item = next(iter(source.items()))
        assert (item.status, item.reason) == (ItemStatus.REJECTED, reason)
        with pytest.raises(ItemNotReadable):
            source.open(item)


def test_missing_and_partial_files(tmp_path: Path) -> None:
    document = _chat([
        _message(1, photo="photos/gone.jpg", photo_file_size=10),
        _message(2, file="files/cut.png", file_size=100, mime_type="image/png"),
    ])  # fmt: skip
    with open_source(_write(tmp_path, document, {"files/cut.png": b"x" * 40})) as source:
        gone, cut = source.items()
    assert gone.status is ItemStatus.MISSING and gone.path == "photos/gone.jpg"
    assert cut.status is ItemStatus.AVAILABLE and cut.size_mismatch
    assert cut.kind is MediaKind.DOCUMENT  # no media_type: a picture sent "as file"


def test_truncated_result_json_lists_what_came_before_and_reports_it(tmp_path: Path) -> None:
    folder = _write(tmp_path, _chat([_message(n, photo=f"photos/{n}.jpg") for n in range(1, 6)]))
    raw = (folder / "result.json").read_bytes()
    (folder / "result.json").write_bytes(raw[: raw.index(b'{"id": 4,') + 20])
    with open_source(folder) as source:
        found = list(source.items())
        problems = source.problems
    assert [i.telegram.message_id for i in found] == [1, 2, 3]
    assert len(problems) == 1 and "after 4 messages" in problems[0].message
    assert "Alice" not in problems[0].message  # never quotes the file's content


def test_unreferenced_files_are_reported_and_previews_marked_derived(tmp_path: Path) -> None:
    write_export(demo_export(), tmp_path, formats=("json", "html"))
    (tmp_path / "chats" / "chat_3" / "stray.jpg").write_bytes(b"x")
    with open_source(tmp_path) as source:
        unreferenced = {i.key: i for i in source.items() if i.telegram.section == "unreferenced"}
    assert unreferenced["chats/chat_3/stray.jpg"].telegram.is_derived is False
    previews = [key for key, item in unreferenced.items() if item.telegram.is_derived]
    assert previews and all("_thumb" in key or "_info" in key for key in previews)
    assert not any(key.endswith((".html", "result.json")) for key in unreferenced)


def test_deleted_owner_free_export_still_lists_everything(tmp_path: Path) -> None:
    nobody = Person(99)
    chat = Chat(5, "private_group", "G", (
        Message(1, datetime(2024, 1, 1, tzinfo=UTC), nobody, media=Media("photo", state="too_large")),
    ))  # fmt: skip
    write_chat_export(chat, tmp_path, formats=("json",))
    with open_source(tmp_path) as source:
        (item,) = source.items()
    assert item.status is ItemStatus.TOO_LARGE and item.telegram.sender_name is None
