"""One page of tdesktop's HTML export, read as a stream of references with their message.

The markup is tdesktop's HtmlWriter (Telegram/SourceFiles/export/output/export_output_html.cpp):
- `div.message.default` / `div.message.service`, id "message<ID>"; date separators are service
  divs with negative ids. A `joined` message has no `div.from_name`: its sender is the previous
  message's.
- `div.pull_right.date.details[title]` holds "DD.MM.YYYY HH:MM:SS UTC+hh:mm" (no offset in
  exports before 2022).
- `div.forwarded.body` nests inside the message body and holds the original sender's
  `from_name`, then the forwarded content.
- media sit in `div.media_wrap`: `a.photo_wrap` / `a.sticker_wrap` (with an `img` preview the
  HTML writer made itself), `a.video_file_wrap` / `a.animated_wrap` (with the document's own
  thumbnail), or a generic box `a.media.media_<kind>` (link present) / `div.media.media_<kind>`
  (file not exported; `div.description` says why).
- a service message that changed a chat photo holds `a.userpic_link[href]` with an `img.userpic`.
Links inside a message's text are the sender's text, not references, and are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from bastion.sources.model import ItemStatus, MediaKind
from bastion.sources.telegram import HTML_DESCRIPTIONS

_VOID = frozenset(("br", "img", "meta", "link", "hr", "input", "area", "base", "col", "wbr"))
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_VIA_BOT = re.compile(r"\s+via @\S+$")
_MESSAGE_ID = re.compile(r"^message(-?\d+)$")

_WRAPPERS = {
    "photo_wrap": (MediaKind.PHOTO, True),  # (kind, its img is a preview made by the writer)
    "sticker_wrap": (MediaKind.STICKER, True),
    "video_file_wrap": (MediaKind.VIDEO, False),
    "animated_wrap": (MediaKind.ANIMATION, False),
}
_BOX_KINDS = {
    "media_photo": MediaKind.PHOTO,
    "media_video": MediaKind.VIDEO,
    "media_voice_message": MediaKind.VOICE,
    "media_audio_file": MediaKind.AUDIO,
    "media_file": MediaKind.DOCUMENT,
    "media_contact": MediaKind.CONTACT,
}
_BOX_TITLES = {"Sticker": MediaKind.STICKER, "Animation": MediaKind.ANIMATION}
_BOX_TITLES_VIDEO_MESSAGE = "Video message"


@dataclass(slots=True)
class PageRef:
    """A reference found on a page, with what the page says about its message."""

    field: str  # "media", "thumbnail", "preview", "photo", "link", "image"
    kind: MediaKind
    href: str | None  # as written (entities decoded); None when the file was not exported
    status: ItemStatus | None = None  # for href None: why
    detail: str | None = None
    is_thumbnail: bool = False
    is_derived: bool = False
    message_id: int | None = None
    message_type: str | None = None
    date_title: str | None = None
    sender: str | None = None
    forwarded_from: str | None = None
    ordinal: int = 0  # position among the references of its message


@dataclass(slots=True)
class _Message:
    id: int | None
    type: str
    depth: int
    date_title: str | None = None
    sender: str | None = None
    forwarded_from: str | None = None
    refs: int = 0


@dataclass(slots=True)
class _Box:
    classes: frozenset[str]
    href: str | None
    depth: int
    title: str = ""
    description: str = ""
    thumb: str | None = None


@dataclass(slots=True)
class _Capture:
    target: str
    depth: int
    parts: list[str] = field(default_factory=list)
    skip_depth: int | None = None  # inside a nested span (a forwarded message's date)


class ChatPageParser(HTMLParser):
    """Feed text in chunks; take `found` after each feed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[PageRef] = []
        self.chat_name: str | None = None
        self._stack: list[str] = []
        self._message: _Message | None = None
        self._last_sender: str | None = None
        self._capture: _Capture | None = None
        self._box: _Box | None = None
        self._anchor: tuple[MediaKind, bool, int] | None = None  # wrapper link being read
        self._marks: dict[str, int] = {}  # "header", "wrap", "forward", "text" -> depth
        self._page_refs = 0  # references outside any message

    # -- events ----------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = frozenset(values.get("class", "").split())
        if tag in _VOID:
            if tag == "img" and values.get("src"):
                self._image(values["src"], classes)
            return
        self._stack.append(tag)
        depth = len(self._stack)
        if self._capture is not None and tag == "span":
            self._capture.skip_depth = self._capture.skip_depth or depth
        if tag == "div":
            self._div(classes, values, depth)
        elif tag == "a" and "text" not in self._marks:
            self._link(values.get("href", ""), classes, depth)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self._stack:
            return
        while self._stack:
            depth = len(self._stack)
            popped = self._stack.pop()
            self._closed(depth)
            if popped == tag:
                break

    def handle_data(self, data: str) -> None:
        capture = self._capture
        if capture is not None and capture.skip_depth is None:
            capture.parts.append(data)

    # -- structure -------------------------------------------------------------------------
    def _div(self, classes: frozenset[str], values: dict[str, str], depth: int) -> None:
        message = self._message
        if "message" in classes and message is None:
            match = _MESSAGE_ID.match(values.get("id", ""))
            kind = "service" if "service" in classes else "message"
            self._message = _Message(int(match.group(1)) if match else None, kind, depth)
            if "joined" in classes:
                self._message.sender = self._last_sender
        elif "page_header" in classes:
            self._marks["header"] = depth
        elif "header" in self._marks and {"text", "bold"} <= classes:
            self._capture = _Capture("chat_name", depth)
        elif message is None:
            return
        elif {"forwarded", "body"} <= classes:
            self._marks["forward"] = depth
        elif {"pull_right", "date", "details"} <= classes:
            if "forward" not in self._marks and message.date_title is None:
                message.date_title = values.get("title") or None
        elif "from_name" in classes:
            target = "forwarded_from" if "forward" in self._marks else "sender"
            self._capture = _Capture(target, depth)
        elif classes == {"text"}:
            self._marks["text"] = depth
        elif "media_wrap" in classes:
            self._marks["wrap"] = depth
        elif "media" in classes and "wrap" in self._marks and self._box is None:
            self._box = _Box(classes, None, depth)
        elif self._box is not None and "title" in classes:
            self._capture = _Capture("title", depth)
        elif self._box is not None and "description" in classes:
            self._capture = _Capture("description", depth)

    def _link(self, href: str, classes: frozenset[str], depth: int) -> None:
        message = self._message
        if message is not None and "wrap" in self._marks:
            if "media" in classes and self._box is None:
                self._box = _Box(classes, href or None, depth)
                return
            for name, (kind, derived_preview) in _WRAPPERS.items():
                if name in classes:
                    self._anchor = (kind, derived_preview, depth)
                    self._emit_href(href, "media", kind)
                    return
        if message is not None and message.type == "service" and "userpic_link" in classes:
            self._anchor = (MediaKind.PHOTO, True, depth)
            self._emit_href(href, "photo", MediaKind.PHOTO)
            return
        if "section" not in classes:
            self._emit_href(href, "link", None)

    def _image(self, src: str, classes: frozenset[str]) -> None:
        if "text" in self._marks:
            return
        if self._box is not None:
            self._box.thumb = src
        elif self._anchor is not None:
            kind, derived_preview, _ = self._anchor
            if derived_preview:
                self._emit_href(src, "preview", kind, is_derived=True)
            else:
                self._emit_href(src, "thumbnail", kind, is_thumbnail=True)
        elif "userpic" in classes:
            self._emit_href(src, "preview", MediaKind.PHOTO, is_derived=True)
        else:
            self._emit_href(src, "image", None)

    def _closed(self, depth: int) -> None:
        capture = self._capture
        if capture is not None:
            if capture.skip_depth == depth:
                capture.skip_depth = None
            elif capture.depth == depth:
                self._captured(capture.target, " ".join("".join(capture.parts).split()))
                self._capture = None
        if self._box is not None and self._box.depth == depth:
            self._emit_box(self._box)
            self._box = None
        if self._anchor is not None and self._anchor[2] == depth:
            self._anchor = None
        for mark, mark_depth in list(self._marks.items()):
            if mark_depth == depth:
                del self._marks[mark]
        if self._message is not None and self._message.depth == depth:
            if self._message.type == "message":
                self._last_sender = self._message.sender
            self._message = None

    def _captured(self, target: str, text: str) -> None:
        if target == "chat_name":
            self.chat_name = text or None
        elif target in ("title", "description") and self._box is not None:
            setattr(self._box, target, text)
        elif self._message is not None:
            if target == "sender":
                self._message.sender = _VIA_BOT.sub("", text) or None
            else:
                self._message.forwarded_from = _VIA_BOT.sub("", text) or None

    # -- references ------------------------------------------------------------------------
    def _emit_box(self, box: _Box) -> None:
        box_class = next((c for c in sorted(box.classes) if c in _BOX_KINDS), None)
        kind = _BOX_KINDS.get(box_class or "", MediaKind.UNKNOWN)
        if kind is MediaKind.PHOTO:
            kind = _BOX_TITLES.get(box.title, kind)
        elif kind is MediaKind.VIDEO:
            kind = _BOX_TITLES.get(box.title, kind)
            if box.title == _BOX_TITLES_VIDEO_MESSAGE:
                kind = MediaKind.VIDEO_MESSAGE
        if box.href:
            self._emit_href(box.href, "media", kind)
        elif box_class is not None and kind is not MediaKind.CONTACT:
            # A file box with no link: the file was not exported (description says why), or it
            # was self-destructing media (title says so, no description).
            status = HTML_DESCRIPTIONS.get(box.description, ItemStatus.UNAVAILABLE)
            self._emit(PageRef("media", kind, None, status, box.description or box.title or None))
        if box.thumb:
            self._emit_href(box.thumb, "thumbnail", kind, is_thumbnail=True)

    def _emit_href(
        self,
        href: str,
        field_name: str,
        kind: MediaKind | None,
        is_thumbnail: bool = False,
        is_derived: bool = False,
    ) -> None:
        if href.endswith("#allow_back"):
            href = href[: -len("#allow_back")]
        if not href or href.startswith("#") or href.split("#", 1)[0].endswith(".html"):
            return
        scheme = _SCHEME.match(href)
        if scheme and scheme.group(0).lower() != "file:" and len(scheme.group(0)) > 2:
            return  # a web, mail or phone link: not a file of the export
        self._emit(
            PageRef(
                field_name,
                kind or MediaKind.UNKNOWN,
                href,
                is_thumbnail=is_thumbnail,
                is_derived=is_derived,
            )
        )

    def _emit(self, ref: PageRef) -> None:
        message = self._message
        if message is not None:
            ref.message_id = message.id
            ref.message_type = message.type
            ref.date_title = message.date_title
            ref.sender = message.sender
            ref.forwarded_from = message.forwarded_from
            ref.ordinal = message.refs
            message.refs += 1
        else:
            ref.ordinal = self._page_refs
            self._page_refs += 1
        self.found.append(ref)
