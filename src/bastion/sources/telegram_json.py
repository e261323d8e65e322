"""Telegram Desktop's JSON export (result.json), streamed in bounded memory.

Both shapes tdesktop writes (JsonWriter in Telegram/SourceFiles/export/output/
export_output_json.cpp): the full-account export (`personal_information`, then sections such
as `chats` and `left_chats`, each `{about, list: [chat, ...]}`) and the single-chat export (the
file is one chat: `{name, type, id, messages}`). The file is read once through ijson's event
stream; only one message object is held at a time, so memory does not grow with the file.
Fields tdesktop writes first (personal_information, a chat's name/type/id) are assumed to come
before the messages, as the writer guarantees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import ijson

from bastion.sources.errors import ExportFormatError
from bastion.sources.json_stream import XEscapeReader
from bastion.sources.kinds import kind_from_export_path, kind_from_media_type
from bastion.sources.model import (
    DateSource,
    ItemStatus,
    MediaItem,
    MediaKind,
    SourceProblem,
    TelegramContext,
)
from bastion.sources.source import OnTree
from bastion.sources.telegram import (
    References,
    chat_category,
    naive_from_iso,
    unreferenced_items,
    utc_from_unixtime,
)
from bastion.sources.tree import Tree

_STARTS = frozenset(("start_map", "start_array"))
_ENDS = frozenset(("end_map", "end_array"))
_STRUCTURE = _STARTS | _ENDS | {"map_key"}
_TEXT_KEYS = frozenset(("text", "text_entities"))
_HEADER_KEYS = frozenset(("name", "type", "id"))
_CHUNK = 1 << 16

# (key holding the path or placeholder, key holding its declared size), in writer order.
_FILE_FIELDS = (
    ("photo", "photo_file_size"),
    ("file", "file_size"),
    ("thumbnail", "thumbnail_file_size"),
    ("contact_vcard", "contact_vcard_file_size"),
)


@dataclass(slots=True)
class _Chat:
    section: str
    index: int
    header: dict[str, Any] = field(default_factory=dict)
    messages: int = 0


class TelegramJsonSource(OnTree):
    kind = "telegram_json"

    def __init__(
        self,
        tree: Tree,
        base: str = "",
        include_unreferenced: bool = True,
    ) -> None:
        self.tree = tree
        self.base = base
        self.location = tree.location
        self.include_unreferenced = include_unreferenced
        self.main_key = f"{base}/result.json" if base else "result.json"
        main = tree.lookup(self.main_key)
        if main.status is not ItemStatus.AVAILABLE:
            raise ExportFormatError(self.location, f"no readable {self.main_key}")
        self.main_size = main.size or 0
        self.bytes_parsed = 0
        self._problems: list[SourceProblem] = []
        # The exporting account's user id once result.json names it (personal_information):
        # the scan records it as the case's owner.
        self.owner: int | None = None

    @property
    def problems(self) -> list[SourceProblem]:
        return [*self.tree.problems, *self._problems]

    def items(self) -> Iterator[MediaItem]:
        references = References(self.tree, self.base)
        yield from _Parser(self, references).items()
        if self.include_unreferenced:
            yield from unreferenced_items(self.tree, references, "json")


class _Parser:
    def __init__(self, source: TelegramJsonSource, references: References) -> None:
        self.source = source
        self.references = references
        self.owner: int | None = None
        self.single = _Chat("chat", 0)
        self.chats: dict[str, _Chat] = {}
        self.counts: dict[str, int] = {}
        self.messages_seen = 0
        # the message (or profile picture, story) being collected
        self.message: dict[str, Any] | None = None
        self.depth = 0
        self.key = self.part_key = ""
        self.parts: list[Any] | None = None  # its text or text_entities list
        self.part: dict[str, Any] | None = None  # an entity object in that list
        self.target: tuple[str, _Chat | None, int] = ("", None, 0)

    def items(self) -> Iterator[MediaItem]:
        # ijson's push interface keeps every event parsed before an error, so an export cut
        # short still yields each message up to the cut (the pull interface drops the chunk).
        location = f"{self.source.location}!{self.source.main_key}"
        events = ijson.sendable_list()
        parser = ijson.parse_coro(events)
        with self.source.tree.open(self.source.main_key) as raw:
            reader = XEscapeReader(raw)
            while True:
                chunk = reader.read(_CHUNK)
                self.source.bytes_parsed = reader.bytes_read
                try:
                    if chunk:
                        parser.send(chunk)
                    else:
                        parser.close()
                except ijson.JSONError as exc:
                    yield from self._consume(events)
                    self._problem(location, exc)
                    return
                yield from self._consume(events)
                del events[:]
                if not chunk:
                    return

    def _problem(self, location: str, exc: Exception) -> None:
        # yajl's message quotes the input after its first line: keep only the first.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.source._problems.append(
            SourceProblem(
                location,
                f"result.json stops being valid JSON after {self.messages_seen:,} messages "
                f"({reason}); items up to there were listed. An export cut short by an aborted "
                "download looks like this.",
            )
        )

    def _consume(self, events: list[tuple[str, str, Any]]) -> Iterator[MediaItem]:
        """Collect each message's top-level values and the parts of its text (for custom emoji
        files); nested values nothing here needs (reactions, buttons, polls) are skipped
        unbuilt. Plain loops on purpose: this runs for every event of the file."""
        for prefix, event, value in events:
            message = self.message
            if message is None:
                if event == "start_map":
                    self.target = self._target(prefix)
                    if self.target[0]:
                        self.message, self.depth = {}, 1
                elif event not in _STRUCTURE:
                    self._scalar(prefix, value)
                continue
            depth = self.depth
            if event == "map_key":
                if depth == 1:
                    self.key = value
                elif depth == 3:
                    self.part_key = value
            elif event in _STARTS:
                self.depth = depth + 1
                if depth == 1 and self.key in _TEXT_KEYS and event == "start_array":
                    self.parts = message[self.key] = []
                elif depth == 2 and self.parts is not None and event == "start_map":
                    self.part = {}
            elif event in _ENDS:
                self.depth = depth - 1
                if depth == 3 and self.part is not None:
                    self.parts.append(self.part)  # type: ignore[union-attr]
                    self.part = None
                elif depth == 2:
                    self.parts = None
                elif depth == 1:
                    self.message = None
                    yield from self._finish(self.target, message)
            elif depth == 1:
                message[self.key] = value
            elif depth == 2 and self.parts is not None:
                self.parts.append(value)
            elif depth == 3 and self.part is not None:
                self.part[self.part_key] = value

    def _target(self, prefix: str) -> tuple[str, _Chat | None, int]:
        """What a map starting at `prefix` is: a message (of which chat), a profile picture, a
        story, or nothing to build ("")."""
        parts = prefix.split(".")
        if prefix == "messages.item":
            return self._next_message(self.single)
        if len(parts) == 5 and parts[1:] == ["list", "item", "messages", "item"]:
            chat = self.chats.get(parts[0])
            if chat is not None:
                return self._next_message(chat)
        elif len(parts) == 3 and parts[1:] == ["list", "item"]:
            index = self.counts.get(parts[0], 0)
            self.counts[parts[0]] = index + 1
            self.chats[parts[0]] = _Chat(parts[0], index)
        elif prefix in ("profile_pictures.item", "stories.item"):
            section = parts[0]
            index = self.counts.get(section, 0)
            self.counts[section] = index + 1
            return (section, None, index)
        return ("", None, 0)

    def _next_message(self, chat: _Chat) -> tuple[str, _Chat | None, int]:
        index = chat.messages
        chat.messages += 1
        self.messages_seen += 1
        return ("message", chat, index)

    def _scalar(self, prefix: str, value: Any) -> None:
        if prefix == "personal_information.user_id" and isinstance(value, int):
            self.owner = self.source.owner = value
        elif prefix in _HEADER_KEYS:
            self.single.header[prefix] = value
            if prefix == "id" and self.single.header.get("type") == "saved_messages":
                self.owner = value if isinstance(value, int) else self.owner
                self.source.owner = self.owner
        else:
            parts = prefix.split(".")
            if len(parts) == 4 and parts[1:3] == ["list", "item"] and parts[3] in _HEADER_KEYS:
                chat = self.chats.get(parts[0])
                if chat is not None:
                    chat.header[parts[3]] = value

    def _finish(self, target: tuple[str, _Chat | None, int], value: Any) -> Iterator[MediaItem]:
        kind, chat, index = target
        if not isinstance(value, dict):
            return
        if kind == "message" and chat is not None:
            yield from self._message_items(chat, index, value)
        elif kind in ("profile_pictures", "stories"):
            yield from self._own_media_items(kind, index, value)

    def _message_items(
        self, chat: _Chat, index: int, message: dict[str, Any]
    ) -> Iterator[MediaItem]:
        entities = message.get("text_entities")
        if not isinstance(entities, list):
            entities = message.get("text") if isinstance(message.get("text"), list) else []
        emoji = [
            (position, entity)
            for position, entity in enumerate(entities)
            if isinstance(entity, dict) and entity.get("type") == "custom_emoji"
        ]
        if not emoji and not any(message.get(key) is not None for key, _ in _FILE_FIELDS):
            return
        message_id = message.get("id")
        base_ref = f"json:{chat.section}/{chat.index}/{index}:{message_id}"
        context = self._message_context(chat, message)
        file_kind = kind_from_media_type(message.get("media_type"))
        for key, size_key in _FILE_FIELDS:
            if key not in message or message[key] is None:
                continue
            kind = {
                "photo": MediaKind.PHOTO,
                "contact_vcard": MediaKind.CONTACT,
            }.get(key, file_kind)
            yield self._item(
                f"{base_ref}/{key}",
                message[key],
                kind,
                _int(message.get(size_key)),
                message.get("mime_type") if key == "file" else None,
                _with(context, field=key, is_thumbnail=key == "thumbnail"),
            )
        for position, entity in emoji:
            yield self._custom_emoji(
                f"{base_ref}/custom_emoji[{position}]",
                entity.get("document_id"),
                _with(context, field="custom_emoji"),
            )

    def _own_media_items(
        self, section: str, index: int, value: dict[str, Any]
    ) -> Iterator[MediaItem]:
        key = "photo" if section == "profile_pictures" else "media"
        if value.get(key) is None:
            return
        date, source, local = _dates(value, "date")
        context = TelegramContext(
            export_format="json",
            section=section,
            field=key,
            date=date,
            date_source=source,
            local_date=local,
            sender_id=f"user{self.owner}" if self.owner is not None else None,
            sender_is_owner=True,
        )
        path = value[key] if isinstance(value[key], str) else ""
        kind = MediaKind.PHOTO if section == "profile_pictures" else kind_from_export_path(path)
        yield self._item(f"json:{section}/{index}/{key}", value[key], kind, None, None, context)

    def _message_context(self, chat: _Chat, message: dict[str, Any]) -> TelegramContext:
        service = message.get("type") == "service"
        name_key, id_key = ("actor", "actor_id") if service else ("from", "from_id")
        raw_id = message.get(id_key)
        sender_id = str(raw_id) if isinstance(raw_id, str | int) else None
        is_owner = None
        if self.owner is not None and raw_id is not None:
            is_owner = raw_id in (f"user{self.owner}", self.owner)
        date, source, local = _dates(message, "date")
        edited_date, _, edited_local = _dates(message, "edited")
        header = chat.header
        chat_id = header.get("id")
        chat_type = header.get("type")
        return TelegramContext(
            export_format="json",
            section=chat.section,
            field="",
            chat_id=chat_id if isinstance(chat_id, int) else None,
            chat_name=_text(header.get("name")),
            chat_type=_text(chat_type),
            chat_category=chat_category(_text(chat_type)),
            message_id=_int(message.get("id")),
            message_type=_text(message.get("type")),
            action=_text(message.get("action")) if service else None,
            date=date,
            date_source=source,
            local_date=local,
            sender_name=_text(message.get(name_key)),
            sender_id=sender_id,
            sender_is_owner=is_owner,
            author=_text(message.get("author")),
            forwarded_from=_text(message.get("forwarded_from")),
            saved_from=_text(message.get("saved_from")),
            # Before tdesktop 2.1.9 every message had "edited", 1970 when never edited.
            edited=edited_date is not None
            or (edited_local is not None and edited_local.year > 1970),
            edited_date=edited_date,
            media_type=_text(message.get("media_type")),
            file_name=_text(message.get("file_name")),
        )

    def _item(
        self,
        ref: str,
        value: Any,
        kind: MediaKind,
        declared: int | None,
        mime: Any,
        context: TelegramContext,
    ) -> MediaItem:
        resolved = self.references.resolve(value, ref)
        available = resolved.status is ItemStatus.AVAILABLE
        return MediaItem(
            key=resolved.key,
            ref=ref,
            path=resolved.path,
            status=resolved.status,
            kind=kind,
            mime_type=mime if isinstance(mime, str) and mime else None,
            size=resolved.size if available else None,
            declared_size=declared,
            reason=resolved.reason,
            detail=resolved.detail,
            telegram=context,
        )

    def _custom_emoji(self, ref: str, value: Any, context: TelegramContext) -> MediaItem:
        # document_id holds the emoji file's path once exported, "" when the size limit skipped
        # it, "(unavailable)" when it failed; older exports hold the bare numeric id.
        if value == "":
            status, detail = ItemStatus.TOO_LARGE, "custom emoji skipped by the size limit"
        elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            status, detail = ItemStatus.UNAVAILABLE, "custom emoji not downloaded (only its id)"
        else:
            return self._item(ref, value, MediaKind.STICKER, None, None, context)
        return MediaItem(ref, ref, None, status, MediaKind.STICKER, detail=detail, telegram=context)


def _dates(obj: dict[str, Any], key: str) -> tuple[Any, DateSource, Any]:
    utc = utc_from_unixtime(obj[f"{key}_unixtime"]) if f"{key}_unixtime" in obj else None
    local = naive_from_iso(obj.get(key))
    if utc is not None:
        return utc, DateSource.UNIXTIME, local
    if local is not None:
        return None, DateSource.LOCAL_WITHOUT_OFFSET, local
    return None, DateSource.NONE, None


def _with(context: TelegramContext, **changes: Any) -> TelegramContext:
    return replace(context, **changes)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
