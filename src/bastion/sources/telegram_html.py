"""Telegram Desktop's HTML export, page by page.

Chat pages are `messages.html`, `messages2.html`, ... (1000 messages each) at the export root of
a single-chat export, or in `chats/chat_NN/` of a full export; `lists/chats.html` gives each chat
folder its name, a category (private, bot, group, channel) and whether it is a left chat. Other
pages (export_results.html, lists/profile_pictures.html, ...) are read for the files they link.
HTML carries no chat ids, no chat types, no sender ids and no unix times: those context fields
stay None. Each page is read as a stream; memory does not grow with the export.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser

from bastion.sources.errors import ExportFormatError
from bastion.sources.kinds import kind_from_export_path
from bastion.sources.model import (
    DateSource,
    ItemStatus,
    MediaItem,
    MediaKind,
    RejectReason,
    SourceProblem,
    TelegramContext,
)
from bastion.sources.paths import Refusal, resolve_relative, shorten
from bastion.sources.source import OnTree
from bastion.sources.telegram import References, Resolved, unreferenced_items
from bastion.sources.telegram_html_page import ChatPageParser, PageRef
from bastion.sources.tree import Tree

_CHAT_PAGE = re.compile(r"^(?:(chats/chat_(\d+))/)?messages(\d*)\.html$")
_TITLE = re.compile(
    r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC(?:([+-])(\d{2}):?(\d{2}))?)?"
)
_CHUNK = 1 << 16


class TelegramHtmlSource(OnTree):
    kind = "telegram_html"

    def __init__(self, tree: Tree, base: str = "", include_unreferenced: bool = True) -> None:
        self.tree = tree
        self.base = base
        self.location = tree.location
        self.include_unreferenced = include_unreferenced
        self._problems: list[SourceProblem] = []
        mains = [self._key(name) for name in ("messages.html", "export_results.html")]
        if all(tree.lookup(key).status is not ItemStatus.AVAILABLE for key in mains):
            raise ExportFormatError(self.location, "no messages.html or export_results.html")

    @property
    def problems(self) -> list[SourceProblem]:
        return [*self.tree.problems, *self._problems]

    def items(self) -> Iterator[MediaItem]:
        references = References(self.tree, self.base)
        chat_pages, other_pages = self._pages()
        chats = self._chat_list() if chat_pages else {}
        for folder, pages in chat_pages:
            section, category, listed_name = chats.get(folder or "", ("chat", None, None))
            if folder is not None and folder not in chats:
                section = "chats"
            for page in pages:
                context = TelegramContext(
                    export_format="html",
                    section=section,
                    field="",
                    chat_name=listed_name,
                    chat_category=category,
                    chat_folder=folder,
                )
                yield from self._page_items(page, context, references, chat_page=True)
        for page in other_pages:
            stem = page.rsplit("/", 1)[-1].removesuffix(".html")
            context = TelegramContext(export_format="html", section=stem, field="")
            yield from self._page_items(page, context, references)
        if self.include_unreferenced:
            yield from unreferenced_items(self.tree, references, "html")

    # -- pages -----------------------------------------------------------------------------
    def _key(self, relative: str) -> str:
        return f"{self.base}/{relative}" if self.base else relative

    def _pages(self) -> tuple[list[tuple[str | None, list[str]]], list[str]]:
        """Chat pages grouped by chat folder in tdesktop's order (chat number, then page
        number), and every other HTML page (paths relative to the export folder)."""
        chats: dict[str | None, list[tuple[int, str]]] = {}
        numbers: dict[str | None, int] = {}
        others: list[str] = []
        prefix = f"{self.base}/" if self.base else ""
        for entry in self.tree.entries():
            if entry.path is None or not entry.path.endswith(".html"):
                continue
            if entry.status is not ItemStatus.AVAILABLE or not entry.path.startswith(prefix):
                continue
            relative = entry.path[len(prefix) :]
            match = _CHAT_PAGE.match(relative)
            if match is None:
                if relative != "lists/chats.html":
                    others.append(relative)
                continue
            folder = match.group(1)
            numbers[folder] = int(match.group(2) or 0)
            chats.setdefault(folder, []).append((int(match.group(3) or 1), relative))
        ordered = sorted(chats, key=lambda folder: (folder is not None, numbers[folder]))
        grouped = [(folder, [page for _, page in sorted(chats[folder])]) for folder in ordered]
        others.sort(key=lambda page: (page != "export_results.html", page))
        return grouped, others

    def _chat_list(self) -> dict[str, tuple[str, str | None, str | None]]:
        """lists/chats.html: chat folder -> (section, category, name)."""
        key = self._key("lists/chats.html")
        if self.tree.lookup(key).status is not ItemStatus.AVAILABLE:
            return {}
        parser = _ChatListParser()
        for _ in self._feed(key, parser):
            pass
        return parser.chats

    def _feed(self, key: str, parser: HTMLParser) -> Iterator[None]:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            with self.tree.open(key) as stream:
                while chunk := stream.read(_CHUNK):
                    parser.feed(decoder.decode(chunk))
                    yield
                parser.feed(decoder.decode(b"", final=True))
                parser.close()
                yield
        except OSError as exc:
            self._problems.append(SourceProblem(f"{self.location}!{key}", f"unreadable: {exc}"))

    def _page_items(
        self,
        page: str,
        context: TelegramContext,
        references: References,
        chat_page: bool = False,
    ) -> Iterator[MediaItem]:
        parser = ChatPageParser()
        for _ in self._feed(self._key(page), parser):
            found, parser.found = parser.found, []
            for ref in found:
                name = parser.chat_name if chat_page else None
                yield self._item(page, ref, context, name, references)

    def _item(
        self,
        page: str,
        ref: PageRef,
        chat: TelegramContext,
        page_chat_name: str | None,
        references: References,
    ) -> MediaItem:
        message = "-" if ref.message_id is None else str(ref.message_id)
        ref_key = f"html:{page}#{message}/{ref.ordinal}/{ref.field}"
        date, source, local = _date_from_title(ref.date_title)
        context = TelegramContext(
            export_format="html",
            section=chat.section,
            field=ref.field,
            chat_name=page_chat_name or chat.chat_name,
            chat_category=chat.chat_category,
            chat_folder=chat.chat_folder,
            message_id=ref.message_id,
            message_type=ref.message_type,
            date=date,
            date_source=source,
            local_date=local,
            sender_name=ref.sender,
            forwarded_from=ref.forwarded_from,
            is_thumbnail=ref.is_thumbnail,
            is_derived=ref.is_derived,
        )
        if ref.href is None:
            resolved = Resolved(
                ref_key, None, ref.status or ItemStatus.UNAVAILABLE, detail=ref.detail
            )
        else:
            resolved = self._resolve(page, ref.href, ref_key, references)
        kind = ref.kind
        if kind is MediaKind.UNKNOWN and resolved.path is not None:
            kind = kind_from_export_path(resolved.path)
        available = resolved.status is ItemStatus.AVAILABLE
        return MediaItem(
            key=resolved.key,
            ref=ref_key,
            path=resolved.path,
            status=resolved.status,
            kind=kind,
            size=resolved.size if available else None,
            reason=resolved.reason,
            detail=resolved.detail,
            telegram=context,
        )

    def _resolve(self, page: str, href: str, ref_key: str, references: References) -> Resolved:
        """An href is relative to its page's folder and must stay inside the export folder."""
        if href.lower().startswith("file:"):
            detail = f"link to a local file outside the export: {shorten(href)!r}"
            return Resolved(
                ref_key, None, ItemStatus.REJECTED, None, RejectReason.ABSOLUTE_PATH, detail
            )
        target = resolve_relative(page, href, RejectReason.PATH_TRAVERSAL)
        if isinstance(target, Refusal):
            return Resolved(ref_key, None, ItemStatus.REJECTED, None, target.reason, target.detail)
        return references.resolve(target, ref_key, percent_fallback=True)


