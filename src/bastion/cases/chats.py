"""The per-chat breakdown: where matched items were received, held and sent, with the chat's
type and, where a person recorded it, its member count (no export carries member counts)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bastion.cases.activities import CHANNEL_TYPES, GROUP_TYPES, ChatFact, chat_kind
from bastion.cases.evidence import SEVERITY, Evidence, EvidenceRef


@dataclass(frozen=True, slots=True)
class ChatBreakdown:
    key: str | None
    name: str
    type: str | None
    kind: str  # a reader's word for the type
    fact: ChatFact | None
    references: int
    received: int
    distributed: int
    other: int  # held, posted by the chat, sent to a bot, sender unknown
    images: int
    categories: Mapping[str, int]  # distinct images per category
    first: datetime | None
    last: datetime | None
    ref_ids: tuple[str, ...]
    item_ids: tuple[str, ...]

    @property
    def member_count(self) -> int | None:
        return self.fact.member_count if self.fact else None

    @property
    def is_group_or_channel(self) -> bool:
        return self.type in GROUP_TYPES | CHANNEL_TYPES


def chat_name(ref: EvidenceRef) -> str:
    if ref.chat_name:
        return ref.chat_name
    if ref.chat_type == "saved_messages":
        return "Saved Messages"
    if ref.message_id is None:
        return "(files no message names)"
    return "(unnamed chat)"


def chat_breakdown(
    evidence: Evidence, facts: Mapping[str, ChatFact] | None = None
) -> tuple[ChatBreakdown, ...]:
    facts = facts or {}
    groups: dict[tuple, list[EvidenceRef]] = {}
    for ref in evidence.refs:
        groups.setdefault((ref.chat_key, chat_name(ref), ref.chat_type), []).append(ref)
    out = []
    for (key, name, chat_type), refs in groups.items():
        per_item = {r.item_id: r.category for r in refs}
        dates = [r.date for r in refs if r.date is not None]
        received = sum(1 for r in refs if r.activity.value == "received")
        distributed = sum(1 for r in refs if r.distributed)
        out.append(
            ChatBreakdown(
                key=key,
                name=name,
                type=chat_type,
                kind=chat_kind(chat_type),
                fact=facts.get(key) if key else None,
                references=len(refs),
                received=received,
                distributed=distributed,
                other=len(refs) - received - distributed,
                images=len(per_item),
                categories=dict(Counter(per_item.values())),
                first=min(dates) if dates else None,
                last=max(dates) if dates else None,
                ref_ids=tuple(r.id for r in refs),
                item_ids=tuple(per_item),
            )
        )
    out.sort(
        key=lambda c: (
            -c.distributed,
            -max((SEVERITY.get(k, 0) for k in c.categories), default=0),
            -c.references,
            c.name,
        )
    )
    return tuple(out)
