"""Reading a scanned case: every reference in its final state, and the summaries an
investigator reads first (per chat, per sender, per category, first and last dates)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from bastion.scan.states import SOURCE_STATES, ItemState
from bastion.store.db import Store
from bastion.store.models import CaseFileRow, CaseItemRow, CaseMatchRow, CaseRow

CATEGORIES = ("A", "B", "C", "unknown")


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference with its final state; file fields are None for unread items."""

    ref: str
    key: str
    path: str | None
    state: ItemState
    reason: str | None
    detail: str | None
    media_kind: str
    moving: bool
    chat_id: str | None
    chat_name: str | None
    chat_type: str | None
    message_id: int | None
    date: datetime | None
    date_source: str | None
    sender_name: str | None
    sender_id: str | None
    sender_is_owner: bool | None
    forwarded_from: str | None
    is_thumbnail: bool
    is_derived: bool
    category: str | None
    md5: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None
    size: int | None
    matches: tuple[dict, ...] = ()


def case_row(store: Store, name: str) -> CaseRow:
    from bastion.scan.pipeline import case_id

    with store.session() as s:
        return s.get(CaseRow, case_id(store, name))


def references(store: Store, case: int) -> Iterator[Reference]:
    """Every reference in source order, with its state (derived from the recorded rows)."""
    with store.session() as s:
        matches: dict[int, list[dict]] = defaultdict(list)
        for m in s.scalars(
            select(CaseMatchRow).where(CaseMatchRow.case_id == case).order_by(CaseMatchRow.id)
        ):
            matches[m.file_id].append(
                {
                    "bank": m.bank,
                    "category": m.category,
                    "source_label": m.source_label,
                    "signal_type": m.signal_type,
                    "value": m.value,
                    "distance": m.distance,
                    "variant": m.variant,
                    "entry_id": m.entry_id,
                }
            )
        query = (
            select(CaseItemRow, CaseFileRow)
            .outerjoin(
                CaseFileRow,
                (CaseFileRow.case_id == CaseItemRow.case_id) & (CaseFileRow.key == CaseItemRow.key),
            )
            .where(CaseItemRow.case_id == case)
            .order_by(CaseItemRow.seq)
            .execution_options(yield_per=5000)
        )
        for item, file in s.execute(query):
            if item.source_status in SOURCE_STATES:
                state, reason = SOURCE_STATES[item.source_status]
                reason = item.reason or reason
            elif file is None:
                state, reason = None, None
            else:
                state, reason = ItemState(file.state), file.reason
            yield Reference(
                ref=item.ref,
                key=item.key,
                path=item.path,
                state=state,
                reason=reason,
                detail=item.detail
                if item.source_status != "available"
                else (file.error if file else None),
                media_kind=item.media_kind,
                moving=bool(file and file.moving),
                chat_id=item.chat_id,
                chat_name=item.chat_name,
                chat_type=item.chat_type,
                message_id=item.message_id,
                date=item.date,
                date_source=item.date_source,
                sender_name=item.sender_name,
                sender_id=item.sender_id,
                sender_is_owner=item.sender_is_owner,
                forwarded_from=item.forwarded_from,
                is_thumbnail=item.is_thumbnail,
                is_derived=item.is_derived,
                category=file.category if file else None,
                md5=file.md5 if file else None,
                sha256=file.sha256 if file else None,
                pdq=file.pdq if file else None,
                pdq_quality=file.pdq_quality if file else None,
                size=file.size if file else None,
                matches=tuple(matches.get(file.id, ())) if file else (),
            )


def _chat_name(ref: Reference) -> str:
    if ref.chat_name:
        return ref.chat_name
    if ref.chat_type == "saved_messages":
        return "Saved Messages"
    if ref.chat_type is None and ref.message_id is None:
        return "(files no message names)"
    return "(unnamed chat)"


@dataclass
class ChatSummary:
    chat_id: str | None
    name: str | None
    type: str | None
    references: int = 0
    matched: Counter = field(default_factory=Counter)


@dataclass
class SenderSummary:
    sender_id: str | None
    name: str | None
    is_owner: bool | None
    references: int = 0
    matched: Counter = field(default_factory=Counter)


@dataclass
class CaseSummary:
    name: str
    status: str
    source_path: str
    source_kind: str
    references: int
    states: Counter
    distinct_files: int
    distinct_matched: Counter
    chats: list[ChatSummary]
    senders: list[SenderSummary]
    first_last: dict[str, tuple[datetime | None, datetime | None]]
    undated_matches: int
    banks: list[dict]

    @property
    def accounted(self) -> bool:
        return sum(self.states.values()) == self.references and "pending" not in self.states


def summarise(store: Store, name: str) -> CaseSummary:
    case = case_row(store, name)
    states: Counter = Counter()
    chats: dict[tuple, ChatSummary] = {}
    senders: dict[tuple, SenderSummary] = {}
    first_last: dict[str, list] = {}
    undated = 0
    files: set[str] = set()
    matched_files: dict[str, str] = {}
    total = 0
    for ref in references(store, case.id):
        total += 1
        states[ref.state.value if ref.state else "pending"] += 1
        if ref.state not in (ItemState.MISSING, ItemState.REJECTED):
            files.add(ref.key)
        chat = chats.setdefault(
            (ref.chat_id, ref.chat_name, ref.chat_type),
            ChatSummary(ref.chat_id, _chat_name(ref), ref.chat_type),
        )
        chat.references += 1
        sender = senders.setdefault(
            ref.sender_id or ref.sender_name,
            SenderSummary(ref.sender_id, ref.sender_name, ref.sender_is_owner),
        )
        sender.name = sender.name or ref.sender_name
        sender.references += 1
        if ref.state is ItemState.MATCHED:
            cat = ref.category or "unknown"
            matched_files[ref.key] = cat
            chat.matched[cat] += 1
            sender.matched[cat] += 1
            if ref.date is None:
                undated += 1
            else:
                span = first_last.setdefault(cat, [ref.date, ref.date])
                span[0], span[1] = min(span[0], ref.date), max(span[1], ref.date)
    return CaseSummary(
        name=case.name,
        status=case.status,
        source_path=case.source_path,
        source_kind=case.source_kind,
        references=total,
        states=states,
        distinct_files=len(files),
        distinct_matched=Counter(matched_files.values()),
        chats=sorted(
            chats.values(), key=lambda c: (-sum(c.matched.values()), -c.references, c.name or "")
        ),
        senders=sorted(
            senders.values(), key=lambda x: (-sum(x.matched.values()), -x.references, x.name or "")
        ),
        first_last={k: (v[0], v[1]) for k, v in first_last.items()},
        undated_matches=undated,
        banks=case.banks,
    )
