"""The texts the bot sends to the admin chat: context and hashes, never the media itself (a
forward or copy of listed material would be redistribution)."""

from __future__ import annotations

from bastion.telegram_bot.actions import ActionResult
from bastion.telegram_bot.checking import Outcome
from bastion.telegram_bot.media import MediaItem, MessageContext


def _where(ctx: MessageContext, members: int | None) -> str:
    title = f'"{ctx.chat_title}" ' if ctx.chat_title else ""
    count = f", {members:,} members" if members is not None else ""
    return f"{title}({ctx.chat_id}, {ctx.chat_kind}{count})"


def _what(ctx: MessageContext, item: MediaItem) -> str:
    edited = " (edited: media swapped in)" if ctx.edited else ""
    album = f", album {ctx.media_group_id}" if ctx.media_group_id else ""
    return (
        f"message {ctx.message_id}{edited} from {ctx.describe_sender()} at "
        f"{ctx.date:%Y-%m-%d %H:%M:%S} UTC: {item.kind}{album}"
    )


def _evidence(outcome: Outcome) -> list[str]:
    lines = [f"verdict {outcome.verdict} ({outcome.rule}): {outcome.reason}"]
    lines += [f"match: {m.describe()}" for m in outcome.matches]
    if outcome.hashes.get("sha256"):
        lines.append(f"sha256 {outcome.hashes['sha256']}")
    if outcome.hashes.get("pdq"):
        lines.append(f"pdq {outcome.hashes['pdq']}")
    if outcome.sighting_id is not None:
        lines.append(f"recorded as sighting {outcome.sighting_id}")
    return lines


def removal(
    ctx: MessageContext,
    item: MediaItem,
    outcome: Outcome,
    members: int | None,
    deleted: ActionResult,
    banned: ActionResult,
) -> str:
    head = "Removed" if deleted.done else "FAILED to remove"
    return "\n".join(
        [
            f"Bastion: {head} listed media in {_where(ctx, members)}",
            _what(ctx, item),
            *_evidence(outcome),
            f"delete: {deleted.status}: {deleted.detail}",
            f"ban: {banned.status}: {banned.detail}",
        ]
    )


def review(ctx: MessageContext, item: MediaItem, outcome: Outcome, members: int | None) -> str:
    return "\n".join(
        [
            f"Bastion: media held for review (message kept) in {_where(ctx, members)}",
            _what(ctx, item),
            *_evidence(outcome),
            "Review it in the Bastion review queue; the message stays until someone acts.",
        ]
    )


def unscanned(ctx: MessageContext, item: MediaItem, members: int | None, message: str) -> str:
    return "\n".join(
        [
            f"Bastion: could not check media in {_where(ctx, members)}",
            _what(ctx, item),
            f"reason: {message}",
        ]
    )
