"""What a case's evidence cannot show, in words a reader can act on. Each limit is stated only
when it applies to this case, with its count, except the ones that always hold."""

from __future__ import annotations

from collections import Counter

from bastion.cases.activities import Activity
from bastion.cases.custody import Custody
from bastion.cases.evidence import Evidence


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def limitations(evidence: Evidence, custody: Custody) -> tuple[str, ...]:
    out: list[str] = []
    if custody.status != "complete":
        out.append(
            f"The scan is {custody.status}, not complete: the counts cover only what was hashed "
            f"so far. Finish it with `bastion scan --resume {custody.case_name}` before relying "
            "on this report."
        )
    banks = ", ".join(f"{b.name} v{b.version}" for b in custody.banks) or "none"
    out.append(
        "Hash matching finds only known material: an image that is not on the hash lists used "
        f"({banks}) is not found and not counted. Counts show what was matched, not everything "
        "the account may hold."
    )
    out.append(
        "Each category is the grade the matching list gave the image; Bastion does not look at "
        "images. Where lists disagree the most serious grade is used and the item says so."
    )
    disagree = sum(1 for i in evidence.items if i.banks_disagree)
    if disagree:
        out.append(f"Lists disagree on the category of {_n(disagree, 'image')}: see the appendix.")
    acts = Counter(r.activity for r in evidence.refs)
    if acts[Activity.RECEIVED]:
        out.append(
            "Telegram Desktop downloads media when an export is made: a received file in the "
            "export shows it reached the account's chats, not that anyone opened or saved it. "
            "Knowledge is for the court."
        )
    if not evidence.owner_known and evidence.references:
        out.append(
            "The export does not say which account is the owner (an HTML export, or a single "
            "chat exported on its own), so Bastion cannot tell what the owner received from "
            "what the owner sent. Every matched reference is counted as possession only; "
            "distribution cannot be shown from this export. A JSON export of the whole account "
            "identifies the owner."
        )
    elif acts[Activity.UNKNOWN_OWNER]:
        out.append(
            f"For {_n(acts[Activity.UNKNOWN_OWNER], 'matched reference')} the sender cannot be "
            "placed (see each reference's basis); they are counted as possession only."
        )
    if acts[Activity.CHANNEL_POST]:
        out.append(
            f"{_n(acts[Activity.CHANNEL_POST], 'matched reference')} {'was' if acts[Activity.CHANNEL_POST] == 1 else 'were'} posted as a channel or an anonymous "
            "admin: the export names the chat, not the person. They are counted as possession. "
            "If the account owner posts in that chat, record it (`bastion case chat-meta CASE "
            "CHAT --owner-posts yes --note ...`) and they count as distribution, citing who said so."
        )
    if acts[Activity.SENT_TO_BOT]:
        out.append(
            f"{_n(acts[Activity.SENT_TO_BOT], 'matched reference')} went to a bot: counted as "
            "possession. Whether sending to a bot is distribution depends on who runs it."
        )
    states = evidence.states
    unread = {k: states.get(k, 0) for k in ("missing", "too_large", "undecodable", "rejected")}
    if any(unread.values()):
        parts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in unread.items() if v)
        out.append(
            f"Some references could not be matched fully ({parts}): placeholders and missing "
            "files were never read; files over the limits or that would not decode were matched "
            "by exact digest only."
        )
    if evidence.digest_only_moving:
        out.append(
            f"{_n(evidence.digest_only_moving, 'video or animation', 'videos or animations')} "
            "could not be decoded for perceptual matching (vPDQ) and matched nothing by exact "
            "digest: a re-encoded copy of a known video among them would not be found."
        )
    via = sum(1 for r in evidence.refs if r.matched_via != "file")
    if via:
        out.append(
            f"{_n(via, 'attachment')} matched only through a thumbnail or preview (the file "
            "itself is not in the export, or did not match): each is counted once, as a still "
            "image, and marked in the appendix."
        )
    if evidence.detached_previews:
        out.append(
            f"{_n(evidence.detached_previews, 'matched thumbnail or preview', 'matched thumbnails or previews')} "
            "could not be tied to an original and are counted as images in their own right."
        )
    undated = sum(1 for r in evidence.refs if r.date is None)
    if undated:
        out.append(
            f"{_n(undated, 'matched reference')} carry no exact date (files no message names, or "
            "an export that wrote local times without an offset): they are counted but left out "
            "of first and last dates and the timeline."
        )
    ungraded = sum(1 for i in evidence.items if i.category not in ("A", "B", "C"))
    if ungraded:
        out.append(
            f"{_n(ungraded, 'matched image')} carry no A/B/C grade from any list: shown in the "
            "count table as ungraded and left out of the guideline assessment."
        )
    entries: Counter = Counter()
    for item in evidence.items:
        for key in {(m["bank"], m["entry_id"]) for m in item.matches}:
            entries[key] += 1
    shared = sum(1 for n in entries.values() if n > 1)
    if shared:
        out.append(
            f"{_n(shared, 'list entry', 'list entries')} matched more than one distinct file "
            "(near-duplicates by PDQ): distinct images are counted by content (SHA-256), so such "
            "files count separately."
        )
    out.append(
        "No export records how many members a group or channel has: member counts shown are "
        "the ones people recorded, with who recorded them."
    )
    out.append(
        "Production is never inferred from hash matches (known material was produced by "
        "someone else); it appears only where a person marked it, with a note."
    )
    out.append("All dates and times are UTC.")
    return tuple(out)
