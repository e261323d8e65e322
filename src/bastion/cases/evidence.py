"""The evidence model of a scanned case: each matched image, every message that references it,
and what the account did in each.

Units, and why:
- An **attachment** is one message's media: the file, with any thumbnail tdesktop saved beside
  it and any preview its HTML writer derived from it. Thumbnails and previews are not separate
  images: they are attached to their original and never counted on their own. When only a
  thumbnail or preview matched (the original is a placeholder, or did not match itself), the
  attachment is counted once, as a still image, from what matched, and says so (`matched_via`).
- An **item** is one distinct image by content (the SHA-256 of what matched). Every attachment
  with that content is a **copy** of the item: one message reference each.

Identifiers are stable for a scan: `img-` + the first 10 hex digits of the item's SHA-256, and
`ref-` + the first 10 hex digits of the SHA-256 of the source's own reference id (which is itself
stable across runs over the same input); longer where two would share their first 10.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from bastion.cases.activities import Activity, ChatFact, chat_key, decide
from bastion.cases.summary import Reference
from bastion.scan.states import ItemState

SEVERITY = {"A": 3, "B": 2, "C": 1, "unknown": 0}
GRADED = ("A", "B", "C")


def most_serious(categories: Iterable[str | None]) -> str:
    present = [c or "unknown" for c in categories]
    return max(present, key=lambda c: SEVERITY.get(c, 0)) if present else "unknown"


ID_DIGITS = 10


def short_ids(prefix: str, digests: Iterable[str]) -> dict[str, str]:
    """`prefix` + the first 10 hex digits of each digest, longer where two digests share them
    (so ids stay unique in cases of millions of items)."""
    digests = list(dict.fromkeys(digests))
    ids: dict[str, str] = {}
    length = ID_DIGITS
    pending = digests
    while pending:
        seen: dict[str, list[str]] = defaultdict(list)
        for d in pending:
            seen[d[:length]].append(d)
        pending = []
        for short, group in seen.items():
            if len(group) == 1 or length >= 64:
                for d in group:
                    ids[d] = prefix + (short if len(group) == 1 else d)
            else:
                pending += group
        length += 4
    return ids


def ref_digest(source_ref: str) -> str:
    return hashlib.sha256(source_ref.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MatchedPart:
    """One matched file of an attachment: the file itself, or its thumbnail or preview."""

    ref: str
    role: str  # "file", "thumbnail", "preview"
    path: str | None
    sha256: str
    md5: str | None
    pdq: str | None
    category: str
    moving: bool
    matches: tuple[dict, ...]


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """One message reference to a matched item, with the activity it shows."""

    id: str
    ref: str
    item_id: str
    activity: Activity
    basis: str
    chat_key: str | None
    chat_name: str | None
    chat_type: str | None
    message_id: int | None
    date: datetime | None
    date_source: str | None
    sender_name: str | None
    sender_id: str | None
    sender_is_owner: bool | None
    forwarded_from: str | None
    path: str | None
    category: str
    moving: bool
    matched_via: str  # "file", "thumbnail", "preview"
    parts: tuple[MatchedPart, ...]

    @property
    def distributed(self) -> bool:
        return self.activity.guideline_activity == "distribution"


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One distinct matched image (by content) and every reference to it."""

    id: str
    sha256: str
    md5: str | None
    pdq: str | None
    category: str
    moving: bool
    matched_via: str
    matches: tuple[dict, ...]
    refs: tuple[EvidenceRef, ...]

    @property
    def distributed(self) -> bool:
        return any(r.distributed for r in self.refs)

    @property
    def activities(self) -> set[Activity]:
        return {r.activity for r in self.refs}

    @property
    def guideline_activity(self) -> str:
        """The most serious activity evidenced for it: each item counts once, there."""
        return "distribution" if self.distributed else "possession"

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.path for r in self.refs for p in r.parts if p.path))

    @property
    def dates(self) -> list[datetime]:
        return sorted(r.date for r in self.refs if r.date is not None)

    @property
    def banks_disagree(self) -> bool:
        return len({m["category"] for m in self.matches}) > 1


@dataclass(frozen=True, slots=True)
class Evidence:
    items: tuple[EvidenceItem, ...]
    references: int  # every reference of the case, matched or not
    states: Mapping[str, int]
    owner_known: bool
    digest_only_moving: int  # videos that could not be decoded: matched by exact digest only
    detached_previews: int  # thumbnails or previews whose original could not be found
    chats: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        return tuple(r for item in self.items for r in item.refs)

    def item(self, item_id: str) -> EvidenceItem:
        return next(i for i in self.items if i.id == item_id)

    def ref(self, ref_id: str) -> EvidenceRef:
        return next(r for r in self.refs if r.id == ref_id)


def _message_key(source_ref: str) -> str:
    """The message an attachment's reference belongs to: JSON refs end in "/<field>", HTML refs
    in "/<ordinal>/<field>" (bastion.sources.telegram_json and telegram_html)."""
    if source_ref.startswith("html:"):
        return source_ref.rsplit("/", 2)[0]
    return source_ref.rsplit("/", 1)[0]


def _preview_original(key: str) -> str | None:
    """The file an HTML-writer preview was made from: "<name>_thumb.jpg" -> "<name>.jpg"."""
    folder, _, name = key.rpartition("/")
    stem, dot, rest = name.partition(".")
    for postfix in ("_thumb", "_info"):
        if stem.endswith(postfix):
            original = stem[: -len(postfix)] + dot + rest
            return f"{folder}/{original}" if folder else original
    return None


