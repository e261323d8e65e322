"""result.json as tdesktop's JsonWriter writes it (Telegram/SourceFiles/export/output/
export_output_json.cpp): keys in its order, empty values omitted, one space of indentation per
nesting level, non-ASCII written raw, control characters as the invalid-JSON `\\xHH`, dates as
local ISO time plus a `*_unixtime` string. Written as a stream, one message at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bastion.sources.telegram_synthetic.plan import PlacedMedia, PlannedMessage, local_time
from bastion.sources.telegram_synthetic.spec import Chat, Entity, Export, Message

ABOUT = (
    "Here is the data you requested. Remember: Telegram is ad free, it doesn't use your data "
    "for ad targeting and doesn't sell it to others. Telegram only keeps the information it "
    "needs to function as a secure and feature-rich cloud service.\n\nCheck out Settings > "
    "Privacy & Security on Telegram's mobile apps for the relevant settings."
)
ABOUT_CHATS = "This page lists all chats from this export."
ABOUT_LEFT = (
    "Below are the supergroups and channels from this export that you've left or where you "
    "were banned."
)
_KIND_MEDIA_TYPE = {
    "sticker": "sticker",
    "video_message": "video_message",
    "voice": "voice_message",
    "animation": "animation",
    "video": "video_file",
    "audio": "audio_file",
}


_SPECIAL = re.compile('[\x00-\x1f"\\\\\u2028\u2029]')
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch in "\u2028\u2029":
        return f"\\u{ord(ch):04x}"
    return f"\\x{ord(ch):02X}"  # tdesktop's invalid-JSON escape for other control characters


def string(value: str) -> str:
    return '"' + _SPECIAL.sub(_escape, value) + '"'


def obj(depth: int, pairs: Iterable[tuple[str, str | None]]) -> str:
    inner = "\n" + " " * (depth + 1)
    body = ",".join(f"{inner}{string(key)}: {value}" for key, value in pairs if value)
    return "{" + body + "\n" + " " * depth + "}"


def arr(depth: int, values: Iterable[str]) -> str:
    inner = "\n" + " " * (depth + 1)
    return "[" + ",".join(inner + value for value in values) + "\n" + " " * depth + "]"


class JsonWriter:
    def __init__(self, root: Path, offset: timedelta, single: bool) -> None:
        self.offset, self.single = offset, single
        self.out: TextIO = open(root / "result.json", "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.depth = 0
        self.had_item = False
        self.section: str | None = None
        self.owner: int | None = None

    # -- tdesktop's nesting helpers (pushNesting, prepareObjectItemStart, popNesting) --------
    def _push(self, opening: str) -> str:
        self.depth += 1
        self.had_item = False
        return opening

    def _key(self, key: str) -> str:
        start = (",\n" if self.had_item else "\n") + " " * self.depth + string(key) + ": "
        self.had_item = True
        return start

    def _item(self) -> str:
        start = (",\n" if self.had_item else "\n") + " " * self.depth
        self.had_item = True
        return start

    def _pop(self, closing: str) -> str:
        self.depth -= 1
        self.had_item = True
        return "\n" + " " * self.depth + closing

    # -- the export ---------------------------------------------------------------------------
    def start(self, export: Export | None, pictures: list[PlacedMedia]) -> None:
        if self.single or export is None:
            return
        self.owner = export.owner.user_id
        owner = export.owner
        block = self._push("{") + self._key("about") + string(ABOUT)
        block += self._key("personal_information") + obj(
            self.depth,
            [
                ("user_id", str(owner.user_id)),
                ("first_name", string(owner.first_name)),
                ("last_name", string(owner.last_name)),
                ("phone_number", string(export.phone_number)),
                ("username", string("@" + export.username) if export.username else None),
            ],
        )
        if pictures:
            block += self._key("profile_pictures") + self._push("[")
            for (date, _), placed in zip(export.profile_pictures, pictures, strict=True):
                block += self._item() + obj(
                    self.depth,
                    [
                        *self._dates("date", date),
                        ("photo", string(placed.file.json_value)),
                    ],
                )
            block += self._pop("]")
        self.out.write(block)

    def chat_start(self, chat: Chat, folder: str) -> None:
        block = ""
        if not self.single:
            section = "left_chats" if chat.left else "chats"
            if section != self.section:
                if self.section is not None:
                    block += self._pop("]") + self._pop("}")
                self.section = section
                block += self._key(section) + self._push("{")
                block += self._key("about") + string(ABOUT_LEFT if chat.left else ABOUT_CHATS)
                block += self._key("list") + self._push("[")
            block += self._item()
        block += self._push("{")
        if chat.type != "saved_messages":
            block += self._key("name") + (string(chat.name) if chat.name else "null")
        block += self._key("type") + string(chat.type)
        block += self._key("id") + str(chat.id)
        block += self._key("messages") + self._push("[")
        self.out.write(block)

    def message(self, chat: Chat, planned: PlannedMessage) -> None:
        self.out.write(self._item() + self._message(chat, planned, self.depth))

    def chat_end(self) -> None:
        self.out.write(self._pop("]") + self._pop("}"))

    def finish(self) -> None:
        if not self.single:
            block = self._pop("]") + self._pop("}") if self.section is not None else ""
            self.out.write(block + self._pop("}"))
        self.out.close()

    # -- one message (SerializeMessage) -------------------------------------------------------
    def _message(self, chat: Chat, planned: PlannedMessage, depth: int) -> str:
        message = planned.message
        pairs: list[tuple[str, str | None]] = [
            ("id", str(message.id)),
            ("type", string("service" if message.service else "message")),
            *self._dates("date", message.date),
        ]
        if message.edited is not None:
            pairs += self._dates("edited", message.edited)
        sender_name, sender_id = self._sender(chat, message)
        if message.service is not None:
            service = message.service
            pairs += [("actor", sender_name), ("actor_id", sender_id)]
            pairs.append(("action", string(service.action)))
            if service.title is not None:
                pairs.append(("title", string(service.title)))
            if service.members:
                pairs.append(("members", arr(depth + 1, [string(m) for m in service.members])))
            if service.message_id is not None:
                pairs.append(("message_id", str(service.message_id)))
        else:
            pairs += [("from", sender_name), ("from_id", sender_id)]
            if message.author:
                pairs.append(("author", string(message.author)))
            if message.forwarded_from is not None:
                pairs.append(("forwarded_from", string(message.forwarded_from)))
            if message.reply_to is not None:
                pairs.append(("reply_to_message_id", str(message.reply_to)))
        if planned.media is not None:
            pairs += _media_pairs(planned.media)
        parts = _parts(message.text)
        pairs.append(("text", _text(parts, depth + 1, objects=False)))
        pairs.append(("text_entities", _text(parts, depth + 1, objects=True)))
        return obj(depth, pairs)

    def _sender(self, chat: Chat, message: Message) -> tuple[str, str]:
        if message.sender is None:  # a post by the chat itself
            peer = "channel" if "channel" in chat.type or "supergroup" in chat.type else "chat"
            return (string(chat.name) if chat.name else "null"), string(f"{peer}{chat.id}")
        name = message.sender.name
        return (string(name) if name else "null"), string(message.sender.peer)

    def _dates(self, key: str, date: datetime) -> list[tuple[str, str | None]]:
        local = local_time(date, self.offset).isoformat(timespec="seconds")
        return [(key, string(local)), (f"{key}_unixtime", string(str(int(date.timestamp()))))]


def _media_pairs(placed: PlacedMedia) -> list[tuple[str, str | None]]:
    media, file = placed.media, placed.file
    if media.kind == "photo":
        pairs = [
            ("photo", string(file.json_value)),
            ("photo_file_size", str(file.size)),
            ("width", str(file.width)),
            ("height", str(file.height)),
        ]
    else:
        pairs = [
            ("file", string(file.json_value)),
            ("file_name", string(placed.file_name) if placed.file_name else None),
            ("file_size", str(file.size)),
        ]
        if placed.thumb is not None:
            pairs.append(("thumbnail", string(placed.thumb.json_value)))
            pairs.append(("thumbnail_file_size", str(placed.thumb.size)))
        pairs.append(
            (
                "media_type",
                string(_KIND_MEDIA_TYPE[media.kind]) if media.kind in _KIND_MEDIA_TYPE else None,
            )
        )
        if media.kind == "sticker":
            pairs.append(("sticker_emoji", string("🙂")))
        pairs.append(("mime_type", string(placed.mime) if placed.mime else None))
        if media.kind in ("video", "video_message", "voice", "audio", "animation"):
            pairs.append(("duration_seconds", str(media.duration)))
        if file.width and file.height:
            pairs += [("width", str(file.width)), ("height", str(file.height))]
    if media.self_destruct_seconds:
        pairs.append(("self_destruct_period_seconds", str(media.self_destruct_seconds)))
    return pairs


def _parts(text: str | tuple[str | Entity, ...]) -> list[str | Entity]:
    if isinstance(text, str):
        return [text] if text else []
    return list(text)


def _text(parts: list[str | Entity], depth: int, objects: bool) -> str:
    """SerializeText: "" or a lone plain string, else a list of strings and entity objects;
    text_entities is always a list of objects, plain parts as {"type": "plain"}."""
    if not parts:
        return "[]" if objects else string("")
    if not objects and len(parts) == 1 and isinstance(parts[0], str):
        return string(parts[0])
    values = []
    for part in parts:
        if isinstance(part, str):
            values.append(
                obj(depth + 1, [("type", string("plain")), ("text", string(part))])
                if objects
                else string(part)
            )
            continue
        extra: tuple[str, str | None] = ("none", None)
        if part.type == "text_link":
            extra = ("href", string(part.href or ""))
        elif part.type == "custom_emoji":
            extra = ("document_id", string(part.href or ""))
        values.append(
            obj(depth + 1, [("type", string(part.type)), ("text", string(part.text)), extra])
        )
    return arr(depth, values)
