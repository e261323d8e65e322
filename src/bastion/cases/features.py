"""Aggravating features the evidence can show, each with the items and messages behind it.

Bastion reports what the export shows and sets no thresholds: the guideline sets none for
"high volume" or the length of a period, and whether a feature aggravates, and by how much, is
for the court. The network indicators are Bastion's own reading of the export (named below),
not the guideline's definition of "active involvement in a network".

Features the evidence cannot show (the age or vulnerability of the child depicted, pain or
distress, abuse of trust, previous convictions, mitigation) are never here: the guideline
assessment lists them as questions for a person to answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bastion.cases.activities import Activity, ChatFact, chat_kind
from bastion.cases.chats import chat_breakdown
from bastion.cases.counts import CountTable
from bastion.cases.evidence import Evidence, EvidenceRef
from bastion.guidelines import EvidencedFeature, Period


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature: found or not, in words, with the evidence behind it."""

    id: str  # a bastion.guidelines.FEATURES key
    title: str
    found: bool
    summary: str
    details: tuple[str, ...]
    item_ids: tuple[str, ...]
    ref_ids: tuple[str, ...]

    def evidenced(self) -> EvidencedFeature | None:
        if not self.found:
            return None
        return EvidencedFeature(self.id, self.item_ids + self.ref_ids, self.summary)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _ids(refs: list[EvidenceRef]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(dict.fromkeys(r.item_id for r in refs)), tuple(dict.fromkeys(r.id for r in refs))


def volume(evidence: Evidence, table: CountTable) -> Feature:
    items = evidence.items
    if not items:
        return Feature("volume", "Volume of images", False, "No images matched.", (), (), ())
    by_cat = ", ".join(f"{c} {table.cell('possession', c).images:,}" for c in table.categories)
    still = sum(1 for i in items if not i.moving)
    summary = (
        f"{_n(len(items), 'distinct image')} matched known material ({by_cat}; {still:,} still, "
        f"{len(items) - still:,} moving) in {_n(table.copies('possession'), 'message reference')}. "
        "The guideline sets no number for a high volume and Bastion sets none."
    )
    details = []
    if table.images("distribution"):
        details.append(
            f"Distributed: {_n(table.images('distribution'), 'distinct image')} in "
            f"{_n(table.copies('distribution'), 'message')}."
        )
    return Feature(
        "volume",
        "Volume of images",
        True,
        summary,
        tuple(details),
        tuple(i.id for i in items),
        (),
    )


def period_of(refs: list[EvidenceRef]) -> tuple[EvidenceRef, EvidenceRef] | None:
    dated = sorted((r for r in refs if r.date is not None), key=lambda r: r.date)
    return (dated[0], dated[-1]) if dated else None


def period(evidence: Evidence) -> tuple[Feature, Period | None]:
    refs = list(evidence.refs)
    span = period_of(refs)
    if span is None:
        why = "No images matched." if not refs else "No matched reference carries a date."
        return Feature("period", "Period", False, why, (), (), ()), None
    first, last = span
    days = (last.date.date() - first.date.date()).days + 1
    summary = (
        f"Matched images are referenced from {_day(first.date)} to {_day(last.date)} "
        f"({_n(days, 'day')}, UTC dates of the messages)."
    )
    details = []
    sent = [r for r in refs if r.distributed]
    shared = period_of(sent)
    if shared:
        a, b = shared
        details.append(f"Distribution from {_day(a.date)} to {_day(b.date)}.")
    undated = sum(1 for r in refs if r.date is None)
    if undated:
        details.append(f"{_n(undated, 'reference')} without a date not included.")
    support = [first, last] + (list(shared) if shared else [])
    item_ids, ref_ids = _ids(support)
    feature = Feature("period", "Period", True, summary, tuple(details), item_ids, ref_ids)
    return feature, Period(first.date.date(), last.date.date())


def moving_images(evidence: Evidence) -> Feature:
    moving = [i for i in evidence.items if i.moving]
    if not moving:
        return Feature(
            "moving_images", "Moving images", False, "No moving image matched.", (), (), ()
        )
    refs = [r for i in moving for r in i.refs if r.moving]
    return Feature(
        "moving_images",
        "Moving images",
        True,
        f"The collection includes {_n(len(moving), 'moving image')} (video or animation) that "
        f"matched known material, in {_n(len(refs), 'message reference')}.",
        (),
        tuple(i.id for i in moving),
        tuple(r.id for r in refs),
    )


def distribution(evidence: Evidence) -> Feature:
    refs = [r for r in evidence.refs if r.distributed]
    if not refs:
        why = "No matched item was sent, posted or forwarded by the account owner."
        if not evidence.owner_known:
            why += " The export does not identify the owner, so distribution cannot be shown."
        return Feature("distribution", "Distribution", False, why, (), (), ())
    item_ids, ref_ids = _ids(refs)
    kinds = defaultdict(int)
    for r in refs:
        kinds[r.activity] += 1
    how = ", ".join(f"{a.value} {n}" for a, n in sorted(kinds.items()))
    return Feature(
        "distribution",
        "Distribution",
        True,
        f"The account owner sent, posted or forwarded {_n(len(item_ids), 'distinct image')} "
        f"in {_n(len(refs), 'message')} ({how}).",
        (),
        item_ids,
        ref_ids,
    )


def groups_or_channels(evidence: Evidence, facts: Mapping[str, ChatFact]) -> Feature:
    refs = [r for r in evidence.refs if r.distributed]
    chats = [c for c in chat_breakdown(evidence, facts) if c.distributed and c.is_group_or_channel]
    if not chats:
        return Feature(
            "groups_or_channels",
            "Groups or channels",
            False,
            "No matched item was placed in a group or channel by the account owner.",
            (),
            (),
            (),
        )
    details = []
    for c in chats:
        if c.fact and c.fact.member_count is not None:
            members = (
                f"{c.fact.member_count:,} members (recorded by {c.fact.given_by}"
                + (f": {c.fact.note}" if c.fact.note else "")
                + ")"
            )
        else:
            members = "member count not known (exports do not record it)"
        details.append(
            f"{c.name} ({c.kind}): {_n(c.distributed, 'message')} by the account owner; {members}."
        )
    keys = {c.key for c in chats}
    support = [r for r in refs if r.chat_key in keys]
    item_ids, ref_ids = _ids(support)
    largest = max((c.member_count or 0) for c in chats)
    summary = (
        f"The account owner placed {_n(len(item_ids), 'distinct image')} in "
        f"{_n(len(chats), 'group or channel', 'groups or channels')}"
        + (f", the largest with {largest:,} members as recorded" if largest else "")
        + ": places where others can view them."
    )
    return Feature(
        "groups_or_channels",
        "Placed where others can view (groups and channels)",
        True,
        summary,
        tuple(details),
        item_ids,
        ref_ids,
    )


def network(evidence: Evidence) -> Feature:
    """Bastion's indicators: repeated sharing into one chat; receiving from several people and
    sending into several chats; images received and then sent on."""
    refs = list(evidence.refs)
    sent = [r for r in refs if r.distributed]
    received = [r for r in refs if r.activity is Activity.RECEIVED]
    details: list[str] = []
    support: list[EvidenceRef] = []

    per_chat: dict[str | None, list[EvidenceRef]] = defaultdict(list)
    for r in sent:
        per_chat[r.chat_key].append(r)
    for chat_refs in per_chat.values():
        messages = {r.message_id for r in chat_refs}
        if len(messages) >= 2:
            days = {r.date.date() for r in chat_refs if r.date}
            first = chat_refs[0]
            details.append(
                f"Repeated sharing: {_n(len(messages), 'message')} with matched images into "
                f"{first.chat_name or '(unnamed chat)'} ({chat_kind(first.chat_type)})"
                + (f" on {_n(len(days), 'day')}" if days else "")
                + "."
            )
            support += chat_refs

    senders = {r.sender_id or r.sender_name for r in received} - {None}
    destinations = {r.chat_key for r in sent}
    if len(senders) >= 2 and len(destinations) >= 2:
        details.append(
            f"Several participants: matched images received from {_n(len(senders), 'sender')} "
            f"and sent into {_n(len(destinations), 'chat')}."
        )
        support += received + sent

    onward = []
    for item in evidence.items:
        got = [r for r in item.refs if r.activity is Activity.RECEIVED and r.date]
        gave = [r for r in item.refs if r.distributed and r.date]
        if got and gave and min(r.date for r in got) <= max(r.date for r in gave):
            onward.append((item, got, gave))
    if onward:
        details.append(
            f"Onward sharing: {_n(len(onward), 'image')} received from others and later sent on "
            "by the account owner."
        )
        for _, got, gave in onward:
            support += got + gave

    if not details:
        return Feature(
            "network",
            "Indicators of network involvement",
            False,
            "None of Bastion's indicators holds (repeated sharing into one chat; receiving from "
            "several people and sending into several chats; images received and sent on).",
            (),
            (),
            (),
        )
    item_ids, ref_ids = _ids(support)
    return Feature(
        "network",
        "Indicators of network involvement",
        True,
        f"{_n(len(details), 'of Bastion’s three indicators holds', 'of Bastion’s three indicators hold')} "
        "(they are Bastion's reading of the export, not the guideline's definition); whether "
        "this is active involvement in a network is for the court.",
        tuple(details),
        item_ids,
        ref_ids,
    )


def find_features(
    evidence: Evidence, table: CountTable, facts: Mapping[str, ChatFact] | None = None
) -> tuple[tuple[Feature, ...], Period | None]:
    facts = facts or {}
    found_period, span = period(evidence)
    features = (
        volume(evidence, table),
        found_period,
        moving_images(evidence),
        distribution(evidence),
        groups_or_channels(evidence, facts),
        network(evidence),
    )
    return features, span
