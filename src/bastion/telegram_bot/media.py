"""Which files of a message are checked, and the message's context: pure functions of aiogram's
`Message` (Bot API field notes: shared/research/telegram-formats.md, section 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

from aiogram.types import Message

from bastion.decisions import Context

PLATFORM = "telegram"
VIDEO_KINDS = ("video", "animation", "video_note", "live_photo")
# A document is checked when it says it is a picture or a video, or says nothing useful about
# itself: renaming a JPEG or clearing its type must not be a way around the check.
_PICTURES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif")
_VIDEOS = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".3gp", ".mpg", ".mpeg")
_MEDIA_EXTENSIONS = frozenset(_PICTURES + _VIDEOS)
_UNTYPED = (None, "", "application/octet-stream", "binary/octet-stream")


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One file of a message. `part` tells two files of one message apart in the record key
    ("" for the message's main file)."""

    kind: str
    file_id: str
    file_unique_id: str
    file_size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None
    part: str = ""

    @property
    def is_video(self) -> bool:
        return self.kind in VIDEO_KINDS or (self.mime_type or "").startswith("video/")

    @property
    def source(self) -> str:
        """A name for the file in records (never its content)."""
        return self.file_name or f"{self.kind}-{self.file_unique_id}"


def media_items(message: Message) -> list[MediaItem]:
    found: list[MediaItem] = []
    if message.photo:
        # Sizes come smallest first; the largest is the closest to what the sender sent.
        p = max(message.photo, key=lambda s: (s.width * s.height, s.file_size or 0))
        found.append(MediaItem("photo", p.file_id, p.file_unique_id, p.file_size, "image/jpeg"))
    if message.animation:
        # "when this field is set, the document field will also be set": one file, checked once
        a = message.animation
        found.append(
            MediaItem(
                "animation", a.file_id, a.file_unique_id, a.file_size, a.mime_type, a.file_name
            )
        )
    elif message.document and _is_media_document(
        message.document.mime_type, message.document.file_name
    ):
        d = message.document
        found.append(
            MediaItem(
                "document", d.file_id, d.file_unique_id, d.file_size, d.mime_type, d.file_name
            )
        )
    if message.video:
        v = message.video
        found.append(
            MediaItem("video", v.file_id, v.file_unique_id, v.file_size, v.mime_type, v.file_name)
        )
    if message.video_note:
        n = message.video_note
        found.append(MediaItem("video_note", n.file_id, n.file_unique_id, n.file_size, "video/mp4"))
    if message.sticker and not message.sticker.is_animated and not message.sticker.is_video:
        s = message.sticker
        found.append(MediaItem("sticker", s.file_id, s.file_unique_id, s.file_size, "image/webp"))
    lp = getattr(message, "live_photo", None)  # Bot API 10; older aiogram lacks the field
    if lp is not None:
        # Its photo is also in message.photo (checked above); this is its video part.
        found.append(
            MediaItem(
                "live_photo", lp.file_id, lp.file_unique_id, lp.file_size, lp.mime_type, part="live"
            )
        )
    unique: dict[str, MediaItem] = {}
    for item in found:
        unique.setdefault(item.file_unique_id, item)
    return list(unique.values())


def _is_media_document(mime: str | None, name: str | None) -> bool:
    if mime and mime.split("/")[0] in ("image", "video"):
        return True
    if name and PurePosixPath(name.lower()).suffix in _MEDIA_EXTENSIONS:
        return True
    return mime in _UNTYPED


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Where a message was posted and by whom, as the Bot API tells it."""

    chat_id: int
    chat_type: str  # group, supergroup, channel
    chat_title: str | None
    chat_username: str | None
    message_id: int
    date: datetime
    edit_date: datetime | None
    media_group_id: str | None
    sender_user_id: int | None
    sender_username: str | None
    sender_is_bot: bool
    sender_chat_id: int | None
    sender_chat_title: str | None
    is_automatic_forward: bool
    edited: bool

    @property
    def key(self) -> str:
        """The record's message id: an edit that swaps the media is a new decision."""
        base = f"{self.chat_id}/{self.message_id}"
        if not self.edited:
            return base
        return f"{base}@{int(self.edit_date.timestamp())}" if self.edit_date else f"{base}@edit"

    @property
    def chat_kind(self) -> str:
        """public_/private_ + type, the vocabulary of Telegram Desktop exports ("public" means
        the chat has a username anyone can find)."""
        return f"{'public' if self.chat_username else 'private'}_{self.chat_type}"

    @property
    def sender(self) -> str | None:
        """The account the record names: the user, or the chat a message was posted as."""
        if self.sender_chat_id is not None:
            return str(self.sender_chat_id)
        return str(self.sender_user_id) if self.sender_user_id is not None else None

    def describe_sender(self) -> str:
        if self.sender_chat_id is not None:
            if self.sender_chat_id == self.chat_id:
                return f"the chat itself (id {self.sender_chat_id})"
            title = f'"{self.sender_chat_title}" ' if self.sender_chat_title else ""
            return f"chat {title}(id {self.sender_chat_id})"
        if self.sender_user_id is None:
            return "unknown sender"
        name = f"@{self.sender_username} " if self.sender_username else ""
        return f"{name}(id {self.sender_user_id})"

    def record_context(self, item: MediaItem, member_count: int | None) -> Context:
        key = self.key + (f"#{item.part}" if item.part else "")
        return Context(
            platform=PLATFORM,
            message_id=key,
            chat_id=str(self.chat_id),
            chat_type=self.chat_kind,
            member_count=member_count,
            sender_account_id=self.sender,
            upload_time=self.edit_date if self.edited and self.edit_date else self.date,
        )


def message_context(message: Message, edited: bool) -> MessageContext:
    chat = message.chat
    user = message.from_user
    sender_chat = message.sender_chat
    if chat.type == "channel" and sender_chat is None:
        sender_chat = chat  # a channel post is posted as the channel
    return MessageContext(
        chat_id=chat.id,
        chat_type=chat.type,
        chat_title=chat.title,
        chat_username=chat.username,
        message_id=message.message_id,
        date=_utc(message.date),
        edit_date=datetime.fromtimestamp(message.edit_date, UTC) if message.edit_date else None,
        media_group_id=message.media_group_id,
        # With sender_chat set, `from` holds a placeholder user (Group Anonymous Bot, Channel
        # Bot, Telegram): never name or ban it.
        sender_user_id=user.id if user and sender_chat is None else None,
        sender_username=user.username if user and sender_chat is None else None,
        sender_is_bot=bool(user and user.is_bot and sender_chat is None),
        sender_chat_id=sender_chat.id if sender_chat else None,
        sender_chat_title=sender_chat.title if sender_chat else None,
        is_automatic_forward=bool(message.is_automatic_forward),
        edited=edited,
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
