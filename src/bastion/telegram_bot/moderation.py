"""Every media message in a group, supergroup or channel: fetch each file, check it, and act on
the verdict. Order on a block: hash and record first, then delete (deletion is possible only
within 48 hours, and a deleted message's file may stop resolving), then ban, then tell.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message

from bastion.telegram_bot import notices
from bastion.telegram_bot.actions import ActionResult, Notifier, ban_sender, delete_message
from bastion.telegram_bot.botapi import Unscanned, fetched
from bastion.telegram_bot.checking import Checker, CheckUnavailable, Outcome
from bastion.telegram_bot.config import BotConfig
from bastion.telegram_bot.journal import Journal
from bastion.telegram_bot.media import MediaItem, MessageContext, media_items, message_context
from bastion.telegram_bot.rights import RightsCache, rights_warning
from bastion.telegram_bot.state import BotState

log = logging.getLogger("bastion.telegram_bot")

MODERATED = ("group", "supergroup", "channel")
MEMBER_COUNT_SECONDS = 600
REMEMBERED_MESSAGES = 10_000


class Moderation:
    def __init__(
        self,
        config: BotConfig,
        checker: Checker,
        state: BotState,
        journal: Journal,
        notifier: Notifier,
    ) -> None:
        self.config = config
        self.checker = checker
        self.state = state
        self.journal = journal
        self.notifier = notifier
        self.rights = RightsCache(config.bot_id)
        self._members: dict[int, tuple[int | None, float]] = {}
        # Files already checked per message: an edit that only changes the caption keeps its
        # file and needs no second check (nor a second review notice).
        self._checked: OrderedDict[tuple[int, int], set[str]] = OrderedDict()

    # -- messages ----------------------------------------------------------------------------

    async def on_message(self, message: Message, bot: Bot, edited: bool) -> None:
        if message.chat.type not in MODERATED:
            return  # private chats are not moderated (and nothing there is anyone else's)
        items = media_items(message)
        if not items:
            return
        ctx = message_context(message, edited)
        checked = self._checked.setdefault((ctx.chat_id, ctx.message_id), set())
        self._checked.move_to_end((ctx.chat_id, ctx.message_id))
        while len(self._checked) > REMEMBERED_MESSAGES:
            self._checked.popitem(last=False)
        items = [i for i in items if i.file_unique_id not in checked]
        if not items:
            return
        await self._check_rights_once(bot, ctx)
        members = await self.member_count(bot, ctx.chat_id)
        for item in items:
            if await self._check_item(bot, ctx, item, members):
                checked.add(item.file_unique_id)

    async def _check_item(
        self, bot: Bot, ctx: MessageContext, item: MediaItem, members: int | None
    ) -> bool:
        """Check one file and act on the verdict; False when it could not be checked."""
        record_ctx = ctx.record_context(item, members)
        base = _journal_fields(ctx, item, record_ctx.message_id, members)
        try:
            async with fetched(
                bot, item, self.config.download_limit, self.config.state_dir / "tmp"
            ) as path:
                outcome = await self.checker.check(path, item, record_ctx)
        except (Unscanned, CheckUnavailable) as exc:
            await self._unscanned(ctx, item, members, base, exc.reason, str(exc))
            return False
        except Exception as exc:  # a store or hashing failure must not lose the item silently
            detail = f"checking failed: {type(exc).__name__}: {exc}"[:500]
            log.debug("checking %s failed", record_ctx.message_id, exc_info=True)
            await self._unscanned(ctx, item, members, base, "check_failed", detail)
            return False
        self.state.count(ctx.chat_id, "checked")
        if outcome.verdict == "block":
            await self._remove(bot, ctx, item, outcome, members, base)
        elif outcome.verdict == "review":
            self.state.count(ctx.chat_id, "review")
            self.journal.write("review", **base, **_decision_fields(outcome))
            await self.notifier.admins(notices.review(ctx, item, outcome, members))
        return True

    async def _unscanned(
        self,
        ctx: MessageContext,
        item: MediaItem,
        members: int | None,
        base: dict[str, Any],
        reason: str,
        detail: str,
    ) -> None:
        self.state.count(ctx.chat_id, "unscanned")
        self.journal.write("unscanned", **base, reason=reason, detail=detail)
        log.info("unscanned %s: %s", base["key"], detail)
        if reason != "too_large":  # routine in video-heavy chats; counted in /stats
            await self.notifier.admins(notices.unscanned(ctx, item, members, detail))

    async def _remove(
        self,
        bot: Bot,
        ctx: MessageContext,
        item: MediaItem,
        outcome: Outcome,
        members: int | None,
        base: dict[str, Any],
    ) -> None:
        deleted = await delete_message(bot, ctx)
        if self.config.ban:
            banned = await ban_sender(bot, ctx)
        else:
            banned = ActionResult("ban", "skipped", "bans are turned off (--no-ban)")
        chat = ctx.chat_id
        self.state.count(chat, "removed" if deleted.done else "failed")
        if banned.done:
            self.state.count(chat, "banned")
        elif banned.status == "failed":
            self.state.count(chat, "failed")
        self.journal.write(
            "removed" if deleted.done else "remove_failed",
            **base,
            **_decision_fields(outcome),
            delete=deleted.status,
            delete_detail=deleted.detail,
            ban=banned.status,
            ban_detail=banned.detail,
        )
        for result in (deleted, banned):
            await self.checker.record_action(
                outcome,
                result.action,
                status=result.status,
                detail=result.detail,
                chat_id=str(chat),
                message_id=ctx.message_id,
            )
        if deleted.done and self.config.notice:
            await self.notifier.send(chat, self.config.notice)
        await self.notifier.admins(notices.removal(ctx, item, outcome, members, deleted, banned))
        for result in (deleted, banned):
            if result.rights_problem:
                await self._warn_rights(ctx.chat_id, ctx.chat_title, [result.detail])

    # -- rights ------------------------------------------------------------------------------

    async def _check_rights_once(self, bot: Bot, ctx: MessageContext) -> None:
        if self.state.warned(ctx.chat_id):
            return
        rights = await self.rights.of(bot, ctx.chat_id)
        if rights.status == "unknown":
            return  # could not ask; a refused action will tell
        missing = rights.missing(ctx.chat_type)
        if missing:
            await self._warn_rights(ctx.chat_id, ctx.chat_title, missing)

    async def _warn_rights(self, chat_id: int, title: str | None, missing: list[str]) -> None:
        """Tell the chat and the admin chat, once per chat until the rights are fixed."""
        if self.state.warned(chat_id):
            return
        text = rights_warning(title, chat_id, missing)
        self.state.set_warned(chat_id, "; ".join(missing))
        self.state.save()
        self.journal.write("rights_missing", chat_id=chat_id, chat_title=title, missing=missing)
        log.warning("missing rights in chat %s: %s", chat_id, "; ".join(missing))
        await self.notifier.send(chat_id, text)
        await self.notifier.admins(text)

    async def on_my_chat_member(self, raw: dict[str, Any]) -> None:
        """The bot was added, promoted, demoted or removed somewhere."""
        chat = raw.get("chat") or {}
        member = raw.get("new_chat_member") or {}
        if (member.get("user") or {}).get("id") != self.config.bot_id or "id" not in chat:
            return
        chat_id, chat_type, title = chat["id"], chat.get("type", ""), chat.get("title")
        if chat_type not in MODERATED:
            return
        rights = self.rights.update(chat_id, member)
        if rights.status in ("left", "kicked"):
            self.rights.forget(chat_id)
            self.state.clear_warned(chat_id)
            self.state.save()
            self.journal.write("left_chat", chat_id=chat_id, chat_title=title, status=rights.status)
            return
        missing = rights.missing(chat_type)
        if missing:
            await self._warn_rights(chat_id, title, missing)
            return
        if self.state.warned(chat_id):
            self.state.clear_warned(chat_id)  # fixed: a later loss of rights warns again
            self.state.save()
        self.journal.write("rights_ok", chat_id=chat_id, chat_title=title, status=rights.status)

    # -- context -----------------------------------------------------------------------------

    async def member_count(self, bot: Bot, chat_id: int) -> int | None:
        cached = self._members.get(chat_id)
        if cached and time.monotonic() - cached[1] < MEMBER_COUNT_SECONDS:
            return cached[0]
        try:
            count: int | None = await bot.get_chat_member_count(chat_id)
        except TelegramAPIError:
            count = None
        self._members[chat_id] = (count, time.monotonic())
        return count


def _journal_fields(
    ctx: MessageContext, item: MediaItem, key: str, members: int | None
) -> dict[str, Any]:
    return {
        "key": key,
        "chat_id": ctx.chat_id,
        "chat_type": ctx.chat_kind,
        "chat_title": ctx.chat_title,
        "member_count": members,
        "message_id": ctx.message_id,
        "date": ctx.date.isoformat(),
        "edit_date": ctx.edit_date.isoformat() if ctx.edit_date else None,
        "media_group_id": ctx.media_group_id,
        "sender_user_id": ctx.sender_user_id,
        "sender_username": ctx.sender_username,
        "sender_chat_id": ctx.sender_chat_id,
        "media": item.kind,
        "file_unique_id": item.file_unique_id,
        "file_size": item.file_size,
        "mime_type": item.mime_type,
    }


def _decision_fields(outcome: Outcome) -> dict[str, Any]:
    return {
        "verdict": outcome.verdict,
        "rule": outcome.rule,
        "reason": outcome.reason,
        "sighting_id": outcome.sighting_id,
        "duplicate": outcome.duplicate or None,
        "hashes": dict(outcome.hashes),
        "matches": [m.describe() for m in outcome.matches],
        "notes": list(outcome.notes) or None,
    }
