"""The moderation bot end to end: the real bot (aiogram over HTTP) against a fake Bot API server
on 127.0.0.1, with real banks in a real store."""

from __future__ import annotations

import time

import pytest

from bastion.hashing import hash_bytes
from bastion.store import Store
from bastion.synthetic import encode, photo_like, photo_like_jpeg
from tests.bot_support import ADMIN_CHAT, CHANNEL, GROUP, SUPERGROUP, World
from tests.fake_telegram import FakeTelegram


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))  # the vault key and files
    fake = FakeTelegram().start()
    fake.add_chat(
        SUPERGROUP,
        "supergroup",
        "Harbour Walkers",
        username="harbourwalkers",
        members=1234,
        admins={900},
    )
    fake.add_chat(CHANNEL, "channel", "Harbour Notices", members=5000)
    fake.add_chat(GROUP, "group", "Book Club", members=12)
    fake.add_chat(ADMIN_CHAT, "supergroup", "Moderators")
    url = f"sqlite:///{tmp_path / 'bastion.db'}"
    store = Store.open(url)
    world = World(fake, tmp_path, url, store)
    yield world
    world.stop_bots()  # those a failed test left running
    store.close()
    fake.stop()


LISTED = photo_like_jpeg(1)
BENIGN = photo_like_jpeg(2)


def test_listed_photo_is_deleted_and_its_sender_banned(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    msg = fake.message(SUPERGROUP, user=(501, "sender501"), photo=fake.photo(LISTED))
    fake.push("message", msg)
    fake.wait_for(lambda: fake.calls_to("banChatMember"), what="a ban")
    bot.stop()
    assert fake.calls_to("deleteMessage") == [
        {"chat_id": str(SUPERGROUP), "message_id": str(msg["message_id"])}
    ]
    assert fake.calls_to("banChatMember")[0]["user_id"] == "501"
    (sighting,) = world.sightings()
    assert sighting["message_id"] == f"{SUPERGROUP}/{msg['message_id']}"
    assert (sighting["verdict"], sighting["rule"]) == ("block", "hotline-exact")
    assert (sighting["chat_type"], sighting["member_count"], sighting["sender_account_id"]) == (
        "public_supergroup",
        1234,
        "501",
    )


def test_actions_on_a_decision_join_its_audit_trail(world) -> None:
    from bastion import audit

    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    (sighting_id,) = {r["sighting_id"] for r in world.journal("removed")}
    trail = [
        r
        for r in audit.tail(world.store)
        if (r.target_type, r.target_id) == ("sighting", str(sighting_id))
    ]
    assert {r.action for r in trail} == {"match.create", "telegram.delete", "telegram.ban"}
    assert "evidence.store" in {r.action for r in audit.tail(world.store)}
    assert audit.verify(world.store).ok


def test_listed_media_is_preserved_in_the_vault_before_it_is_deleted(world) -> None:
    from bastion.audit import Actor
    from bastion.store.models import SightingRow
    from bastion.vault import Vault

    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    (removed,) = world.journal("removed")
    assert "evidence preserved in the encrypted vault" in removed["notes"]
    with world.store.session() as s:
        content_id = s.get(SightingRow, removed["sighting_id"]).content_id
    kept = Vault.from_environment(world.store).read(content_id, Actor("test", "auditor"), "test")
    assert kept == LISTED


def test_no_media_is_ever_forwarded_or_sent(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: fake.texts_to(ADMIN_CHAT), what="the admin notice")
    bot.stop()
    methods = {c.method for c in fake.calls}
    assert not methods & {
        "forwardmessage",
        "copymessage",
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendmediagroup",
        "forwardmessages",
        "copymessages",
    }
    (notice,) = fake.texts_to(ADMIN_CHAT)
    assert "Removed listed media" in notice and '"Harbour Walkers"' in notice
    assert "sha256 " in notice and "@sender501" in notice


def test_unlisted_photo_is_left_alone(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(BENIGN)))
    fake.wait_for(lambda: world.sightings(), what="the decision")
    bot.stop()
    assert not fake.calls_to("deleteMessage") and not fake.calls_to("banChatMember")
    assert [s["verdict"] for s in world.sightings()] == ["allow"]
    assert fake.texts_to(ADMIN_CHAT) == []