def _role(ref: Reference) -> str:
    if ref.is_thumbnail:
        return "thumbnail"
    if ref.is_derived:
        return "preview"
    return "file"


def build_evidence(
    references: Iterable[Reference], chat_facts: Mapping[str, ChatFact] | None = None
) -> Evidence:
    """The evidence model from a case's references (in source order) and people's chat facts."""
    chat_facts = chat_facts or {}
    all_refs = list(references)
    states = Counter(r.state.value if r.state else "pending" for r in all_refs)
    by_message: dict[str, list[Reference]] = defaultdict(list)
    by_key: dict[str, list[Reference]] = defaultdict(list)
    for r in all_refs:
        if not r.ref.startswith("unreferenced:"):
            by_message[_message_key(r.ref)].append(r)
        by_key[r.key].append(r)

    # The attachment each matched file belongs to, named by its original reference.
    attachments: dict[str, list[Reference]] = defaultdict(list)
    detached = 0
    for r in all_refs:
        if r.state is not ItemState.MATCHED:
            continue
        original = r
        if r.is_thumbnail or r.is_derived:
            siblings = [
                s
                for s in by_message.get(_message_key(r.ref), ())
                if not (s.is_thumbnail or s.is_derived)
            ]
            if not siblings and r.ref.startswith("unreferenced:"):
                named = _preview_original(r.key)
                siblings = [
                    s for s in by_key.get(named or "", ()) if not (s.is_thumbnail or s.is_derived)
                ]
            if siblings:
                original = siblings[0]
            else:
                detached += 1
        attachments[original.ref].append(r)
    originals = {r.ref: r for r in all_refs}

    evidence_refs: dict[str, list[EvidenceRef]] = defaultdict(list)
    for original_ref, matched in attachments.items():
        original = originals[original_ref]
        parts = tuple(
            MatchedPart(
                ref=m.ref,
                role=_role(m),
                path=m.path,
                sha256=m.sha256 or m.key,
                md5=m.md5,
                pdq=m.pdq,
                category=m.category or "unknown",
                moving=m.moving,
                matches=m.matches,
            )
            for m in matched
        )
        own = next((p for p in parts if p.ref == original.ref), None)
        counted = own or max(parts, key=lambda p: SEVERITY.get(p.category, 0))
        key = chat_key(original.chat_id, original.chat_name)
        decision = decide(
            section=original.section,
            chat_type=original.chat_type,
            chat_id=original.chat_id,
            message_id=original.message_id,
            sender_id=original.sender_id,
            sender_name=original.sender_name,
            sender_is_owner=original.sender_is_owner,
            forwarded_from=original.forwarded_from,
            fact=chat_facts.get(key) if key else None,
        )
        evidence_refs[counted.sha256].append(
            EvidenceRef(
                id=ref_digest(original.ref),  # shortened below, once every id is known
                ref=original.ref,
                item_id=counted.sha256,
                activity=decision.activity,
                basis=decision.basis,
                chat_key=key,
                chat_name=original.chat_name,
                chat_type=original.chat_type,
                message_id=original.message_id,
                date=original.date,
                date_source=original.date_source,
                sender_name=original.sender_name,
                sender_id=original.sender_id,
                sender_is_owner=original.sender_is_owner,
                forwarded_from=original.forwarded_from,
                path=original.path,
                category=most_serious(p.category for p in parts),
                # A thumbnail is a still picture: an attachment is moving only when the moving
                # file itself matched.
                moving=bool(own and own.moving),
                matched_via=counted.role,
                parts=parts,
            )
        )

    item_ids = short_ids("img-", evidence_refs)
    ref_ids = short_ids("ref-", (r.id for refs in evidence_refs.values() for r in refs))
    items = []
    for sha256, found_refs in evidence_refs.items():
        refs = [replace(r, id=ref_ids[r.id], item_id=item_ids[sha256]) for r in found_refs]
        first = refs[0]
        counted = next(p for p in first.parts if p.role == first.matched_via)
        unique = tuple(
            {
                (m["bank"], m["entry_id"]): m for r in refs for p in r.parts for m in p.matches
            }.values()
        )
        items.append(
            EvidenceItem(
                id=item_ids[sha256],
                sha256=counted.sha256,
                md5=counted.md5,
                pdq=counted.pdq,
                category=most_serious(r.category for r in refs),
                moving=any(r.moving for r in refs),
                matched_via=first.matched_via,
                matches=unique,
                refs=tuple(refs),
            )
        )
    items.sort(key=lambda i: (-SEVERITY.get(i.category, 0), _first_key(i), i.id))
    chats = {
        k: (r.chat_name, r.chat_type)
        for r in all_refs
        if (k := chat_key(r.chat_id, r.chat_name)) is not None
    }
    return Evidence(
        items=tuple(items),
        references=len(all_refs),
        states=dict(states),
        owner_known=any(r.sender_is_owner is not None for r in all_refs),
        digest_only_moving=sum(
            1
            for r in all_refs
            if r.state is ItemState.HASHED
            and r.reason == "digests_only"
            and r.media_kind in ("video", "animation", "video_message")
        ),
        detached_previews=detached,
        chats=chats,
    )


def _first_key(item: EvidenceItem) -> str:
    dates = item.dates
    return dates[0].isoformat() if dates else "9999"
