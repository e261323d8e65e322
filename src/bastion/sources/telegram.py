"""What the JSON and HTML export readers share: tdesktop's placeholder strings, chat categories,
dates, and the safe resolution of a path written in an export to an entry of its tree.

Strings are tdesktop's own (Telegram/SourceFiles/export/output/export_output_json.cpp pushPath
and writeUserpicsSlice; export_output_html.cpp NoFileDescription).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import unquote

from bastion.sources.kinds import kind_from_export_path
from bastion.sources.model import ItemStatus, MediaItem, RejectReason, TelegramContext
from bastion.sources.paths import Refusal, normalise
from bastion.sources.tree import Tree

PLACEHOLDERS: dict[str, ItemStatus] = {
    "(File not included. Change data exporting settings to download.)": ItemStatus.NOT_INCLUDED,
    "(File exceeds maximum size. Change data exporting settings to download.)": (
        ItemStatus.TOO_LARGE
    ),
    "(File unavailable, please try again later)": ItemStatus.UNAVAILABLE,
    "(Photo not included. Change data exporting settings to download.)": ItemStatus.NOT_INCLUDED,
    "(Photo exceeds maximum size. Change data exporting settings to download.)": (
        ItemStatus.TOO_LARGE
    ),
    "(Photo unavailable, please try again later)": ItemStatus.UNAVAILABLE,
}

HTML_DESCRIPTIONS: dict[str, ItemStatus] = {
    "Not included, change data exporting settings to download.": ItemStatus.NOT_INCLUDED,
    "Exceeds maximum size, change data exporting settings to download.": ItemStatus.TOO_LARGE,
    "Unavailable, please try again later.": ItemStatus.UNAVAILABLE,
}

# The categories tdesktop's HTML writer prints in lists/chats.html (writeDialogEnd TypeString),
# derived the same way from the JSON chat type so both formats can be compared.
_CATEGORIES = {
    "personal_chat": "private",
    "saved_messages": "private",
    "replies": "private",
    "verification_codes": "private",
    "bot_chat": "bot",
    "private_group": "group",
    "private_supergroup": "group",
    "public_supergroup": "group",
    "private_channel": "channel",
    "public_channel": "channel",
}


def chat_category(chat_type: str | None) -> str | None:
    if chat_type is None:
        return None
    return _CATEGORIES.get(chat_type, "unknown")


def placeholder_status(value: str) -> ItemStatus | None:
    """The status a placeholder stands for, or None when `value` is a path. tdesktop's writer can
    prefix a name ("name (File ...)"); any other "(...)" is an unknown placeholder: unavailable.
    Never opened as a path (filippz/telegram_import#2 uploaded a file named like one)."""
    for text, status in PLACEHOLDERS.items():
        if value.endswith(text):
            return status
    if value.startswith("(") and value.endswith(")"):
        return ItemStatus.UNAVAILABLE
    return None


def utc_from_unixtime(value: object) -> datetime | None:
    try:
        seconds = int(str(value))
    except ValueError:
        return None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def naive_from_iso(value: object) -> datetime | None:
    """JSON `date`: "YYYY-MM-DDTHH:MM:SS" in the exporting computer's local time, no offset."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Resolved:
    key: str
    path: str | None
    status: ItemStatus
    size: int | None = None
    reason: RejectReason | None = None
    detail: str | None = None


class References:
    """Resolves paths written in an export against its tree, relative to the export folder
    (`base`, "" or the folder inside an archive), and remembers which entries were referenced
    so the rest can be reported as unreferenced."""

    def __init__(self, tree: Tree, base: str) -> None:
        self.tree = tree
        self.base = base
        self.referenced: set[str] = set()

    def resolve(self, value: object, ref: str, percent_fallback: bool = False) -> Resolved:
        if not isinstance(value, str):
            return Resolved(ref, None, ItemStatus.UNAVAILABLE, detail=f"not a path: {value!r}")
        status = placeholder_status(value)
        if status is not None:
            return Resolved(ref, None, status, detail=value)
        clean = normalise(value)
        if isinstance(clean, Refusal):
            return Resolved(
                ref, None, ItemStatus.REJECTED, reason=clean.reason, detail=clean.detail
            )
        entry = self.tree.lookup(self._join(clean))
        if entry.status is ItemStatus.MISSING and percent_fallback and "%" in clean:
            decoded = normalise(unquote(clean))
            if isinstance(decoded, str):
                alternative = self.tree.lookup(self._join(decoded))
                if alternative.status is not ItemStatus.MISSING:
                    entry = alternative
        if entry.status is ItemStatus.MISSING:
            detail = "named by the export but not present in it"
            return Resolved(entry.key, entry.path, ItemStatus.MISSING, detail=detail)
        self.referenced.add(entry.key)
        return Resolved(entry.key, entry.path, entry.status, entry.size, entry.reason, entry.detail)

    def _join(self, clean: str) -> str:
        return f"{self.base}/{clean}" if self.base else clean

    def is_structural(self, key: str) -> bool:
        """The export's own pages, which hold no media: result.json, *.html and tdesktop's
        css/style.css and js/script.js in the export folder."""
        if self.base:
            if not key.startswith(self.base + "/"):
                return False
            key = key[len(self.base) + 1 :]
        return key in ("result.json", "css/style.css", "js/script.js") or key.endswith(".html")


def unreferenced_items(
    tree: Tree, references: References, export_format: str
) -> Iterator[MediaItem]:
    """Files in the tree no reference named: kept, not dropped (a file can be present without a
    message pointing at it, and presence matters as much as sending). A preview tdesktop's HTML
    writer made of a referenced picture ("<name>_thumb.jpg", "<name>_info.jpg") is marked
    derived: a JSON reading of a "Both" export meets them this way."""
    plain = TelegramContext(export_format=export_format, section="unreferenced", field="file")
    derived = replace(plain, is_derived=True)
    for entry in tree.entries():
        if entry.key in references.referenced or references.is_structural(entry.key):
            continue
        original = _preview_original(entry.key)
        yield MediaItem(
            key=entry.key,
            ref=f"unreferenced:{entry.key}",
            path=entry.path,
            status=entry.status,
            kind=kind_from_export_path(entry.path or entry.key),
            size=entry.size,
            reason=entry.reason,
            detail=entry.detail,
            telegram=derived if original in references.referenced else plain,
        )


def _preview_original(key: str) -> str | None:
    folder, _, name = key.rpartition("/")
    dot = name.find(".")
    stem, rest = (name, "") if dot < 0 else (name[:dot], name[dot:])
    for postfix in ("_thumb", "_info"):
        if stem.endswith(postfix):
            original = stem[: -len(postfix)] + rest
            return f"{folder}/{original}" if folder else original
    return None