def test_largest_photo_size_is_checked_and_a_recompressed_copy_matches_by_pdq(world) -> None:
    original = encode(photo_like(3, 1280, 960), "JPEG", 95)
    world.list_pdq(original)
    served = encode(photo_like(3, 1280, 960), "JPEG", 70)  # Telegram recompresses photos
    thumbnail = photo_like_jpeg(4, 90, 67)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(served, small=thumbnail)))
    fake.wait_for(lambda: fake.calls_to("deleteMessage"), what="a delete")
    bot.stop()
    (sighting,) = world.sightings()
    assert sighting["rule"] == "hotline-pdq"
    downloaded = [c.params["path"] for c in fake.calls if c.method == "file"]
    assert downloaded == [f.path for f in fake.files.values() if f.data == served]


def test_edit_that_swaps_in_listed_media_is_caught(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    first = fake.message(SUPERGROUP, photo=fake.photo(BENIGN))
    fake.push("message", first)
    fake.wait_for(lambda: world.sightings(), what="the first decision")
    edited = {**first, "edit_date": first["date"] + 60, "photo": fake.photo(LISTED)}
    fake.push("edited_message", edited)
    fake.wait_for(lambda: fake.calls_to("deleteMessage"), what="a delete")
    bot.stop()
    key = f"{SUPERGROUP}/{first['message_id']}"
    assert [(s["message_id"], s["verdict"]) for s in world.sightings()] == [
        (key, "allow"),
        (f"{key}@{first['date'] + 60}", "block"),
    ]


def test_an_edit_that_keeps_the_same_file_is_not_checked_again(world) -> None:
    world.list_md5(LISTED, bank="community", source="local")
    bot = world.bot()
    fake = world.fake
    first = fake.message(SUPERGROUP, photo=fake.photo(LISTED))
    fake.push("message", first)
    fake.wait_for(lambda: fake.texts_to(ADMIN_CHAT), what="the review notice")
    fake.push("edited_message", {**first, "edit_date": first["date"] + 5, "caption": "typo fixed"})
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(BENIGN)))
    fake.wait_for(lambda: len(world.sightings()) == 2, what="the next message's decision")
    bot.stop()
    assert len(fake.texts_to(ADMIN_CHAT)) == 1
    assert [s["verdict"] for s in world.sightings()] == ["review", "allow"]


