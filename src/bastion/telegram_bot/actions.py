"""Acting on a block verdict: delete the message, ban whoever posted it, and say plainly what
happened, including every refusal with Telegram's own words.

Bot API rules (core.telegram.org/bots/api#deletemessage, #banchatmember, #banchatsenderchat):
a message can be deleted only while younger than 48 hours; an administrator with "Delete
messages" can delete any message; a message posted on behalf of a chat is punished with
banChatSenderChat, not banChatMember; administrators cannot be banned by a bot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter

from bastion.telegram_bot.botapi import redact
from bastion.telegram_bot.media import MessageContext

log = logging.getLogger("bastion.telegram_bot")

DELETE_WINDOW = timedelta(hours=48)
Status = Literal["done", "skipped", "failed"]

# Telegram's descriptions that mean the bot lacks a right in the chat.
_RIGHTS_MARKERS = (
    "not enough rights",
    "have no rights",
    "chat_admin_required",
    "need administrator rights",
    "message can't be deleted",
    "bot is not a member",
    "bot was kicked",
)


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: str  # delete, ban
    status: Status
    detail: str
    rights_problem: bool = False

    @property
    def done(self) -> bool:
        return self.status == "done"


async def delete_message(
    bot: Bot, ctx: MessageContext, now: datetime | None = None
) -> ActionResult:
    try:
        await bot.delete_message(ctx.chat_id, ctx.message_id)
    except TelegramAPIError as exc:
        text = redact(
            exc.message if not isinstance(exc, TelegramRetryAfter) else str(exc), bot.token
        )
        lowered = text.lower()
        if "message to delete not found" in lowered:
            return ActionResult("delete", "done", "already gone (message to delete not found)")
        age = (now or datetime.now(UTC)) - ctx.date
        if "can't be deleted" in lowered and age >= DELETE_WINDOW:
            return ActionResult(
                "delete",
                "failed",
                f"the message is {age.total_seconds() / 3600:.0f} hours old; the Bot API deletes "
                f"only messages younger than 48 hours: remove it by hand ({text})",
            )
        return ActionResult("delete", "failed", text, _is_rights(exc, lowered))
    return ActionResult("delete", "done", "deleted")


async def ban_sender(bot: Bot, ctx: MessageContext) -> ActionResult:
    if ctx.chat_type == "channel":
        return ActionResult("ban", "skipped", "a channel post is posted as the channel itself")
    if ctx.sender_chat_id is not None and ctx.sender_chat_id == ctx.chat_id:
        return ActionResult(
            "ban", "skipped", "posted anonymously by an administrator of this chat: not banned"
        )
    if ctx.is_automatic_forward:
        return ActionResult(
            "ban",
            "skipped",
            "automatic forward from the linked channel: the post must be removed in the channel",
        )
    try:
        if ctx.sender_chat_id is not None:
            await bot.ban_chat_sender_chat(ctx.chat_id, ctx.sender_chat_id)
            return ActionResult("ban", "done", f"banned the sender chat {ctx.sender_chat_id}")
        if ctx.sender_user_id is None:
            return ActionResult("ban", "skipped", "the message names no sender")
        await bot.ban_chat_member(ctx.chat_id, ctx.sender_user_id)
        return ActionResult("ban", "done", f"banned user {ctx.sender_user_id}")
    except TelegramAPIError as exc:
        text = redact(
            exc.message if not isinstance(exc, TelegramRetryAfter) else str(exc), bot.token
        )
        lowered = text.lower()
        if ("administrator" in lowered and "user" in lowered) or "chat owner" in lowered:
            return ActionResult(
                "ban", "failed", f"the sender is an administrator; bots cannot ban them ({text})"
            )
        return ActionResult("ban", "failed", text, _is_rights(exc, lowered))


def _is_rights(exc: TelegramAPIError, lowered: str) -> bool:
    return isinstance(exc, TelegramForbiddenError) or any(m in lowered for m in _RIGHTS_MARKERS)


class Notifier:
    """Messages to the admin chat and neutral notices in moderated chats. Never media, never
    a forward: text with context and hashes only. A failure to notify is logged, not raised."""

    def __init__(self, bot: Bot, admin_chat_id: int | None) -> None:
        self.bot = bot
        self.admin_chat_id = admin_chat_id

    async def admins(self, text: str) -> bool:
        if self.admin_chat_id is None:
            return False
        return await self.send(self.admin_chat_id, text)

    async def send(self, chat_id: int, text: str) -> bool:
        try:
            await self.bot.send_message(chat_id, text[:4096])
        except TelegramAPIError as exc:
            log.warning(
                "could not send a message to chat %s: %s", chat_id, redact(str(exc), self.bot.token)
            )
            return False
        return True
