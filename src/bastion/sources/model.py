"""What a source yields: plain, frozen records the scan pipeline can journal, sort and ship.

A source yields one `MediaItem` per *reference*. In a folder or an archive every file is
referenced once. In a Telegram export one file may be referenced by several messages (tdesktop
saves a file once per export and points every later message at the same path): each reference is
its own item, and all of them carry the same `key`, so bytes are read and hashed once per key and
the result is attributed to every reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ItemStatus(StrEnum):
    """Whether an item's bytes can be read, and if not, why."""

    AVAILABLE = "available"
    # tdesktop wrote a placeholder instead of a path: the media type was not ticked for export.
    NOT_INCLUDED = "not_included"
    # ... the file was over the export's size limit ("exceeds maximum size").
    TOO_LARGE = "too_large"
    # ... the download failed, or the media was self-destructing ("unavailable").
    UNAVAILABLE = "unavailable"
    # The export names a file that is not there (deleted, or a partial copy of the export).
    MISSING = "missing"
    # Refused for safety; `MediaItem.reason` says why. Its bytes are never opened.
    REJECTED = "rejected"


class RejectReason(StrEnum):
    PATH_TRAVERSAL = "path_traversal"  # a reference climbs out of the export with ".."
    ABSOLUTE_PATH = "absolute_path"  # a reference or archive entry names an absolute path
    SYMLINK_OUTSIDE = "symlink_outside"  # a symbolic link resolves outside the root
    ARCHIVE_TRAVERSAL = "archive_traversal"  # an archive entry name contains ".."
    LINK_OUTSIDE = "link_outside"  # an archive link entry points outside the archive
    ARCHIVE_BOMB = "archive_bomb"  # an entry over the size or compression-ratio limits
    SPECIAL_FILE = "special_file"  # a device, FIFO or socket
    NOT_A_FILE = "not_a_file"  # a reference names a directory
    INVALID_NAME = "invalid_name"  # empty, or containing NUL bytes
    ENCRYPTED = "encrypted"  # a password-protected archive entry


class MediaKind(StrEnum):
    """What the item is, as the source describes it (Telegram's `media_type`, or a hint from a
    file name in folders and archives). The decoder still sniffs the content."""

    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    VIDEO_MESSAGE = "video_message"  # Telegram's round video
    STICKER = "sticker"
    VOICE = "voice"
    AUDIO = "audio"
    DOCUMENT = "document"  # any other file, including pictures sent "as file"
    CONTACT = "contact"  # a shared contact's vCard
    UNKNOWN = "unknown"


class DateSource(StrEnum):
    """Where `TelegramContext.date` came from, and so how far it can be trusted."""

    UNIXTIME = "date_unixtime"  # JSON `date_unixtime`: exact UTC
    TITLE_WITH_OFFSET = "title_with_offset"  # HTML title "DD.MM.YYYY HH:MM:SS UTC+hh:mm": exact
    # JSON `date` or an old HTML title: the exporting computer's wall clock with no offset, so
    # the UTC instant is unknown. `date` is None and `local_date` holds the wall-clock time.
    LOCAL_WITHOUT_OFFSET = "local_without_offset"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TelegramContext:
    """Who sent what, in which chat, when: as far as the export carries it.

    HTML exports carry no chat id, no chat type (only a category in lists/chats.html) and no
    sender id; those fields are None there. `sender_is_owner` is None when the export does not
    say who the exporting account is (single-chat exports, HTML).
    """

    export_format: str  # "json" | "html"
    section: str  # "chats", "left_chats", "chat" (single-chat export), "profile_pictures", ...
    field: str  # "photo", "file", "thumbnail", "contact_vcard", "custom_emoji", "media", ...
    chat_id: int | None = None
    chat_name: str | None = None
    chat_type: str | None = None  # JSON's value verbatim: personal_chat, private_channel, ...
    chat_category: str | None = None  # "private" | "bot" | "group" | "channel" | "unknown"
    chat_folder: str | None = None  # "chats/chat_07" in a full export
    message_id: int | None = None
    message_type: str | None = None  # "message" | "service"
    action: str | None = None  # service messages: "edit_group_photo", ...
    date: datetime | None = None  # timezone-aware UTC
    date_source: DateSource = DateSource.NONE
    local_date: datetime | None = None  # naive wall-clock time as written by the exporter
    sender_name: str | None = None  # None for deleted accounts (JSON `"from": null`)
    sender_id: str | None = None  # "user123", "channel456", "chat789" as written
    sender_is_owner: bool | None = None
    author: str | None = None  # channel post signature
    forwarded_from: str | None = None  # a name only: exports carry no id for it
    saved_from: str | None = None
    edited: bool = False
    edited_date: datetime | None = None  # UTC when known
    is_thumbnail: bool = False
    # Made by tdesktop's HTML writer (a preview of a photo or sticker), not sent on Telegram.
    is_derived: bool = False
    media_type: str | None = None  # JSON `media_type` verbatim
    file_name: str | None = None  # JSON `file_name`: the sender's original name


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One reference to one file.

    `key` identifies the file within the source (its path, or for a reference that has no file,
    the reference itself): equal keys mean equal bytes. `ref` identifies this record and is
    unique and stable across runs over the same input, so a resumed scan can recognise it.
    """

    key: str
    ref: str
    path: str | None  # POSIX path relative to the source root (or archive), None if no file
    status: ItemStatus
    kind: MediaKind = MediaKind.UNKNOWN
    mime_type: str | None = None
    size: int | None = None  # actual size in bytes, when the file is there
    declared_size: int | None = None  # as the export declares it (`file_size`, ...)
    reason: RejectReason | None = None
    detail: str | None = None  # for every status but AVAILABLE: what happened, in words
    telegram: TelegramContext | None = None

    @property
    def readable(self) -> bool:
        return self.status is ItemStatus.AVAILABLE

    @property
    def size_mismatch(self) -> bool:
        """The file on disk differs in size from what the export declares: a partial copy."""
        return (
            self.size is not None
            and self.declared_size is not None
            and self.declared_size > 0
            and self.size != self.declared_size
        )


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """Something wrong with the source as a whole (not one item): a truncated result.json, an
    unreadable HTML page. Recorded in `Source.problems`; enumeration goes on where it can."""

    location: str
    message: str
