"""What the account did with a matched item, per reference, as far as an export can show it.

The rules, and why (docs/cases.md sets them out for readers):

- Sent, posted or forwarded by the account owner into a chat whose other members could see it
  (a personal chat with another person, a group, a supergroup, a channel): **distribution**.
  Protection of Children Act 1978 s.1(2): a person distributes an indecent photograph "if he
  parts with possession of it to, or exposes or offers it for acquisition by, another person".
- Received from someone else into a chat of the account: **making by downloading**, which the
  guideline says "should be treated as possession for the purposes of sentencing" (quoted in
  R v Jaycock [2024] EWCA Crim 954).
- In the export without being sent to anyone (Saved Messages, the account's own profile
  pictures and stories, files no message names): **held**, possession.
- Posted by a channel or an anonymous admin (the export names the chat, not the person): the
  poster is not known, so possession only, unless a person records that the account owner posts
  in that chat as the chat itself.
- Sent to a bot: not "another person" on the face of the export; possession, listed for the
  user.
- The export does not say which account is the owner (HTML exports, single-chat exports):
  **unknown**, counted as possession only (the file is in the export whoever sent it), and
  never guessed to be distribution.

Production is never an activity here: hash matches find known material, which someone else
produced. A person marks production, with a note (bastion.cases.answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PERSONAL_TYPES = frozenset({"personal_chat"})
GROUP_TYPES = frozenset({"private_group", "private_supergroup", "public_supergroup"})
CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
SHARED_TYPES = PERSONAL_TYPES | GROUP_TYPES | CHANNEL_TYPES
OWN_SECTIONS = frozenset({"profile_pictures", "stories"})


class Activity(StrEnum):
    RECEIVED = "received"
    HELD = "held"
    CHANNEL_POST = "channel_post"
    SENT_TO_BOT = "sent_to_bot"
    SENT = "sent"
    POSTED = "posted"
    FORWARDED = "forwarded"
    UNKNOWN_OWNER = "unknown_owner"

    @property
    def guideline_activity(self) -> str:
        """The guideline column: 'distribution' or 'possession'."""
        return "distribution" if self in DISTRIBUTING else "possession"

    @property
    def label(self) -> str:
        return LABELS[self]


DISTRIBUTING = frozenset({Activity.SENT, Activity.POSTED, Activity.FORWARDED})

LABELS: dict[Activity, str] = {
    Activity.RECEIVED: "received (making by downloading; sentenced as possession)",
    Activity.HELD: "held (possession)",
    Activity.CHANNEL_POST: "posted by the chat itself; poster not named (possession)",
    Activity.SENT_TO_BOT: "sent to a bot (possession; listed for the user)",
    Activity.SENT: "sent by the account owner (distribution)",
    Activity.POSTED: "posted by the account owner (distribution)",
    Activity.FORWARDED: "forwarded by the account owner (distribution)",
    Activity.UNKNOWN_OWNER: "unknown: owner not identifiable (possession only)",
}


@dataclass(frozen=True, slots=True)
class ChatFact:
    """What a person recorded about a chat: its member count, whether the account owner posts
    in it as the chat itself. Either may be None (not said)."""

    chat_key: str
    chat_name: str | None
    member_count: int | None
    owner_posts: bool | None
    note: str | None
    given_by: str
    recorded_by: str
    recorded_at: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    activity: Activity
    basis: str  # why, in words a reader can check against the export


def chat_key(chat_id: str | None, chat_name: str | None) -> str | None:
    """How a chat is named across the evidence and people's chat facts: its id when the
    export has one (JSON), else its name (HTML)."""
    if chat_id:
        return chat_id
    if chat_name:
        return f"name:{chat_name}"
    return None


def _posted_by_chat(sender_id: str | None, chat_id: str | None) -> bool:
    """A post by the chat itself: tdesktop writes the channel (or an anonymous admin's group)
    as the sender, `from_id` "channel<id>" or "chat<id>"."""
    if not sender_id or not chat_id:
        return False
    return sender_id in (f"channel{chat_id}", f"chat{chat_id}")


def decide(
    *,
    section: str | None,
    chat_type: str | None,
    chat_id: str | None,
    message_id: int | None,
    sender_id: str | None,
    sender_name: str | None,
    sender_is_owner: bool | None,
    forwarded_from: str | None,
    fact: ChatFact | None,
) -> Decision:
    """The activity one reference shows, and the basis for it."""
    if section == "unreferenced":
        return Decision(Activity.HELD, "a file in the export that no message names")
    if section is None and message_id is None and chat_type is None:
        return Decision(Activity.HELD, "a file in the source (a folder or archive: no messages)")
    if section in OWN_SECTIONS:
        what = "profile picture" if section == "profile_pictures" else "story"
        return Decision(Activity.HELD, f"the account's own {what}")
    if chat_type == "saved_messages":
        return Decision(Activity.HELD, "kept in Saved Messages, which only the account sees")
    if sender_is_owner is None:
        return Decision(
            Activity.UNKNOWN_OWNER,
            "the export does not say which account is the owner, so who sent this is not known",
        )
    if not sender_is_owner:
        if _posted_by_chat(sender_id, chat_id):
            if fact is not None and fact.owner_posts:
                activity = Activity.FORWARDED if forwarded_from else Activity.POSTED
                return Decision(
                    activity,
                    f"posted as the chat itself; {fact.given_by} recorded that the account owner "
                    f"posts in this chat" + (f" ({fact.note})" if fact.note else ""),
                )
            return Decision(
                Activity.CHANNEL_POST,
                "posted as the chat itself: the export names the chat, not the person who posted",
            )
        who = sender_name or sender_id or "a deleted account"
        return Decision(Activity.RECEIVED, f"sent by {who}, not the account owner")
    if chat_type == "bot_chat":
        return Decision(
            Activity.SENT_TO_BOT,
            "sent by the account owner to a bot: whether that is parting with it to another "
            "person depends on who runs the bot",
        )
    if chat_type not in SHARED_TYPES:
        return Decision(
            Activity.UNKNOWN_OWNER,
            f"sent by the account owner into a chat of a type Bastion does not know ({chat_type!r})",
        )
    where = (
        "a personal chat with another person"
        if chat_type in PERSONAL_TYPES
        else "a group"
        if chat_type in GROUP_TYPES
        else "a channel"
    )
    if forwarded_from:
        return Decision(
            Activity.FORWARDED, f"forwarded by the account owner from {forwarded_from} into {where}"
        )
    if chat_type in PERSONAL_TYPES:
        return Decision(Activity.SENT, f"sent by the account owner in {where}")
    return Decision(Activity.POSTED, f"posted by the account owner into {where}")


def chat_kind(chat_type: str | None) -> str:
    """A reader's word for a chat type."""
    if chat_type in PERSONAL_TYPES:
        return "personal chat"
    if chat_type in GROUP_TYPES:
        return ("public " if chat_type.startswith("public") else "") + (
            "supergroup" if "supergroup" in chat_type else "group"
        )
    if chat_type in CHANNEL_TYPES:
        return ("public " if chat_type.startswith("public") else "private ") + "channel"
    return {
        "saved_messages": "Saved Messages",
        "bot_chat": "bot",
        None: "unknown type",
    }.get(chat_type, chat_type or "unknown type")
