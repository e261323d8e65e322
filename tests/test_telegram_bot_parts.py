"""The bot's pure parts: which files of a message are checked, the record key and context,
settings validation, and the state file."""

from __future__ import annotations

import json

import pytest
from aiogram.types import Message

from bastion.telegram_bot.config import BotConfigError, load_config
from bastion.telegram_bot.media import media_items, message_context
from bastion.telegram_bot.state import RECENT_UPDATES, BotState, StateError

CHAT = {"id": -1001, "type": "supergroup", "title": "T"}


def message(**fields) -> Message:
    base = {
        "message_id": 9,
        "date": 1700000000,
        "chat": CHAT,
        "from": {"id": 5, "is_bot": False, "first_name": "A"},
    }
    return Message.model_validate({**base, **fields})


def size(uid: str, w: int, h: int) -> dict:
    return {"file_id": f"id-{uid}", "file_unique_id": uid, "width": w, "height": h}


def doc(mime: str | None, name: str | None) -> dict:
    d = {"file_id": "d", "file_unique_id": "ud"}
    if mime:
        d["mime_type"] = mime
    if name:
        d["file_name"] = name
    return d


def test_the_largest_photo_size_is_the_one_checked() -> None:
    (item,) = media_items(
        message(photo=[size("s", 90, 60), size("l", 1280, 853), size("m", 320, 213)])
    )
    assert (item.kind, item.file_unique_id) == ("photo", "l")


def test_an_animation_is_checked_once_though_it_is_also_a_document() -> None:
    anim = {
        "file_id": "a",
        "file_unique_id": "ua",
        "width": 1,
        "height": 1,
        "duration": 1,
        "mime_type": "video/mp4",
    }
    items = media_items(message(animation=anim, document={**anim, "file_name": "a.mp4"}))
    assert [i.kind for i in items] == ["animation"]


@pytest.mark.parametrize(
    ("mime", "name", "checked"),
    [
        ("image/png", "x.png", True),
        ("video/quicktime", None, True),
        ("application/octet-stream", "x.bin", True),
        (None, None, True),
        ("application/pdf", "renamed.jpg", True),
        ("application/pdf", "report.pdf", False),
        ("audio/mpeg", "song.mp3", False),
    ],
)
def test_documents_are_checked_when_they_may_be_pictures_or_videos(mime, name, checked) -> None:
    assert bool(media_items(message(document=doc(mime, name)))) is checked


def test_only_static_stickers_are_checked() -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "us",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    assert [i.kind for i in media_items(message(sticker=sticker))] == ["sticker"]
    assert media_items(message(sticker={**sticker, "is_animated": True})) == []
    assert media_items(message(sticker={**sticker, "is_video": True})) == []


def test_text_and_voice_messages_have_nothing_to_check() -> None:
    voice = {"file_id": "v", "file_unique_id": "uv", "duration": 3}
    assert media_items(message(text="hello")) == []
    assert media_items(message(voice=voice)) == []


def test_an_edit_is_a_new_record_key_with_its_edit_date() -> None:
    m = message(photo=[size("l", 10, 10)], edit_date=1700000100)
    assert message_context(m, edited=False).key == "-1001/9"
    assert message_context(m, edited=True).key == "-1001/9@1700000100"


def test_a_message_sent_as_a_chat_names_that_chat_not_the_placeholder_user() -> None:
    as_channel = {"id": -1007, "type": "channel", "title": "C"}
    placeholder = {"id": 136817688, "is_bot": True, "first_name": "Channel"}
    ctx = message_context(message(sender_chat=as_channel, **{"from": placeholder}), False)
    assert (ctx.sender, ctx.sender_user_id, ctx.sender_chat_id) == ("-1007", None, -1007)


def test_chat_kind_says_public_when_the_chat_has_a_username() -> None:
    public = message(chat={**CHAT, "username": "walkers"})
    assert message_context(public, False).chat_kind == "public_supergroup"
    assert message_context(message(), False).chat_kind == "private_supergroup"


def test_record_context_carries_member_count_sender_and_upload_time() -> None:
    m = message(photo=[size("l", 10, 10)])
    (item,) = media_items(m)
    ctx = message_context(m, False).record_context(item, 321)
    assert (ctx.platform, ctx.message_id, ctx.chat_id, ctx.member_count) == (
        "telegram",
        "-1001/9",
        "-1001",
        321,
    )
    assert ctx.sender_account_id == "5" and int(ctx.upload_time.timestamp()) == 1700000000


# -- settings ----------------------------------------------------------------------------------

TOKEN = {"BASTION_BOT_TOKEN": "123:abc"}


@pytest.mark.parametrize(
    ("env", "options", "message"),
    [
        ({}, {}, "BASTION_BOT_TOKEN is not set"),
        ({"BASTION_BOT_TOKEN": "abc"}, {}, "does not look like a bot token"),
        (TOKEN, {"service_url": "http://s"}, "BASTION_BOT_SERVICE_KEY"),
        (TOKEN, {"max_download_mb": 50}, "needs a local Bot API server"),
        (TOKEN, {"admin_chat": "@mods"}, "numeric chat id"),
        (
            {**TOKEN, "BASTION_BOT_WEBHOOK_SECRET": "has space"},
            {"webhook_url": "https://x/h"},
            "1-256 characters",
        ),
        (TOKEN, {"webhook_url": "https://x/h", "webhook_listen": "8443"}, "HOST:PORT"),
        (TOKEN, {"local_files": "/a=/b"}, "only applies with --local-api"),
    ],
)
def test_bad_settings_are_refused_with_what_to_do(env, options, message) -> None:
    with pytest.raises(BotConfigError, match=message):
        load_config(environ=env, **options)


def test_a_local_bot_api_server_lifts_the_download_limit() -> None:
    cloud = load_config(environ=TOKEN)
    local = load_config(environ=TOKEN, api_url="http://127.0.0.1:8081", local_api=True)
    assert cloud.download_limit == 20 * 1024 * 1024 and local.download_limit is None


def test_webhook_without_a_secret_gets_a_random_one_each_start() -> None:
    a = load_config(environ=TOKEN, webhook_url="https://bot.example.org/tg")
    b = load_config(environ=TOKEN, webhook_url="https://bot.example.org/tg")
    assert a.webhook.secret != b.webhook.secret and a.webhook.path == "/tg"


# -- state ---------------------------------------------------------------------------------------


def test_state_survives_a_save_and_load(tmp_path) -> None:
    state = BotState(tmp_path / "s.json")
    state.mark_handled(41)
    state.set_warned(-100, "Delete messages")
    state.count(-100, "removed")
    state.save()
    again = BotState.load(tmp_path / "s.json")
    assert again.seen(41) and not again.seen(42)
    assert again.warned(-100) and again.counts(-100)["removed"] == 1
    assert again.counts()["removed"] == 1


def test_state_remembers_a_bounded_number_of_updates(tmp_path) -> None:
    state = BotState(tmp_path / "s.json")
    for i in range(RECENT_UPDATES + 10):
        state.mark_handled(i)
    assert state.seen(RECENT_UPDATES + 9) and not state.seen(0)
    assert len(state.handled) == RECENT_UPDATES


def test_an_unreadable_state_file_is_an_error_that_says_what_to_do(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    with pytest.raises(StateError, match="move it aside"):
        BotState.load(path)


def test_state_is_replaced_whole_never_left_half_written(tmp_path) -> None:
    state = BotState(tmp_path / "s.json")
    state.mark_handled(1)
    state.save()
    state.mark_handled(2)
    state.save()
    assert json.loads((tmp_path / "s.json").read_text())["handled"] == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
