"""In-process matching: hash here, match against the banks in this process's store, decide with
the policy, record with `bastion.decisions` (the same path as the service's /v1/media)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from bastion import audit, decisions
from bastion.decisions import Context, Signals
from bastion.hashing import MediaHashes, PdqMode, hash_file
from bastion.matching import Matcher, MatchResult, Query
from bastion.policy import DEFAULT_POLICY, Policy
from bastion.store import Store
from bastion.store.models import MatchRow, SightingRow
from bastion.telegram_bot.checking import MatchInfo, Outcome
from bastion.telegram_bot.media import PLATFORM, MediaItem

VIDEO_NOTE = (
    "video matched by exact digests only: this build has no video signal (vPDQ) yet, and the "
    "Bot API usually delivers a re-encoded copy whose digests differ from a listed original"
)


def hash_media(path: Path, item: MediaItem, mode: PdqMode = "fast") -> MediaHashes:
    """The one place the bot hashes a file: what `bastion.hashing` computes for it (digests,
    PDQ for pictures; the video signal once hashing has it)."""
    return hash_file(path, mode)


def media_notes(item: MediaItem, hashed: MediaHashes) -> tuple[str, ...]:
    notes = []
    if item.is_video and getattr(hashed, "vpdq", None) is None:
        notes.append(VIDEO_NOTE)
    elif hashed.failure is not None:
        notes.append(f"perceptual hashing skipped: {hashed.failure.message}")
    return tuple(notes)


class InProcessChecker:
    def __init__(
        self,
        store: Store,
        policy: Policy = DEFAULT_POLICY,
        refresh_seconds: float = 5.0,
        actor: str = "telegram-bot",
    ) -> None:
        self.store = store
        self.policy = policy
        self.refresh_seconds = refresh_seconds
        self.actor = actor
        self._lock = threading.Lock()
        self._matcher: Matcher | None = None
        self._refreshed = 0.0

    async def start(self) -> None:
        await asyncio.to_thread(self._matcher_now)

    def _matcher_now(self) -> Matcher:
        with self._lock:
            if self._matcher is None:
                self._matcher = Matcher(self.store)
                self._refreshed = time.monotonic()
            elif time.monotonic() - self._refreshed >= self.refresh_seconds:
                self._matcher.refresh()  # applies only bank changes not seen yet
                self._refreshed = time.monotonic()
            return self._matcher

    async def check(self, path: Path, item: MediaItem, context: Context) -> Outcome:
        return await asyncio.to_thread(self._check, path, item, context)

    def _check(self, path: Path, item: MediaItem, context: Context) -> Outcome:
        hashed = replace(hash_media(path, item), source=item.source)
        matcher = self._matcher_now()
        with self._lock:
            (result,) = matcher.match_many([Query.of(hashed)])
        notes = media_notes(item, hashed)
        result = replace(result, notes=(*result.notes, *notes))
        decision = self.policy.decide(result)
        recorded = decisions.record(
            self.store,
            context,
            Signals.of(hashed),
            result,
            decision,
            kind="media",
            hashed=hashed,
            actor=self.actor,
        )
        verdict, rule, reason = decision.verdict, decision.rule, decision.reason
        if recorded.duplicate:
            verdict, rule = recorded.verdict, recorded.rule  # the first answer stands
            reason = f"repeat of {context.message_id}: the first decision stands ({reason})"
        return Outcome(
            verdict=verdict,  # type: ignore[arg-type]
            rule=rule,
            reason=reason,
            hashes=dict(Signals.of(hashed).values),
            matches=_infos(result),
            sighting_id=recorded.sighting_id,
            duplicate=recorded.duplicate,
            notes=result.notes,
        )

    async def loaded(self) -> list[str]:
        matcher = await asyncio.to_thread(self._matcher_now)
        from bastion.store.banks import BankStore

        banks = await asyncio.to_thread(BankStore(self.store).list)
        lines = [
            f"{b.name} ({b.source.value}, {b.kind.value}, {b.live_entries:,} entries)"
            for b in banks
        ]
        lines.append(f"{matcher.pdq_entries:,} PDQ entries indexed; policy {self.policy.name}")
        return lines

    async def pending_review(self, chat_id: int | None) -> int | None:
        return await asyncio.to_thread(self._pending, chat_id)

    def _pending(self, chat_id: int | None) -> int:
        query = (
            select(func.count())
            .select_from(MatchRow)
            .join(SightingRow, SightingRow.id == MatchRow.sighting_id)
            .where(
                SightingRow.platform == PLATFORM,
                SightingRow.verdict == "review",
                MatchRow.status == "open",
            )
        )
        if chat_id is not None:
            query = query.where(SightingRow.chat_id == str(chat_id))
        with self.store.session() as s:
            return s.scalar(query) or 0

    async def record_action(self, outcome: Outcome, action: str, **details: object) -> None:
        if outcome.sighting_id is None:
            return
        event = audit.AuditEvent(
            actor=self.actor,
            role="platform",
            action=f"telegram.{action}",
            target_type="sighting",
            target_id=str(outcome.sighting_id),
            details={k: v for k, v in details.items() if v is not None},
        )
        await asyncio.to_thread(audit.record, self.store, event)

    async def close(self) -> None:
        self.store.close()


def _infos(result: MatchResult) -> tuple[MatchInfo, ...]:
    return tuple(
        MatchInfo(m.bank, m.bank_source, m.category.value, m.signal_type, m.distance)
        for m in result.matches
    )
