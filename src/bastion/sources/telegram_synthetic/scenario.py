"""The demo's export: one invented account, benign pictures, every case a reader must handle.

- chats of each common type: saved messages, a personal chat, a private group, a public
  supergroup, a private channel (with a member count for the demo) and a left public channel;
- the owner both receives media and sends and forwards it;
- one photo referenced by two messages in two chats (a channel post the owner forwarded into
  the group: tdesktop saves it once and both messages name the channel's copy);
- placeholders: a voice message not included, a video over the size limit (with its thumbnail
  skipped too), a view-once photo unavailable;
- service messages, one of them a new group photo; an edited message; a channel post with a
  signature; a message from a deleted account (`"from": null`);
- text with control characters (written as the invalid-JSON `\\xHH`) and formatted entities.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bastion.sources.telegram_synthetic.spec import (
    Chat,
    Entity,
    Export,
    Media,
    Message,
    Person,
    Service,
)

OWNER = Person(6123456789, "Sam", "Rivera")
ALICE = Person(7012345678, "Alice", "Chen")
BOB = Person(5987654321, "Bob", "Okafor")
DELETED = Person(5550001111)  # a deleted account: no name
CHANNEL_MEMBERS = 1240
LEFT_CHANNEL_MEMBERS = 58_000


def _at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, tzinfo=UTC)


def demo_export() -> Export:
    pier = Media("photo", seed=101, pixels=(1280, 960), share="pier")
    channel = Chat(
        id=1987654321,
        type="private_channel",
        name="Harbour Book Club Notices",
        member_count=CHANNEL_MEMBERS,
        messages=(
            Message(1, _at(1, 18, 0), service=Service("create_channel", "Harbour Book Club Notices")),
            Message(2, _at(4, 19, 30), text="This month's pick is on the shelf.", media=pier, author="Sam Rivera"),
            Message(3, _at(5, 15, 0), text=(Entity("bold", "Next meeting:"), " Thursday 7 pm")),
        ),
    )  # fmt: skip
    group = Chat(
        id=912345678,
        type="private_group",
        name="Harbour Walkers",
        messages=(
            Message(48190, _at(2, 9, 15), OWNER, service=Service("create_group", "Harbour Walkers", ("Sam Rivera", "Alice Chen"))),
            Message(48191, _at(2, 9, 16), OWNER, service=Service("invite_members", members=("Bob Okafor",))),
            Message(48192, _at(2, 9, 20), OWNER, service=Service("edit_group_photo", photo=Media("photo", seed=102, pixels=(640, 640)))),
            Message(48213, _at(5, 14, 2, 11), ALICE, text=("Sunset at the pier \x01 more on ", Entity("link", "https://example.org/pier")), media=Media("photo", seed=103, pixels=(1280, 960))),
            Message(48214, _at(5, 14, 2, 11), ALICE, media=Media("photo", seed=104, pixels=(960, 1280))),
            Message(48215, _at(5, 14, 5, 37), BOB, text="Lovely\x0c light!", reply_to=48213, edited=_at(5, 14, 6, 2)),
            Message(48220, _at(5, 14, 20, 3), BOB, text="Waves this afternoon", media=Media("video", seed=105, pixels=(320, 240), file_name="waves.avi", duration=2)),
            Message(48224, _at(5, 14, 31, 48), ALICE, media=Media("video", seed=106, state="too_large", file_name="harbour_walk_full.mp4", declared_bytes=31_457_280, duration=95)),
            Message(48225, _at(5, 14, 33, 5), BOB, media=Media("voice", state="not_included", declared_bytes=23_817, duration=9)),
            Message(48226, _at(5, 14, 40, 0), DELETED, text="Found this one on my phone", media=Media("photo", seed=107)),
            Message(48227, _at(5, 14, 41, 0), BOB, media=Media("sticker", seed=108)),
            Message(48231, _at(6, 8, 45, 12), OWNER, forwarded_from="Harbour Book Club Notices", text="This month's pick is on the shelf.", media=pier),
        ),
    )  # fmt: skip
    supergroup = Chat(
        id=1555000111,
        type="public_supergroup",
        name="Seaside Photography Club",
        messages=(
            Message(901, _at(3, 10, 0), service=Service("create_channel", "Seaside Photography Club")),
            Message(902, _at(3, 11, 30), ALICE, text="Morning light", media=Media("photo", seed=109, pixels=(1024, 768))),
            Message(903, _at(3, 11, 45), OWNER, text="Waves again", media=Media("animation", seed=110, pixels=(160, 120))),
            Message(904, _at(3, 12, 0), BOB, media=Media("photo", seed=111, state="unavailable", self_destruct_seconds=10)),
        ),
    )  # fmt: skip
    personal = Chat(
        id=ALICE.user_id,
        type="personal_chat",
        name="Alice",
        last_name="Chen",
        messages=(
            Message(5001, _at(4, 20, 0), ALICE, text="The pier, as promised", media=Media("photo", seed=112)),
            Message(5002, _at(4, 20, 5), OWNER, text="Here is the full-size one", media=Media("document", seed=113, file_name="sunset.png", pixels=(800, 600))),
            Message(5003, _at(4, 20, 6), OWNER, media=Media("audio", file_name="gulls.wav", duration=1)),
        ),
    )  # fmt: skip
    saved = Chat(
        id=OWNER.user_id,
        type="saved_messages",
        name=None,
        messages=(
            Message(7001, _at(6, 9, 0), OWNER, text="Route notes\tfor Thursday", media=Media("photo", seed=114, pixels=(800, 600))),
        ),
    )  # fmt: skip
    left = Chat(
        id=1777000222,
        type="public_channel",
        name="Coastal Weather Alerts",
        left=True,
        member_count=LEFT_CHANNEL_MEMBERS,
        messages=(
            Message(310, _at(1, 7, 0), text="Storm warning", media=Media("photo", seed=115, state="too_large", declared_bytes=12_000_000)),
        ),
    )  # fmt: skip
    return Export(
        owner=OWNER,
        chats=(saved, personal, group, supergroup, channel, left),
        username="sam_rivera_example",
        profile_pictures=((_at(1, 10, 11, 12), Media("photo", seed=100, pixels=(640, 640))),),
        utc_offset=timedelta(hours=1),
    )
