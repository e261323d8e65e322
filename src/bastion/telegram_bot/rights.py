"""The bot's own rights in each chat: read with getChatMember, kept current from my_chat_member
updates, and reported once per chat when something it needs is missing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bastion.telegram_bot.botapi import RawGetChatMember

RECHECK_SECONDS = 600


@dataclass(frozen=True, slots=True)
class ChatRights:
    status: str  # creator, administrator, member, restricted, left, kicked, unknown
    can_delete: bool
    can_restrict: bool
    can_post: bool | None = None

    @classmethod
    def of(cls, member: dict[str, Any]) -> ChatRights:
        status = str(member.get("status", "unknown"))
        if status == "creator":
            return cls(status, True, True, True)
        return cls(
            status,
            bool(member.get("can_delete_messages")),
            bool(member.get("can_restrict_members")),
            member.get("can_post_messages"),
        )

    def missing(self, chat_type: str) -> list[str]:
        """The administrator rights the bot lacks for its job in a chat of this type."""
        if self.status not in ("administrator", "creator"):
            return ["administrator status"]
        needed = [("Delete messages", self.can_delete)]
        if chat_type != "channel":  # a channel's posts are its admins': nobody to ban
            needed.append(("Ban users", self.can_restrict))
        return [name for name, has in needed if not has]

    def describe(self, chat_type: str) -> str:
        if self.status not in ("administrator", "creator"):
            return f"not an administrator here (status: {self.status})"
        marks = [f"delete messages {'yes' if self.can_delete else 'NO'}"]
        if chat_type != "channel":
            marks.append(f"ban users {'yes' if self.can_restrict else 'NO'}")
        return f"{self.status}: " + ", ".join(marks)


def rights_warning(chat_title: str | None, chat_id: int, missing: list[str]) -> str:
    where = f'"{chat_title}" ({chat_id})' if chat_title else str(chat_id)
    return (
        f"Bastion moderation bot: I cannot protect {where}. Missing: {', '.join(missing)}. "
        "Make me an administrator with the rights 'Delete messages' and 'Ban users' "
        "(docs/bot.md, 'Admin rights'). Until then listed media is recorded but not removed."
    )


class RightsCache:
    def __init__(self, bot_id: int) -> None:
        self.bot_id = bot_id
        self._rights: dict[int, tuple[ChatRights, float]] = {}

    async def of(self, bot: Bot, chat_id: int, refresh: bool = False) -> ChatRights:
        cached = self._rights.get(chat_id)
        if cached and not refresh and time.monotonic() - cached[1] < RECHECK_SECONDS:
            return cached[0]
        try:
            member = await bot(RawGetChatMember(chat_id=chat_id, user_id=self.bot_id))
            rights = ChatRights.of(member)
        except TelegramAPIError:
            rights = ChatRights("unknown", False, False)
        self._rights[chat_id] = (rights, time.monotonic())
        return rights

    def update(self, chat_id: int, member: dict[str, Any]) -> ChatRights:
        rights = ChatRights.of(member)
        self._rights[chat_id] = (rights, time.monotonic())
        return rights

    def forget(self, chat_id: int) -> None:
        self._rights.pop(chat_id, None)
