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
from bastion.audit import Actor
from bastion.decisions import Context, Signals
from bastion.hashing import MediaHashes, PdqMode, hash_file
from bastion.index_snapshots import open_matcher
from bastion.matching import Matcher, MatchResult, Query
from bastion.policy import DEFAULT_POLICY, Policy
from bastion.store import Store
from bastion.store.models import MatchRow, SightingRow
from bastion.telegram_bot.checking import CheckUnavailable, MatchInfo, Outcome
from bastion.telegram_bot.media import PLATFORM, MediaItem
from bastion.vault import Vault, VaultError

EVIDENCE_VERDICTS = ("block", "review")
# The vault takes an item's bytes in memory; a bigger file (possible only through a local Bot
# API server) is recorded by its hashes alone, and the record says so.
EVIDENCE_MAX_BYTES = 256 * 1024 * 1024


def hash_media(path: Path, item: MediaItem, mode: PdqMode = "fast") -> MediaHashes:
    """The one place the bot hashes a file: what `bastion.hashing` computes for it (digests;
    PDQ for pictures; vPDQ for videos and animations)."""
    return hash_file(path, mode)


def media_notes(item: MediaItem, hashed: MediaHashes) -> tuple[str, ...]:
    if hashed.failure is None:
        return ()
    if item.is_video and hashed.vpdq is None:
        return (
            "video matched by exact digests only: no vPDQ could be computed "
            f"({hashed.failure.message})",
        )
    return (f"perceptual hashing skipped: {hashed.failure.message}",)


class InProcessChecker:
    def __init__(
        self,
        store: Store,
        policy: Policy = DEFAULT_POLICY,
        refresh_seconds: float = 5.0,
        actor: str = "telegram-bot",
        vault: Vault | None = None,
        views: bool = True,
    ) -> None:
        self.store = store
        self.views = views  # False: plain PDQ (and dihedral) only, see docs/robustness.md
        self.policy = policy
        self.refresh_seconds = refresh_seconds
        self.actor = actor
        self._vault = vault
        self._lock = threading.Lock()
        self._matcher: Matcher | None = None
        self._refreshed = 0.0

    async def start(self) -> None:
        await asyncio.to_thread(self._matcher_now)
        if self._vault is None:
            try:
                self._vault = Vault.from_environment(self.store)
            except VaultError as exc:
                raise CheckUnavailable("vault", f"the evidence vault cannot open: {exc}") from None

    def _matcher_now(self) -> Matcher:
        with self._lock:
            if self._matcher is None:
                self._matcher = open_matcher(self.store)
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
            (result,) = matcher.match_many([Query.of(hashed, views=self.views)])
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
        notes = result.notes
        if recorded.duplicate:
            verdict, rule = recorded.verdict, recorded.rule  # the first answer stands
            reason = f"repeat of {context.message_id}: the first decision stands ({reason})"
        elif verdict in EVIDENCE_VERDICTS and recorded.content_id is not None:
            # Kept before any deletion: afterwards the file may no longer be fetchable.
            notes = (*notes, self._preserve(path, recorded.content_id))
        return Outcome(
            verdict=verdict,  # type: ignore[arg-type]
            rule=rule,
            reason=reason,
            hashes=dict(Signals.of(hashed).values),
            matches=_infos(result),
            sighting_id=recorded.sighting_id,
            duplicate=recorded.duplicate,
            notes=notes,
        )

    def _preserve(self, path: Path, content_id: int) -> str:
        """As the service does for its uploads (18 U.S.C. 2258A(h) preservation)."""
        size = path.stat().st_size
        if size > EVIDENCE_MAX_BYTES:
            return f"evidence NOT preserved: {size:,} bytes is over the vault's intake limit"
        assert self._vault is not None
        self._vault.put(content_id, path.read_bytes(), Actor(self.actor, "platform"))
        return "evidence preserved in the encrypted vault"

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
        MatchInfo(
            m.bank, m.bank_source, m.category.value, m.signal_type, m.distance, m.query_percent
        )
        for m in result.matches
    )
