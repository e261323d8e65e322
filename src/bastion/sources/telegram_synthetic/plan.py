"""Where each attachment goes, and which files are written: tdesktop's naming rules.

From Telegram/SourceFiles/export/data/export_data_types.cpp: photos are
`photos/photo_<N>@<DD-MM-YYYY_HH-MM-SS>.jpg` (local time, N counted per chat); documents keep the
sender's file name or get `video_<N>@...`, `audio_<N>@...ogg` or `file_<N>@...<ext>`, in the
folder DocumentFolder picks; a document's server thumbnail is `<path>_thumb.jpg`. From
export_output_file.cpp: a taken name gets " (1)", " (2)", ... before its first dot. From
export_api_wrap.cpp: a file already saved in this export is not saved again; later messages name
the first path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.sources.telegram_synthetic.files import (
    MIME,
    media_bytes,
    preview_bytes,
    thumbnail_bytes,
)
from bastion.sources.telegram_synthetic.spec import Media, Message

PLACEHOLDER = {
    "not_included": "(File not included. Change data exporting settings to download.)",
    "too_large": "(File exceeds maximum size. Change data exporting settings to download.)",
    "unavailable": "(File unavailable, please try again later)",
}
HTML_DESCRIPTION = {
    "not_included": "Not included, change data exporting settings to download.",
    "too_large": "Exceeds maximum size, change data exporting settings to download.",
    "unavailable": "Unavailable, please try again later.",
}
_FOLDERS = {
    "video": "video_files",
    "animation": "animations",  # a GIF without a video attribute; GIF-as-MP4 goes to video_files
    "sticker": "stickers",
    "voice": "voice_messages",
    "video_message": "round_video_messages",
}
_VIDEO_KINDS = ("video", "video_message")
# HTML writer constants (export_output_html.cpp): photo previews fit 520x520, stickers 384x384.
PHOTO_PREVIEW_BOX = (520, 520)
STICKER_PREVIEW_BOX = (384, 384)


@dataclass(frozen=True)
class PlacedFile:
    path: str | None  # relative to the export folder; None when not downloaded
    state: str  # "downloaded" or the placeholder's reason
    size: int  # bytes written, or the server's declared size
    width: int = 0
    height: int = 0

    @property
    def json_value(self) -> str:
        return self.path if self.path is not None else PLACEHOLDER[self.state]


@dataclass(frozen=True)
class PlacedMedia:
    media: Media
    file: PlacedFile
    mime: str | None
    file_name: str | None  # written as `file_name` (the document has a name)
    thumb: PlacedFile | None = None
    preview: PlacedFile | None = None  # the HTML writer's own preview of a picture


@dataclass(frozen=True)
class PlannedMessage:
    message: Message
    media: PlacedMedia | None  # the attachment, or a service message's photo


def local_time(date: datetime, offset: timedelta) -> datetime:
    """The exporting computer's wall clock for an aware instant, given its UTC offset."""
    return (date.astimezone(UTC) + offset).replace(tzinfo=None)


class ChatPlanner:
    """Places one chat's attachments and writes their files under `root`."""

    def __init__(
        self,
        root: Path,
        folder: str,
        offset: timedelta,
        taken: set[str],
        shared: dict[str, PlacedMedia],
        previews: bool,
    ) -> None:
        self.root, self.folder, self.offset = root, folder, offset
        self.taken, self.shared, self.previews = taken, shared, previews
        self.photos = self.videos = self.audios = self.files = 0

    def plan(self, message: Message) -> PlannedMessage:
        media = message.media
        if message.service is not None and message.service.photo is not None:
            media = message.service.photo
        if media is None:
            return PlannedMessage(message, None)
        return PlannedMessage(message, self._place(media, message.date))

    def _place(self, media: Media, date: datetime) -> PlacedMedia:
        stamp = local_time(date, self.offset).strftime("%d-%m-%Y_%H-%M-%S")
        mime, extension = MIME[media.kind]
        file_name = media.file_name or ("sticker.webp" if media.kind == "sticker" else None)
        if media.kind == "photo":
            self.photos += 1
            suggested = f"{self.folder}photos/photo_{self.photos}@{stamp}.jpg"
        else:
            name = file_name or self._computed_name(media.kind, stamp, extension)
            suggested = f"{self.folder}{_FOLDERS.get(media.kind, 'files')}/{name}"
        if media.share is not None and media.share in self.shared:
            return self.shared[media.share]
        placed = self._write(media, suggested, mime, file_name)
        if media.share is not None:
            self.shared[media.share] = placed
        return placed

    def _computed_name(self, kind: str, stamp: str, extension: str) -> str:
        if kind == "voice":
            self.audios += 1
            return f"audio_{self.audios}@{stamp}.ogg"
        if kind == "video":
            self.videos += 1
            return f"video_{self.videos}@{stamp}{extension}"
        self.files += 1
        return f"file_{self.files}@{stamp}{extension}"

    def _write(
        self, media: Media, suggested: str, mime: str | None, name: str | None
    ) -> PlacedMedia:
        width, height = (512, 512) if media.kind == "sticker" else media.pixels
        dims = (width, height) if media.kind in ("photo", "sticker", *_VIDEO_KINDS) else (0, 0)
        if media.state != "downloaded":
            declared = media.declared_bytes or (
                31_457_280 if media.state == "too_large" else 23_817
            )
            thumb = None
            if media.kind in _VIDEO_KINDS and media.state == "too_large":
                thumb = PlacedFile(None, media.state, 9_876, 320, 240)
            return PlacedMedia(
                media, PlacedFile(None, media.state, declared, *dims), mime, name, thumb
            )
        data = media_bytes(media.kind, media.seed, media.pixels, media.duration)
        path = self._unique(suggested)
        self._save(path, data)
        thumb = preview = None
        if media.kind in _VIDEO_KINDS:
            thumb_data, thumb_size = thumbnail_bytes(media.seed, media.pixels)
            thumb_path = self._unique(path + "_thumb.jpg")
            self._save(thumb_path, thumb_data)
            thumb = PlacedFile(thumb_path, "downloaded", len(thumb_data), *thumb_size)
        if self.previews and media.kind in ("photo", "sticker"):
            box = PHOTO_PREVIEW_BOX if media.kind == "photo" else STICKER_PREVIEW_BOX
            fmt = "JPEG" if media.kind == "photo" else "PNG"
            preview_data, preview_size = preview_bytes(data, box, fmt)
            preview_path = self._unique(_insert_before_first_dot(path, "_thumb"))
            self._save(preview_path, preview_data)
            preview = PlacedFile(preview_path, "downloaded", len(preview_data), *preview_size)
        placed = PlacedFile(path, "downloaded", len(data), *dims)
        return PlacedMedia(media, placed, mime, name, thumb, preview)

    def _unique(self, path: str) -> str:
        candidate, n = path, 0
        while candidate in self.taken:
            n += 1
            candidate = _insert_before_first_dot(path, f" ({n})")
        self.taken.add(candidate)
        return candidate

    def _save(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _insert_before_first_dot(path: str, insert: str) -> str:
    folder, _, name = path.rpartition("/")
    dot = name.find(".")
    name = name + insert if dot < 0 else name[:dot] + insert + name[dot:]
    return f"{folder}/{name}" if folder else name
