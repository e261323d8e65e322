"""Turning match results and recorded decisions into API answers (fresh or replayed)."""

from __future__ import annotations

from sqlalchemy import select

from bastion.decisions import Recorded
from bastion.matching import Match, MatchResult
from bastion.policy import Decision
from bastion.service.schemas import Hashes, MatchOut, Verdict
from bastion.store.db import Store
from bastion.store.models import BankRow, MatchRow, SightingRow


def match_out(m: Match, match_id: int | None = None) -> MatchOut:
    return MatchOut(
        id=match_id,
        bank=m.bank,
        bank_source=m.bank_source,
        bank_kind=m.bank_kind.value,
        entry_id=m.entry_id,
        signal_type=m.signal_type,
        value=m.value,
        distance=m.distance,
        threshold=m.threshold,
        category=m.category.value,
        source_label=m.source_label,
        variant=m.variant,
        query_percent=m.query_percent,
        listed_percent=m.listed_percent,
        time_ranges=list(m.time_ranges),
    )


def recorded_match_fields(m: MatchRow, b: BankRow) -> dict[str, object]:
    """The MatchOut fields of a recorded match (shared by replays and the matches API)."""
    return {
        "id": m.id,
        "bank": b.name,
        "bank_source": b.source,
        "bank_kind": b.kind,
        "entry_id": m.entry_id,
        "signal_type": m.signal_type,
        "value": m.value,
        "distance": m.distance,
        "threshold": b.pdq_threshold if m.signal_type == "pdq" else 0,
        "category": m.category,
        "source_label": m.source_label,
        "variant": m.variant,
    }


def fresh(
    result: MatchResult, decision: Decision, hashes: Hashes, recorded: Recorded | None
) -> Verdict:
    ids = list(recorded.match_ids) if recorded else []
    return Verdict(
        sighting_id=recorded.sighting_id if recorded else None,
        duplicate=False,
        verdict=decision.verdict,
        rule=decision.rule,
        reason=decision.reason,
        hashes=hashes,
        matches=[
            match_out(m, ids[i] if i < len(ids) else None) for i, m in enumerate(result.matches)
        ],
        allow_listed=bool(result.suppressed),
        notes=list(result.notes),
    )


def replay(store: Store, sighting_id: int) -> Verdict:
    """The answer first given for a sighting, rebuilt from what was recorded."""
    with store.session() as s:
        sighting = s.get(SightingRow, sighting_id)
        rows = s.execute(
            select(MatchRow, BankRow)
            .join(BankRow, BankRow.id == MatchRow.bank_id)
            .where(MatchRow.sighting_id == sighting_id, MatchRow.retroactive.is_(False))
            .order_by(MatchRow.id)
        ).all()
        signals = dict(sighting.signals or {})
        quality = signals.pop("pdq_quality", None)
        return Verdict(
            sighting_id=sighting.id,
            duplicate=True,
            verdict=sighting.verdict,
            rule=sighting.rule,
            reason=f"repeat of message {sighting.message_id!r}: the first answer is returned",
            hashes=Hashes(
                **{k: v for k, v in signals.items() if k in ("md5", "sha1", "sha256", "pdq")},
                pdq_quality=quality,
                pdq_usable=(quality >= 50) if quality is not None else None,
            ),
            matches=[MatchOut(**recorded_match_fields(m, b)) for m, b in rows],
            allow_listed=sighting.rule == "allow-list",
        )