def _date_from_title(title: str | None) -> tuple[datetime | None, DateSource, datetime | None]:
    match = _TITLE.search(title or "")
    if match is None:
        return None, DateSource.NONE, None
    day, month, year, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None, DateSource.NONE, None
    if "UTC" not in match.group(0):
        return None, DateSource.LOCAL_WITHOUT_OFFSET, local
    offset = timedelta(0)
    if match.group(7):
        offset = timedelta(hours=int(match.group(8)), minutes=int(match.group(9)))
        if match.group(7) == "-":
            offset = -offset
    utc = local.replace(tzinfo=timezone(offset)).astimezone(UTC)
    return utc, DateSource.TITLE_WITH_OFFSET, local


class _ChatListParser(HTMLParser):
    """lists/chats.html: `a.entry[href=../chats/chat_NN/messages.html#allow_back]` holding
    `div.name` and `div.info` (the category); entries after the left-chats note are left."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chats: dict[str, tuple[str, str | None, str | None]] = {}
        self._section = "chats"
        self._folder: str | None = None
        self._field: str | None = None
        self._text: list[str] = []
        self._name: str | None = None
        self._category: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = set(values.get("class", "").split())
        if tag == "a" and "entry" in classes:
            match = re.search(r"(chats/chat_\d+)/messages\d*\.html", values.get("href", ""))
            self._folder = match.group(1) if match else None
            self._name = self._category = None
        elif tag == "div" and ({"name", "bold"} <= classes or {"info", "details"} <= classes):
            self._field = "name" if "name" in classes else "info"
            self._text = []
        elif tag == "div" and "page_about" in classes:
            self._field = "about"
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._field is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._field is not None:
            text = " ".join("".join(self._text).split())
            if self._field == "about" and " left " in f" {text} ":
                self._section = "left_chats"
            elif self._field == "name":
                self._name = text or None
            elif self._field == "info":
                self._category = text or None
            self._field = None
        elif tag == "a" and self._folder is not None:
            self.chats[self._folder] = (self._section, self._category, self._name)
            self._folder = None
