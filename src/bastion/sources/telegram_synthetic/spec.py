"""A small declarative description of a benign synthetic Telegram account export.

Every name, id and text here is invented; every picture is generated (bastion.synthetic). The
spec says what happened (who sent which media where, when); the writers decide file names,
folders, placeholders and markup exactly as tdesktop would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

MediaState = Literal["downloaded", "not_included", "too_large", "unavailable"]
SpecKind = Literal[
    "photo", "video", "animation", "sticker", "voice", "video_message", "audio", "document"
]


@dataclass(frozen=True)
class Person:
    """A user. Empty names make a deleted account: tdesktop writes `"from": null`."""

    user_id: int
    first_name: str = ""
    last_name: str = ""

    @property
    def name(self) -> str:
        # ContactInfo::name in export_data_types.cpp: "First Last", either alone, or "".
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def peer(self) -> str:
        return f"user{self.user_id}"


@dataclass(frozen=True)
class Media:
    """One attachment. `share`: attachments with the same label are one server file, which
    tdesktop saves once and names in every later message (de-duplication in export_api_wrap)."""

    kind: SpecKind
    seed: int = 1
    state: MediaState = "downloaded"
    file_name: str | None = None  # the sender's original name (documents and videos)
    pixels: tuple[int, int] = (640, 480)
    declared_bytes: int | None = None  # the server's size for media not downloaded
    share: str | None = None
    duration: int = 3
    self_destruct_seconds: int | None = None  # with state "unavailable": received view-once


@dataclass(frozen=True)
class Entity:
    """A formatted part of a text: bold, link, text_link (href), custom_emoji (an emoji file
    path is filled in by the writer), ..."""

    type: str
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Service:
    action: Literal[
        "create_group", "create_channel", "invite_members", "edit_group_photo", "pin_message"
    ]
    title: str | None = None
    members: tuple[str, ...] = ()
    photo: Media | None = None  # edit_group_photo
    message_id: int | None = None  # pin_message


@dataclass(frozen=True)
class Message:
    """`sender` None is a post by the chat itself (channels); `date` is timezone-aware."""

    id: int
    date: datetime
    sender: Person | None = None
    text: str | tuple[str | Entity, ...] = ""
    media: Media | None = None
    forwarded_from: str | None = None
    edited: datetime | None = None
    author: str | None = None  # channel post signature
    reply_to: int | None = None
    service: Service | None = None


ChatType = Literal[
    "personal_chat",
    "bot_chat",
    "saved_messages",
    "private_group",
    "private_supergroup",
    "public_supergroup",
    "private_channel",
    "public_channel",
]


@dataclass(frozen=True)
class Chat:
    """`name` is a group or channel title, or a personal chat partner's first name (tdesktop's
    DialogInfo.name), with `last_name` beside it. `messages` may be any iterable, a generator
    for very large exports. `member_count` is not part of any export: tdesktop writes none; the
    demo supplies it separately."""

    id: int
    type: ChatType
    name: str | None
    messages: Iterable[Message]
    last_name: str = ""
    member_count: int | None = None
    left: bool = False  # listed under left_chats


@dataclass(frozen=True)
class Export:
    owner: Person
    chats: tuple[Chat, ...]
    phone_number: str = "+44 7700 900000"
    username: str | None = None
    profile_pictures: tuple[tuple[datetime, Media], ...] = ()
    # The exporting computer's UTC offset: tdesktop writes `date`, file names and HTML titles in
    # its local time.
    utc_offset: timedelta = field(default=timedelta(0))
