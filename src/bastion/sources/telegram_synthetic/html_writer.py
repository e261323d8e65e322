"""HTML pages as tdesktop's HtmlWriter writes them (Telegram/SourceFiles/export/output/
export_output_html.cpp): export_results.html, lists/chats.html, lists/profile_pictures.html and
per chat messages.html, messages2.html, ... of `per_file` messages (1000 in tdesktop). Links are
relative to each page ("../../chats/chat_1/photos/..." from a chat page). Pictures get previews
the HTML writer makes itself (`_thumb` before the first dot). Only what a reader of the export
needs is reproduced: the structure, classes, attributes, texts and files, not the styling."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bastion.sources.telegram_synthetic.files import preview_bytes
from bastion.sources.telegram_synthetic.json_writer import ABOUT, ABOUT_CHATS, ABOUT_LEFT
from bastion.sources.telegram_synthetic.plan import (
    HTML_DESCRIPTION,
    PlacedFile,
    PlacedMedia,
    PlannedMessage,
    local_time,
)
from bastion.sources.telegram_synthetic.spec import Chat, Entity, Export, Message

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_CATEGORY = {
    "personal_chat": "private",
    "saved_messages": "private",
    "bot_chat": "bot",
    "private_group": "group",
    "private_supergroup": "group",
    "public_supergroup": "group",
    "private_channel": "channel",
    "public_channel": "channel",
}
_JOIN_WITHIN_SECONDS = 900


def escape(value: str) -> str:
    """SerializeString of the HTML writer."""
    out = []
    for ch in value:
        if ch in "\n\u2028\u2029":
            out.append("<br>")
        elif ch in "\"&'<>":
            out.append({'"': "&quot;", "&": "&amp;", "'": "&apos;", "<": "&lt;", ">": "&gt;"}[ch])
        elif ord(ch) < 32:
            out.append(f"&#x{ord(ch):02X};")
        else:
            out.append(ch)
    return "".join(out)


class _Page:
    """One HTML file: tdesktop's Wrap + HtmlContext (block tags on their own indented lines,
    attributes in name order)."""

    def __init__(self, root: Path, relative: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out: TextIO = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.base = "../" * relative.count("/")
        self.tags: list[tuple[str, bool]] = []
        self.out.write(
            "<!DOCTYPE html>"
            + self.push("html")
            + self.push("head")
            + self.push("meta", {"charset": "utf-8"}, empty=True)
            + self.push("title", inline=True)
            + "Exported Data"
            + self.pop()
            + self.push(
                "meta",
                {"name": "viewport", "content": "width=device-width, initial-scale=1.0"},
                empty=True,
            )
            + self.push(
                "link", {"href": self.base + "css/style.css", "rel": "stylesheet"}, empty=True
            )
            + self.push("script", {"src": self.base + "js/script.js", "type": "text/javascript"})
            + self.pop()
            + self.pop()
            + self.push("body", {"onload": "CheckLocation();"})
            + self.div("page_wrap")
        )

    def push(
        self,
        tag: str,
        attrs: dict[str, str] | None = None,
        inline: bool = False,
        empty: bool = False,
    ) -> str:
        inner = "".join(
            f' {name}="{escape(value)}"' for name, value in sorted((attrs or {}).items())
        )
        block = not inline
        text = (
            ("\n" + self.indent() if block else "")
            + f"<{tag}{inner}{'/' if empty else ''}>"
            + ("\n" if block else "")
        )
        if not empty:
            self.tags.append((tag, block))
        return text

    def indent(self) -> str:
        return " " * len(self.tags)

    def pop(self) -> str:
        tag, block = self.tags.pop()
        return ("\n" + self.indent() if block else "") + f"</{tag}>" + ("\n" if block else "")

    def div(self, classes: str, style: str | None = None) -> str:
        return self.push("div", {"class": classes, **({"style": style} if style else {})})

    def link(self, path: str) -> str:
        return self.base + path

    def write(self, text: str) -> None:
        self.out.write(text)

    def header(self, title: str, back: str | None) -> str:
        text = self.div("page_header")
        if back is None:
            text += self.div("content")
        else:
            text += self.push(
                "a",
                {
                    "class": "content block_link",
                    "href": self.link(back),
                    "onclick": "return GoBack(this)",
                },
            )
        return text + self.div("text bold") + escape(title) + self.pop() + self.pop() + self.pop()

    def close(self) -> None:
        while self.tags:
            self.out.write(self.pop())
        self.out.close()


class HtmlWriter:
    def __init__(self, root: Path, offset: timedelta, single: bool, per_file: int = 1000) -> None:
        self.root, self.offset, self.single, self.per_file = root, offset, single, per_file
        for asset, content in (
            ("css/style.css", "/* stand-in for tdesktop's stylesheet */\n"),
            ("js/script.js", "// stand-in for tdesktop's script\n"),
        ):
            (root / asset).parent.mkdir(parents=True, exist_ok=True)
            (root / asset).write_text(content, encoding="utf-8")
        self.listed: list[tuple[Chat, str, int]] = []  # chat, folder, message count

    # -- summary and lists ------------------------------------------------------------------
    def start(self, export: Export | None, pictures: list[PlacedMedia]) -> None:
        self.export, self.pictures = export, pictures

    def finish(self) -> None:
        if self.single or self.export is None:
            return
        export = self.export
        chats = _Page(self.root, "lists/chats.html")
        chats.write(chats.header("Chats", "export_results.html") + chats.div("page_body list_page"))
        section = None
        for chat, folder, count in self.listed:
            if section != chat.left:
                if section is not None:
                    chats.write(chats.pop())
                section = chat.left
                chats.write(
                    chats.div("page_about details")
                    + escape(ABOUT_LEFT if chat.left else ABOUT_CHATS)
                    + chats.pop()
                    + chats.div("entry_list")
                )
            name = (
                "Saved messages"
                if chat.type == "saved_messages"
                else f"{chat.name or ''} {chat.last_name}"
            )
            link = {
                "class": "entry block_link clearfix",
                "href": chats.link(f"{folder}messages.html") + "#allow_back",
            }
            chats.write(
                (chats.push("a", link) if count else chats.div("entry clearfix"))
                + chats.div("pull_left userpic_wrap") + _userpic(chats, name, 48) + chats.pop()
                + chats.div("body")
                + chats.div("pull_right info details") + _CATEGORY.get(chat.type, "unknown") + chats.pop()
                + chats.div("name bold") + escape(name) + chats.pop()
                + chats.div("details_entry details") + f"{count} message{'s' if count != 1 else ''}" + chats.pop()
                + chats.pop() + chats.pop()
            )  # fmt: skip
        chats.close()
        if self.pictures:
            self._profile_pictures(export)
        summary = _Page(self.root, "export_results.html")
        owner = export.owner
        summary.write(summary.header("Exported Data", None) + summary.div("page_body"))
        summary.write(
            summary.div("personal_info clearfix") + summary.div("pull_right userpic_wrap")
        )
        if self.pictures and self.pictures[0].file.path:
            info = self._preview(self.pictures[0].file, (180, 180), "_info", "JPEG")
            summary.write(
                summary.push(
                    "a",
                    {"class": "userpic_link", "href": summary.link("lists/profile_pictures.html")},
                )
                + summary.push(
                    "img",
                    {
                        "class": "userpic",
                        "src": summary.link(info),
                        "style": "width: 90px; height: 90px",
                    },
                    empty=True,
                )
                + summary.pop()
            )
        else:
            summary.write(_userpic(summary, owner.name, 90))
        summary.write(summary.pop())
        for group, rows in (
            ("names", [("First name", owner.first_name), ("Last name", owner.last_name)]),
            (
                "info",
                [
                    ("Phone number", export.phone_number),
                    ("Username", f"@{export.username}" if export.username else ""),
                ],
            ),
        ):
            summary.write(summary.div(f"rows {group}"))
            for label, value in rows:
                if value:
                    summary.write(
                        summary.div("row")
                        + summary.div("label details")
                        + escape(label)
                        + summary.pop()
                        + summary.div("value bold")
                        + escape(value)
                        + summary.pop()
                        + summary.pop()
                    )
            summary.write(summary.pop())
        summary.write(summary.pop() + summary.div("sections with_divider"))
        for label, kind, count, path in (
            ("Chats", "chats", len(self.listed), "lists/chats.html"),
            ("Profile pictures", "photos", len(self.pictures), "lists/profile_pictures.html"),
        ):
            if count:
                summary.write(
                    summary.push(
                        "a",
                        {
                            "class": f"section block_link {kind}",
                            "href": summary.link(path) + "#allow_back",
                        },
                    )
                    + summary.div("counter details")
                    + str(count)
                    + summary.pop()
                    + summary.div("label bold")
                    + escape(label)
                    + summary.pop()
                    + summary.pop()
                )
        summary.write(
            summary.pop()
            + summary.div("page_about details with_divider")
            + escape(ABOUT)
            + summary.pop()
        )
        summary.close()

    def _profile_pictures(self, export: Export) -> None:
        page = _Page(self.root, "lists/profile_pictures.html")
        page.write(
            page.header("Profile pictures", "export_results.html")
            + page.div("page_body list_page")
            + page.div("entry_list")
        )
        for (date, _), placed in zip(export.profile_pictures, self.pictures, strict=True):
            path = placed.file.path
            page.write(
                (
                    page.push(
                        "a",
                        {
                            "class": "entry block_link clearfix",
                            "href": page.link(path) + "#allow_back",
                        },
                    )
                    if path
                    else page.div("entry clearfix")
                )
                + page.div("pull_left userpic_wrap")
            )
            if path:
                thumb = self._preview(placed.file, (96, 96), "_thumb", "JPEG")
                page.write(
                    page.push(
                        "img",
                        {
                            "class": "userpic",
                            "src": page.link(thumb),
                            "style": "width: 48px; height: 48px",
                        },
                        empty=True,
                    )
                )
            page.write(
                page.pop()
                + page.div("body")
                + page.div("pull_right info details")
                + self._datetime(date)
                + page.pop()
                + page.div("name bold")
                + escape(path or "Photo unavailable")
                + page.pop()
                + page.pop()
                + page.pop()
            )
        page.close()

    # -- chats --------------------------------------------------------------------------------
    def chat_start(self, chat: Chat, folder: str) -> None:
        self.chat, self.folder = chat, folder
        self.page: _Page | None = None
        self.count = 0
        self.date_id = 0
        self.previous: Message | None = None

    def message(self, chat: Chat, planned: PlannedMessage) -> None:
        index = self.count // self.per_file
        if self.page is not None and self.count % self.per_file == 0:
            next_name = f"messages{index + 1}.html"
            self.page.write(
                self.page.push("a", {"class": "pagination block_link", "href": next_name})
                + "Next messages"
                + self.page.pop()
            )
            self.page.close()
            self.page = None
            self.previous = None
        if self.page is None:
            name = "messages.html" if index == 0 else f"messages{index + 1}.html"
            self.page = _Page(self.root, self.folder + name)
            title = (
                "Saved messages"
                if chat.type == "saved_messages"
                else f"{chat.name or ''} {chat.last_name}"
            )
            self.page.write(
                self.page.header(title, None if self.single else "lists/chats.html")
                + self.page.div("page_body chat_page")
                + self.page.div("history")
            )
            if index > 0:
                previous = "messages.html" if index == 1 else f"messages{index}.html"
                self.page.write(
                    self.page.push("a", {"class": "pagination block_link", "href": previous})
                    + "Previous messages"
                    + self.page.pop()
                )
        page, message = self.page, planned.message
        day = local_time(message.date, self.offset).date()
        if self.previous is None or local_time(self.previous.date, self.offset).date() != day:
            self.date_id -= 1
            page.write(
                page.push("div", {"class": "message service", "id": f"message{self.date_id}"})
                + page.div("body details")
                + f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
                + page.pop()
                + page.pop()
            )
        page.write(
            self._service(chat, planned) if message.service else self._default(chat, planned)
        )
        self.previous = message
        self.count += 1

    def chat_end(self) -> None:
        if self.page is not None:
            self.page.close()
        self.listed.append((self.chat, self.folder, self.count))

    def _default(self, chat: Chat, planned: PlannedMessage) -> str:
        page, message = self.page, planned.message
        assert page is not None
        sender = _sender_name(chat, message)
        previous = self.previous
        joined = (
            previous is not None
            and previous.service is None
            and not message.forwarded_from
            and not previous.forwarded_from
            and previous.sender == message.sender
            and local_time(previous.date, self.offset).date()
            == local_time(message.date, self.offset).date()
            and abs((message.date - previous.date).total_seconds()) <= _JOIN_WITHIN_SECONDS
        )
        text = page.push(
            "div",
            {
                "class": "message default clearfix" + (" joined" if joined else ""),
                "id": f"message{message.id}",
            },
        )
        if not joined:
            text += page.div("pull_left userpic_wrap") + _userpic(page, sender, 42) + page.pop()
        text += page.div("body") + page.push(
            "div", {"class": "pull_right date details", "title": self._datetime(message.date)}
        )
        text += local_time(message.date, self.offset).strftime("%H:%M") + page.pop()
        if not joined:
            text += page.div("from_name") + escape(sender or "Deleted Account") + page.pop()
        if message.forwarded_from:
            forwarded = message.date - timedelta(days=1)
            text += (
                page.div("pull_left forwarded userpic_wrap")
                + _userpic(page, message.forwarded_from, 42)
                + page.pop()
            )
            text += (
                page.div("forwarded body") + page.div("from_name") + escape(message.forwarded_from)
            )
            text += (
                page.push(
                    "span",
                    {"class": "date details", "title": self._datetime(forwarded)},
                    inline=True,
                )
                + " "
                + self._datetime(forwarded, zone=False)
                + page.pop()
                + page.pop()
            )
        if message.reply_to is not None:
            text += (
                page.div("reply_to details")
                + f'In reply to <a href="#go_to_message{message.reply_to}" onclick="return GoToMessage({message.reply_to})">this message</a>'
                + page.pop()
            )
        if planned.media is not None:
            text += self._media(planned.media)
        body = _format_text(message.text)
        if body:
            text += page.div("text") + body + page.pop()
        if message.author:
            text += page.div("signature details") + escape(message.author) + page.pop()
        if message.forwarded_from:
            text += page.pop()
        return text + page.pop() + page.pop()

    def _service(self, chat: Chat, planned: PlannedMessage) -> str:
        page, message = self.page, planned.message
        assert page is not None and message.service is not None
        service = message.service
        actor = escape(_sender_name(chat, message) or "Deleted")
        channel = "channel" in chat.type
        body = {
            "create_group": f"{actor} created group &laquo;{escape(service.title or '')}&raquo;"
            + (
                f" with members {_list([escape(m) for m in service.members])}"
                if service.members
                else ""
            ),
            "create_channel": f"Channel &laquo;{escape(service.title or '')}&raquo; created",
            "invite_members": f"{actor} invited {_list([escape(m) for m in service.members])}",
            "edit_group_photo": "Channel photo changed"
            if channel
            else f"{actor} changed group photo",
            "pin_message": f'{actor} pinned <a href="#go_to_message{service.message_id}" onclick="return GoToMessage({service.message_id})">this message</a>',
        }[service.action]
        text = (
            page.push("div", {"class": "message service", "id": f"message{message.id}"})
            + page.div("body details")
            + body
            + page.pop()
        )
        media = planned.media
        if media is not None and media.file.path is not None:
            thumb = self._preview(media.file, (120, 120), "_thumb", "JPEG")
            text += page.div("userpic_wrap") + page.push(
                "a", {"class": "userpic_link", "href": page.link(media.file.path)}
            )
            text += (
                page.push(
                    "img",
                    {
                        "class": "userpic",
                        "src": page.link(thumb),
                        "style": "width: 60px; height: 60px",
                    },
                    empty=True,
                )
                + page.pop()
                + page.pop()
            )
        return text + page.pop()

    def _media(self, placed: PlacedMedia) -> str:
        page, media, file = self.page, placed.media, placed.file
        assert page is not None
        text = page.div("media_wrap clearfix")
        size_style = "width: {}px; height: {}px"
        if media.kind in ("photo", "sticker") and file.path and placed.preview is not None:
            wrap = "photo_wrap" if media.kind == "photo" else "sticker_wrap"
            preview = placed.preview
            text += page.push(
                "a", {"class": f"{wrap} clearfix pull_left", "href": page.link(file.path)}
            )
            text += page.push(
                "img",
                {
                    "class": media.kind,
                    "src": page.link(preview.path or ""),
                    "style": size_style.format(preview.width // 2, preview.height // 2),
                },
                empty=True,
            )
            return text + page.pop() + page.pop()
        if media.kind == "video" and file.path and placed.thumb is not None and placed.thumb.path:
            text += page.push(
                "a", {"class": "video_file_wrap clearfix pull_left", "href": page.link(file.path)}
            )
            text += page.div("video_play_bg") + page.div("video_play") + page.pop() + page.pop()
            text += page.div("video_duration") + _duration(media.duration) + page.pop()
            text += page.push(
                "img",
                {
                    "class": "video_file",
                    "src": page.link(placed.thumb.path),
                    "style": size_style.format(260, 195),
                },
                empty=True,
            )
            return text + page.pop() + page.pop()
        title, classes = {
            "photo": ("Photo", "media_photo"),
            "sticker": ("Sticker", "media_photo"),
            "video": ("Video file", "media_video"),
            "animation": ("Animation", "media_video"),
            "video_message": ("Video message", "media_video"),
            "voice": ("Voice message", "media_voice_message"),
            "audio": ("Audio file", "media_audio_file"),
            "document": (placed.file_name or "File", "media_file"),
        }[media.kind]
        if media.self_destruct_seconds and file.path is None:
            title = "Self-destructing photo" if media.kind == "photo" else "Self-destructing video"
        if file.path:
            text += page.push(
                "a",
                {
                    "class": f"media clearfix pull_left block_link {classes}",
                    "href": page.link(file.path),
                },
            )
        else:
            text += page.div(f"media clearfix pull_left {classes}")
        thumb = (
            placed.thumb.path
            if placed.thumb is not None and media.kind == "video_message"
            else None
        )
        if thumb:
            text += page.push(
                "img", {"class": "thumb pull_left", "src": page.link(thumb)}, empty=True
            )
        else:
            text += page.div("fill pull_left") + page.pop()
        text += page.div("body") + page.div("title bold") + escape(title) + page.pop()
        if file.path is None and not media.self_destruct_seconds:
            text += page.div("description") + HTML_DESCRIPTION[file.state] + page.pop()
        status = (
            _size(file.size)
            if media.kind in ("document", "photo", "sticker")
            else _duration(media.duration)
        )
        if media.self_destruct_seconds and file.path is None:
            status = "Please view it on your mobile"
        text += page.div("status details") + escape(status) + page.pop()
        return text + page.pop() + page.pop() + page.pop()

    # -- helpers ------------------------------------------------------------------------------
    def _preview(self, file: PlacedFile, box: tuple[int, int], postfix: str, fmt: str) -> str:
        assert file.path is not None
        folder, _, name = file.path.rpartition("/")
        dot = name.find(".")
        name = name + postfix if dot < 0 else name[:dot] + postfix + name[dot:]
        path = f"{folder}/{name}" if folder else name
        data, _ = preview_bytes((self.root / file.path).read_bytes(), box, fmt)
        (self.root / path).write_bytes(data)
        return path

    def _datetime(self, date: datetime, zone: bool = True) -> str:
        text = local_time(date, self.offset).strftime("%d.%m.%Y %H:%M:%S")
        if not zone:
            return text
        minutes = int(self.offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"{text} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _sender_name(chat: Chat, message: Message) -> str:
    if message.sender is None:
        return f"{chat.name or ''} "  # ComposeName of a chat: its title, then an empty last name
    if not message.sender.name:
        return ""
    return f"{message.sender.first_name} {message.sender.last_name}"


def _userpic(page: _Page, name: str, size: int) -> str:
    initials = "".join(part[:1] for part in name.split()[:2])
    style = f"width: {size}px; height: {size}px"
    return (
        page.div("userpic userpic1", style)
        + page.div("initials", f"line-height: {size}px")
        + escape(initials)
        + page.pop()
        + page.pop()
    )


def _list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _format_text(text: str | tuple[str | Entity, ...]) -> str:
    parts = [text] if isinstance(text, str) else list(text)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(escape(part))
        elif part.type == "bold":
            out.append(f"<strong>{escape(part.text)}</strong>")
        elif part.type in ("link", "text_link"):
            href = part.href if part.type == "text_link" and part.href else part.text
            out.append(f'<a href="{escape(href)}">{escape(part.text)}</a>')
        else:
            out.append(escape(part.text))
    return "".join(out)


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
