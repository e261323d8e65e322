"""The one interface between the bot and matching: a downloaded file plus its context in, a
recorded verdict out. Two implementations: `local.InProcessChecker` (banks in this process's
store) and `service_client.ServiceChecker` (a Bastion service, which keeps the evidence and the
review queue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bastion.decisions import Context
from bastion.policy import Verdict
from bastion.telegram_bot.media import MediaItem


@dataclass(frozen=True, slots=True)
class MatchInfo:
    bank: str
    bank_source: str
    category: str
    signal_type: str
    distance: int
    query_percent: float | None = None  # vPDQ: share of the posted video's frames found

    def describe(self) -> str:
        where = f"{self.signal_type} in {self.bank} ({self.bank_source}, category {self.category}"
        if self.signal_type == "pdq":
            return where + f", distance {self.distance})"
        if self.query_percent is not None:
            return where + f", {self.query_percent:.0f}% of the video's frames)"
        return where + ")"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A recorded decision about one file."""

    verdict: Verdict
    rule: str
    reason: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    matches: tuple[MatchInfo, ...] = ()
    sighting_id: int | None = None
    duplicate: bool = False
    notes: tuple[str, ...] = ()


class CheckUnavailable(Exception):
    """The file could not be checked (service unreachable, refused, overloaded): it stays
    unscanned and the bot says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Checker(Protocol):
    async def start(self) -> None:
        """Connect and verify (a service's key, the store); raise CheckUnavailable if not."""

    async def check(self, path: Path, item: MediaItem, context: Context) -> Outcome:
        """Hash and match the file at `path`, decide, and record the decision once per
        context.message_id (a repeat answers the first recording, marked duplicate)."""

    async def loaded(self) -> list[str]:
        """What matching runs on, one line per bank, for /status."""

    async def pending_review(self, chat_id: int | None) -> int | None:
        """Open review matches from Telegram (None when this backend cannot tell)."""

    async def record_action(self, outcome: Outcome, action: str, **details: object) -> None:
        """Add what the bot did about a decision to the decision's own trail, where there is
        one (the in-process store's audit trail)."""

    async def close(self) -> None: ...
