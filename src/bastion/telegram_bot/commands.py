"""/status and /stats, answered to the chat's administrators (and anyone in the admin chat)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message

from bastion.telegram_bot.actions import Notifier
from bastion.telegram_bot.botapi import RawGetChatMember
from bastion.telegram_bot.moderation import MODERATED, Moderation


class Commands:
    def __init__(self, moderation: Moderation, notifier: Notifier) -> None:
        self.moderation = moderation
        self.notifier = notifier
        self.config = moderation.config
        self.state = moderation.state

    async def allowed(self, message: Message, bot: Bot) -> bool:
        chat = message.chat
        if chat.id == self.config.admin_chat_id:
            return True
        if chat.type == "channel":
            return True  # only a channel's administrators can post in it
        if chat.type not in MODERATED:
            return False
        if message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # an anonymous administrator
        if message.from_user is None:
            return False
        try:
            member = await bot(RawGetChatMember(chat_id=chat.id, user_id=message.from_user.id))
        except TelegramAPIError:
            return False
        return member.get("status") in ("creator", "administrator")

    async def status(self, message: Message, bot: Bot) -> None:
        if not await self.allowed(message, bot):
            return
        chat = message.chat
        lines = [
            "Bastion moderation bot",
            f"mode: {self.config.mode}; matching: {self.config.matching}",
            "lists loaded:",
            *(f"  {line}" for line in await self.moderation.checker.loaded()),
            f"last update: {_ago(self.state.last_update_at)}",
        ]
        if chat.type in MODERATED:
            rights = await self.moderation.rights.of(bot, chat.id, refresh=True)
            lines.append(f"rights in this chat: {rights.describe(chat.type)}")
        lines.append(f"this chat's id: {chat.id}")
        await self.notifier.send(chat.id, "\n".join(lines))

    async def stats(self, message: Message, bot: Bot) -> None:
        if not await self.allowed(message, bot):
            return
        chat = message.chat
        everywhere = chat.id == self.config.admin_chat_id or chat.type not in MODERATED
        scope = None if everywhere else chat.id
        counts = self.state.counts(scope)
        pending = await self.moderation.checker.pending_review(scope)
        waiting = f" (pending review now: {pending:,})" if pending is not None else ""
        lines = [
            f"Bastion statistics for {'all chats' if everywhere else 'this chat'}",
            f"items checked: {counts['checked']:,}",
            f"removed: {counts['removed']:,}",
            f"senders banned: {counts['banned']:,}",
            f"sent for review: {counts['review']:,}{waiting}",
            f"unscanned: {counts['unscanned']:,}",
            f"failed actions: {counts['failed']:,}",
        ]
        await self.notifier.send(chat.id, "\n".join(lines))


def _ago(when: datetime | None) -> str:
    if when is None:
        return "none yet"
    seconds = int((datetime.now(UTC) - when).total_seconds())
    return f"{when:%Y-%m-%d %H:%M:%S} UTC ({max(seconds, 0)} s ago)"