def test_channel_post_is_deleted_without_a_ban(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    post = fake.message(CHANNEL, photo=fake.photo(LISTED))
    fake.push("channel_post", post)
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    assert fake.calls_to("deleteMessage")[0]["chat_id"] == str(CHANNEL)
    assert not fake.calls_to("banChatMember") and not fake.calls_to("banChatSenderChat")
    (removed,) = world.journal("removed")
    assert removed["ban"] == "skipped" and removed["chat_type"] == "private_channel"
    assert world.sightings()[0]["member_count"] == 5000


def test_message_posted_as_a_channel_bans_that_channel(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    as_channel = {"id": -1005555555555, "type": "channel", "title": "Spam Channel"}
    fake.push("message", fake.message(SUPERGROUP, sender_chat=as_channel, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: fake.calls_to("banChatSenderChat"), what="a sender-chat ban")
    bot.stop()
    assert fake.calls_to("banChatSenderChat")[0]["sender_chat_id"] == "-1005555555555"
    assert not fake.calls_to("banChatMember")
    assert world.sightings()[0]["sender_account_id"] == "-1005555555555"


def test_listed_picture_sent_as_a_file_in_a_basic_group_is_removed(world) -> None:
    png = encode(photo_like(5, 320, 240), "PNG")
    world.list_md5(png)
    bot = world.bot()
    fake = world.fake
    doc = fake.document(png, "image/png", "holiday.png")
    fake.push("message", fake.message(GROUP, user=(777, None), document=doc))
    fake.wait_for(lambda: fake.calls_to("banChatMember"), what="a ban")
    bot.stop()
    assert fake.calls_to("deleteMessage")[0]["chat_id"] == str(GROUP)
    assert fake.calls_to("banChatMember")[0]["user_id"] == "777"
    assert world.sightings()[0]["chat_type"] == "private_group"


def test_album_items_are_checked_one_by_one(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    album = [
        fake.message(SUPERGROUP, media_group_id="alb1", photo=fake.photo(data))
        for data in (BENIGN, LISTED, photo_like_jpeg(6))
    ]
    for item in album:
        fake.push("message", item)
    fake.wait_for(lambda: len(world.sightings()) == 3, what="three decisions")
    bot.stop()
    assert [c["message_id"] for c in fake.calls_to("deleteMessage")] == [
        str(album[1]["message_id"])
    ]
    assert [s["verdict"] for s in world.sightings()] == ["allow", "block", "allow"]


def test_undecodable_video_is_matched_by_exact_digest_and_the_record_says_so(world) -> None:
    clip = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8
    world.list_md5(clip)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, video=fake.video(clip)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    (removed,) = world.journal("removed")
    assert removed["media"] == "video" and removed["rule"] == "hotline-exact"
    assert any("exact digests only" in note for note in removed["notes"])


def test_a_listed_video_posted_re_encoded_is_found_by_vpdq(world) -> None:
    from tests.video_factory import video

    original = video(seconds=3, seed=31)
    world.list_hash("vpdq", hash_bytes(original, "listed.mp4").vpdq.to_text())
    posted = video(seconds=3, seed=31, options={"crf": "35"})  # the sender's app re-encodes
    assert posted != original
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, video=fake.video(posted)))
    fake.wait_for(lambda: world.sightings(), what="the decision")
    bot.stop()
    (sighting,) = world.sightings()
    assert sighting["verdict"] != "allow"
    (notice,) = fake.texts_to(ADMIN_CHAT)
    assert "vpdq in iwf" in notice and "% of the video's frames" in notice


def test_file_over_the_download_limit_is_recorded_as_unscanned(world) -> None:
    bot = world.bot()
    fake = world.fake
    big = fake.video(b"not fetched", declared=25_000_000)
    fake.push("message", fake.message(SUPERGROUP, video=big))
    fake.wait_for(lambda: world.journal("unscanned"), what="the unscanned record")
    bot.stop()
    (record,) = world.journal("unscanned")
    assert record["reason"] == "too_large" and "local Bot API server" in record["detail"]
    assert record["file_size"] == 25_000_000
    assert not fake.calls_to("getFile")  # decided from the message's file_size
    assert world.sightings() == []


def test_file_the_bot_api_refuses_as_too_big_is_recorded_as_unscanned(world) -> None:
    bot = world.bot()
    fake = world.fake
    big = fake.video(b"not fetched", declared=30_000_000, with_size=False)
    fake.push("message", fake.message(SUPERGROUP, video=big))
    fake.wait_for(lambda: world.journal("unscanned"), what="the unscanned record")
    bot.stop()
    assert fake.responses("getFile") == [400]
    assert world.journal("unscanned")[0]["reason"] == "too_large"


def test_failed_delete_is_reported_with_telegrams_words(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.fail_next("deleteMessage", 400, "Bad Request: message can't be deleted")
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: len(fake.texts_to(ADMIN_CHAT)) >= 2, what="the admin notices")
    bot.stop()
    notices = fake.texts_to(ADMIN_CHAT)
    assert "FAILED to remove" in notices[0] and "message can't be deleted" in notices[0]
    assert "cannot protect" in notices[1]
    (record,) = world.journal("remove_failed")
    assert record["delete"] == "failed" and record["ban"] == "done"


def test_missing_rights_are_reported_once_per_chat(world) -> None:
    world.list_md5(LISTED)
    world.fake.chats[SUPERGROUP].bot_status = "member"
    bot = world.bot()
    fake = world.fake
    for _ in range(3):
        fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: len(world.journal("remove_failed")) == 3, what="three failed removals")
    bot.stop()
    in_chat = [t for t in fake.texts_to(SUPERGROUP) if "cannot protect" in t]
    to_admins = [t for t in fake.texts_to(ADMIN_CHAT) if "cannot protect" in t]
    assert len(in_chat) == 1 and len(to_admins) == 1
    assert "Delete messages" in in_chat[0] and "Ban users" in in_chat[0]


def test_flood_control_retry_after_is_honoured(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.fail_next("deleteMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    # The fake refuses again any call made before retry_after is over: one 429, then success.
    assert fake.responses("deleteMessage") == [429, 200]


def test_transient_server_error_is_retried(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.fail_next("banChatMember", 502, "Bad Gateway")
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    assert fake.responses("banChatMember") == [502, 200]


def test_restart_does_not_reprocess_handled_updates(world) -> None:
    world.list_md5(LISTED)
    fake = world.fake
    bot = world.bot()
    update_id = fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    fake.requeue(update_id)  # as if the stop came before getUpdates confirmed it
    polls = len(fake.calls_to("getUpdates"))
    bot = world.bot()
    fake.wait_for(lambda: len(fake.calls_to("getUpdates")) >= polls + 2, what="two more polls")
    bot.stop()
    assert len(fake.calls_to("deleteMessage")) == 1
    assert len(world.sightings()) == 1 and len(world.journal("removed")) == 1


def test_unexpected_updates_do_not_stop_the_bot(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push_raw({"message": {"message_id": 1, "chat": "not a chat", "date": 0}})
    fake.push_raw({"edited_channel_post": {"garbage": True}})
    fake.push_raw(
        {
            "message": {
                "message_id": 2,
                "date": 1,
                "chat": {"id": 5, "type": "private"},
                "photo": "not a list",
            }
        }
    )
    fake.add_chat(77, "private", None)
    fake.push("message", fake.message(77, photo=fake.photo(LISTED)))  # private: not moderated
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    assert len(world.journal("update_failed")) == 3
    assert [c["chat_id"] for c in fake.calls_to("deleteMessage")] == [str(SUPERGROUP)]


def test_review_verdict_keeps_the_message_and_notifies_the_admin_chat(world) -> None:
    world.list_md5(LISTED, bank="community", source="local")
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: fake.texts_to(ADMIN_CHAT), what="the admin notice")
    bot.stop()
    assert not fake.calls_to("deleteMessage") and not fake.calls_to("banChatMember")
    (notice,) = fake.texts_to(ADMIN_CHAT)
    assert "held for review" in notice and "community" in notice
    assert [s["verdict"] for s in world.sightings()] == ["review"]


def test_neutral_notice_is_posted_after_a_removal(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot(notice="A message was removed by this chat's moderation bot.")
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: fake.texts_to(SUPERGROUP), what="the notice")
    bot.stop()
    assert fake.texts_to(SUPERGROUP) == ["A message was removed by this chat's moderation bot."]


def test_status_and_stats_answer_the_chats_administrators(world) -> None:
    world.list_md5(LISTED)
    bot = world.bot()
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, photo=fake.photo(LISTED)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal")
    fake.push("message", fake.message(SUPERGROUP, user=(501, "x"), text="/status"))
    fake.push("message", fake.message(SUPERGROUP, user=(900, "admin"), text="/status"))
    fake.push("message", fake.message(SUPERGROUP, user=(900, "admin"), text="/stats"))
    fake.wait_for(lambda: len(fake.texts_to(SUPERGROUP)) >= 2, what="two answers")
    bot.stop()
    status, stats = fake.texts_to(SUPERGROUP)
    assert "iwf (iwf, block, 1 entries)" in status
    assert "rights in this chat: administrator: delete messages yes, ban users yes" in status
    assert "last update: 20" in status
    assert "items checked: 1" in stats and "removed: 1" in stats and "senders banned: 1" in stats


def test_webhook_mode_checks_the_secret_token(world) -> None:
    import httpx

    from bastion.telegram_bot.config import WebhookConfig
    from tests.service_support import free_port

    world.list_md5(LISTED)
    port = free_port()
    hook = WebhookConfig("https://bot.example.org/tg/hook", "s3cret_token", "127.0.0.1", port)
    bot = world.bot(webhook=hook)
    fake = world.fake
    assert fake.webhook["url"] == hook.url and fake.webhook["secret_token"] == "s3cret_token"
    update = {"update_id": 1, "message": fake.message(SUPERGROUP, photo=fake.photo(LISTED))}
    url = f"http://127.0.0.1:{port}/tg/hook"
    wrong = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
    assert wrong.status_code == 401 and not world.sightings()
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_token"}
    assert httpx.post(url, json=update, headers=headers, timeout=30).status_code == 200
    assert httpx.post(url, json=update, headers=headers, timeout=30).status_code == 200  # retry
    bot.stop()
    assert fake.responses("deleteMessage") == [200] and not fake.calls_to("getUpdates")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """One real Bastion service for the service-mode tests, with a hotline bank listing LISTED."""
    from tests.service_support import start_service

    home = tmp_path_factory.mktemp("service")
    svc = start_service(f"sqlite:///{home / 'service.db'}", home)
    admin = svc.client("admin")
    assert admin.post("/v1/banks", json={"name": "iwf", "source": "iwf"}).status_code == 201
    md5 = hash_bytes(LISTED, "listed").digests.md5
    entries = {"entries": [{"signal_type": "md5", "value": md5, "category": "A"}]}
    assert admin.post("/v1/banks/iwf/entries", json=entries).status_code == 200
    yield svc
    svc.stop()


def test_service_mode_sends_the_media_with_its_context_to_the_service(world, service) -> None:
    from bastion import keys
    from bastion.store import Store as ServiceStore

    store = ServiceStore.open(service.database_url)
    _, platform_key = keys.create_key(store, "platform", "telegram-bot", "tests")
    store.close()
    bot = world.bot(service_url=service.url, service_key=platform_key)
    fake = world.fake
    msg = fake.message(SUPERGROUP, user=(501, "sender501"), photo=fake.photo(LISTED))
    fake.push("message", msg)
    fake.wait_for(lambda: fake.calls_to("banChatMember"), what="a ban")
    fake.push("message", fake.message(SUPERGROUP, user=(900, "admin"), text="/status"))
    fake.wait_for(lambda: fake.texts_to(SUPERGROUP), what="the status answer")
    bot.stop()
    (match,) = service.client("reviewer").get("/v1/matches").json()["matches"]
    sighting = match["sighting"]
    assert sighting["platform"] == "telegram"
    assert sighting["message_id"] == f"{SUPERGROUP}/{msg['message_id']}"
    assert (sighting["chat_id"], sighting["chat_type"], sighting["member_count"]) == (
        str(SUPERGROUP),
        "public_supergroup",
        1234,
    )
    assert sighting["sender_account_id"] == "501" and sighting["verdict"] == "block"
    assert sighting["upload_time"].startswith(time.strftime("%Y-", time.gmtime(msg["date"])))
    assert world.sightings() == []  # recorded by the service, not in a local store
    (status,) = fake.texts_to(SUPERGROUP)
    assert f"matching: service {service.url}" in status and "iwf (iwf, block" in status


def test_service_that_refuses_the_key_stops_the_start_with_a_clear_error(world, service) -> None:
    from bastion.telegram_bot.runner import BotStartError

    with pytest.raises(BotStartError, match="refused the key in BASTION_BOT_SERVICE_KEY"):
        world.bot(service_url=service.url, service_key="bst_wrong")


def test_refused_token_stops_the_start_with_a_clear_error(world) -> None:
    from bastion.telegram_bot.runner import BotStartError

    with pytest.raises(BotStartError, match="refused the token") as raised:
        world.bot(token="4242:wrong-secret")
    assert "wrong-secret" not in str(raised.value)


def test_a_local_bot_api_server_lets_the_bot_check_files_over_20_mb(world, tmp_path) -> None:
    clip = b"\x00\x00\x00\x18ftypmp42" + bytes(range(200)) * 3
    world.list_md5(clip)
    world.fake.local_dir = tmp_path / "telegram-bot-api"
    bot = world.bot(local_api=True, download_limit=None)
    fake = world.fake
    fake.push("message", fake.message(SUPERGROUP, video=fake.video(clip, declared=300_000_000)))
    fake.wait_for(lambda: world.journal("removed"), what="the removal record")
    bot.stop()
    assert [c.method for c in fake.calls if c.method == "file"] == []  # read from disk
    assert world.journal("removed")[0]["file_size"] == 300_000_000


def test_the_bot_follows_its_rights_as_admins_change_them(world) -> None:
    fake = world.fake
    bot = world.bot()

    def change(status: str, **rights) -> None:
        member = {
            "user": {"id": fake.bot_id, "is_bot": True, "first_name": "B"},
            "status": status,
            **rights,
        }
        fake.push(
            "my_chat_member",
            {
                "chat": fake.chats[SUPERGROUP].json(),
                "from": {"id": 900, "is_bot": False, "first_name": "Admin"},
                "date": int(time.time()),
                "old_chat_member": {"user": member["user"], "status": "member"},
                "new_chat_member": member,
            },
        )

    change("administrator", can_delete_messages=True, can_restrict_members=False)
    fake.wait_for(lambda: world.journal("rights_missing"), what="a rights warning")
    change("administrator", can_delete_messages=True, can_restrict_members=True)
    fake.wait_for(lambda: world.journal("rights_ok"), what="rights restored")
    change("member")
    fake.wait_for(lambda: len(world.journal("rights_missing")) == 2, what="a second warning")
    bot.stop()
    first, second = (t for t in fake.texts_to(ADMIN_CHAT) if "cannot protect" in t)
    assert "Missing: Ban users." in first and "Missing: administrator status." in second


def test_exactly_the_listed_media_is_removed_across_groups_supergroups_and_channels(world) -> None:
    fake = world.fake
    sticker_bytes = encode(photo_like(21, 512, 512), "WEBP")
    listed = {"photo": photo_like_jpeg(20), "sticker": sticker_bytes}
    for data in listed.values():
        world.list_md5(data)

    def sticker(data: bytes) -> dict:
        f = fake.add_file(data, folder="stickers")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }

    traffic = [
        ("message", fake.message(GROUP, photo=fake.photo(listed["photo"])), True),
        ("message", fake.message(GROUP, photo=fake.photo(photo_like_jpeg(22))), False),
        ("message", fake.message(SUPERGROUP, sticker=sticker(sticker_bytes)), True),
        (
            "message",
            fake.message(SUPERGROUP, sticker=sticker(encode(photo_like(23), "WEBP"))),
            False,
        ),
        ("message", fake.message(SUPERGROUP, text="no media here"), False),
        ("channel_post", fake.message(CHANNEL, photo=fake.photo(photo_like_jpeg(24))), False),
        ("channel_post", fake.message(CHANNEL, photo=fake.photo(listed["photo"])), True),
    ]
    bot = world.bot()
    for kind, msg, _ in traffic:
        fake.push(kind, msg)
    fake.wait_for(lambda: len(world.sightings()) == 6, what="six decisions")
    bot.stop()
    removed = {(int(c["chat_id"]), int(c["message_id"])) for c in fake.calls_to("deleteMessage")}
    assert removed == {
        (m["chat"]["id"], m["message_id"]) for _, m, is_listed in traffic if is_listed
    }
    verdicts = {s["message_id"]: s["verdict"] for s in world.sightings()}
    assert sorted(verdicts.values()) == ["allow", "allow", "allow", "block", "block", "block"]
