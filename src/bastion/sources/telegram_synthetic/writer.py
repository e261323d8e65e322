"""Write a synthetic export: the account-wide "Export Telegram data" (DataExport_...) or one chat's
"Export chat history" (ChatExport_...), in JSON, HTML or both, streaming message by message as
tdesktop's HtmlAndJson writer does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from bastion.sources.telegram_synthetic.files import media_bytes
from bastion.sources.telegram_synthetic.html_writer import HtmlWriter
from bastion.sources.telegram_synthetic.json_writer import JsonWriter
from bastion.sources.telegram_synthetic.plan import (
    ChatPlanner,
    PlacedFile,
    PlacedMedia,
    PlannedMessage,
    local_time,
)
from bastion.sources.telegram_synthetic.spec import Chat, Export, Person

Format = Literal["json", "html"]


@dataclass(frozen=True)
class ExpectedReference:
    """A reference the JSON export makes, as a reader should report it."""

    section: str  # "chats", "left_chats", "chat", "profile_pictures"
    chat_id: int | None
    message_id: int | None
    field: str  # "photo", "file", "thumbnail"
    status: str  # an ItemStatus value
    path: str | None  # relative to the export folder


@dataclass
class WrittenExport:
    root: Path
    references: list[ExpectedReference] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # every media file written (with thumbnails)
    messages: int = 0


def write_export(
    export: Export,
    folder: str | Path,
    formats: Iterable[Format] = ("json", "html"),
    per_file: int = 1000,
    record: bool = True,
) -> WrittenExport:
    """A full-account export into `folder` (created). `record=False` keeps no list of
    references, for exports of millions of messages."""
    return _write(export, export.chats, Path(folder), tuple(formats), per_file, record, False)


def write_chat_export(
    chat: Chat,
    folder: str | Path,
    formats: Iterable[Format] = ("json", "html"),
    utc_offset: timedelta = timedelta(0),
    per_file: int = 1000,
    record: bool = True,
) -> WrittenExport:
    """One chat's "Export chat history": result.json is the chat object, paths have no
    chats/chat_N/ prefix, messages.html sits at the root."""
    return _write(
        Export(owner=Person(0), chats=(chat,), utc_offset=utc_offset),
        (chat,), Path(folder), tuple(formats), per_file, record, True,
    )  # fmt: skip


def _write(
    export: Export,
    chats: tuple[Chat, ...],
    root: Path,
    formats: tuple[Format, ...],
    per_file: int,
    record: bool,
    single: bool,
) -> WrittenExport:
    root.mkdir(parents=True, exist_ok=True)
    offset = export.utc_offset
    writers: list[JsonWriter | HtmlWriter] = []
    if "json" in formats:
        writers.append(JsonWriter(root, offset, single))
    if "html" in formats:
        writers.append(HtmlWriter(root, offset, single, per_file))
    written = WrittenExport(root)
    taken: set[str] = set()
    shared: dict[str, PlacedMedia] = {}
    pictures = [] if single else _profile_pictures(export, root, taken, written, record)
    for writer in writers:
        writer.start(None if single else export, pictures)
    ordered = [chat for chat in chats if not chat.left] + [chat for chat in chats if chat.left]
    digits = len(str(len(ordered) - 1))  # FinalizeDialogsInfo pads to the digits of count - 1
    for number, chat in enumerate(ordered, start=1):
        folder = "" if single else f"chats/chat_{number:0{digits}d}/"
        section = "chat" if single else "left_chats" if chat.left else "chats"
        planner = ChatPlanner(root, folder, offset, taken, shared, "html" in formats)
        for writer in writers:
            writer.chat_start(chat, folder)
        for message in chat.messages:
            planned = planner.plan(message)
            written.messages += 1
            _note(written, planned, section, chat.id, record)
            for writer in writers:
                writer.message(chat, planned)
        for writer in writers:
            writer.chat_end()
    for writer in writers:
        writer.finish()
    return written


def _profile_pictures(
    export: Export, root: Path, taken: set[str], written: WrittenExport, record: bool
) -> list[PlacedMedia]:
    placed = []
    for number, (date, media) in enumerate(export.profile_pictures, start=1):
        stamp = local_time(date, export.utc_offset).strftime("%d-%m-%Y_%H-%M-%S")
        path = f"profile_pictures/photo_{number}@{stamp}.jpg"
        data = media_bytes("photo", media.seed, media.pixels, 0)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        taken.add(path)
        written.files.add(path)
        file = PlacedFile(path, "downloaded", len(data), *media.pixels)
        placed.append(PlacedMedia(media, file, None, None))
        if record:
            written.references.append(
                ExpectedReference("profile_pictures", None, None, "photo", "available", path)
            )
    return placed


def _note(
    written: WrittenExport, planned: PlannedMessage, section: str, chat_id: int, record: bool
) -> None:
    placed = planned.media
    if placed is None:
        return
    files = [("photo" if placed.media.kind == "photo" else "file", placed.file)]
    if placed.thumb is not None:
        files.append(("thumbnail", placed.thumb))
    for name, file in files:
        if file.path is not None:
            written.files.add(file.path)
        if record:
            status = "available" if file.path is not None else file.state
            reference = ExpectedReference(
                section, chat_id, planned.message.id, name, status, file.path
            )
            written.references.append(reference)
    if placed.preview is not None and placed.preview.path is not None:
        written.files.add(placed.preview.path)
