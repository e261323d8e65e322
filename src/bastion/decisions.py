"""Recording what the service saw and decided: contents, sightings, matches.

A *content* is a distinct file (by SHA-256). A *sighting* is one upload or lookup in its
context (platform, message, chat, sender) with the verdict given. A *match* ties a sighting to
a bank entry. Recording is idempotent on (platform, message id): a retry gets the first answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bastion import audit
from bastion.hashing import MediaHashes
from bastion.matching import Match, MatchResult
from bastion.policy import Decision
from bastion.store.db import Store
from bastion.store.models import ContentRow, MatchRow, SightingRow
from bastion.store.types import utcnow

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired


class LockBusy(Exception):
    """A bounded wait for a lock (the audit chain's head, a sighting) ran out; nothing was
    written."""


@dataclass(frozen=True, slots=True)
class Context:
    """What the platform tells us about an upload. Only `platform` is required."""

    platform: str
    message_id: str | None = None
    chat_id: str | None = None
    chat_type: str | None = None
    member_count: int | None = None
    sender_account_id: str | None = None
    sender_ip: str | None = None
    upload_time: datetime | None = None
    chat_title: str | None = None
    sender_username: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    sighting_id: int
    duplicate: bool
    verdict: str
    rule: str
    match_ids: tuple[int, ...] = ()
    content_id: int | None = None


@dataclass(frozen=True, slots=True)
class Signals:
    """The hashes of an item as recorded (from an upload's hashing or a lookup's text)."""

    values: dict[str, str] = field(default_factory=dict)
    pdq_quality: int | None = None

    @classmethod
    def of(cls, hashed: MediaHashes) -> Signals:
        values: dict[str, str] = {}
        if hashed.digests:
            values.update(
                md5=hashed.digests.md5, sha1=hashed.digests.sha1, sha256=hashed.digests.sha256
            )
        if hashed.pdq:
            values["pdq"] = hashed.pdq.hex
        return cls(values, hashed.pdq.quality if hashed.pdq else None)


def find_sighting(s: Session, platform: str, message_id: str | None) -> SightingRow | None:
    if message_id is None:
        return None
    return s.scalar(
        select(SightingRow).where(
            SightingRow.platform == platform, SightingRow.message_id == message_id
        )
    )


def upsert_content(s: Session, hashed: MediaHashes, kind: str = "image") -> int | None:
    """The id of the content row of these bytes, created or with its last sighting moved to
    now: one statement for bytes seen before (the forwarded-media norm), two for new ones."""
    if hashed.digests is None:
        return None
    now = utcnow()
    touch = (
        update(ContentRow)
        .where(ContentRow.sha256 == hashed.digests.sha256)
        .values(last_seen=now)
        .returning(ContentRow.id)
        .execution_options(synchronize_session=False)
    )
    found = s.execute(touch).scalar()
    if found is not None:
        return found
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = s.execute(
        insert(ContentRow)
        .values(
            sha256=hashed.digests.sha256,
            md5=hashed.digests.md5,
            sha1=hashed.digests.sha1,
            pdq=hashed.pdq.hex if hashed.pdq else None,
            pdq_quality=hashed.pdq.quality if hashed.pdq else None,
            pdq_dihedral=",".join(hashed.pdq.dihedral) if hashed.pdq else None,
            orientation=hashed.image.orientation if hashed.image else None,
            vpdq=hashed.vpdq.to_text() if hashed.vpdq else None,
            media_kind="video"
            if (hashed.video is not None or hashed.vpdq is not None) and hashed.pdq is None
            else kind,
            format=hashed.image.format if hashed.image else None,
            width=hashed.image.width if hashed.image else None,
            height=hashed.image.height if hashed.image else None,
            size=hashed.digests.size,
            first_seen=now,
            last_seen=now,
        )
        .on_conflict_do_nothing(index_elements=[ContentRow.sha256])
        .returning(ContentRow.id)
    ).scalar()
    if created is not None:
        return created
    return s.execute(touch).scalar_one()  # the same bytes arrived concurrently


def record(
    store: Store,
    context: Context,
    signals: Signals,
    result: MatchResult,
    decision: Decision,
    *,
    kind: str,
    hashed: MediaHashes | None = None,
    api_key_prefix: str | None = None,
    actor: str = "service",
    lock_timeout_ms: int | None = None,
) -> Recorded:
    """Record a decision once. A concurrent or repeated call with the same (platform, message
    id) returns the first recording, marked duplicate.

    With `lock_timeout_ms` (PostgreSQL), a lock not granted in that time raises `LockBusy` and
    nothing is written: the caller may then record without the bound, off its event loop."""
    try:
        with store.session() as s:
            if lock_timeout_ms is not None and store.dialect == "postgresql":
                s.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
            # No look-up first: a repeated (platform, message id) breaks the unique constraint
            # on insert and is answered below, which spares every new sighting a round trip.
            content_id = upsert_content(s, hashed, "image") if hashed is not None else None
            sighting = SightingRow(
                platform=context.platform,
                message_id=context.message_id,
                chat_id=context.chat_id,
                chat_type=context.chat_type,
                member_count=context.member_count,
                sender_account_id=context.sender_account_id,
                sender_ip=context.sender_ip,
                upload_time=context.upload_time,
                chat_title=context.chat_title,
                sender_username=context.sender_username,
                received_at=utcnow(),
                content_id=content_id,
                kind=kind,
                signals={
                    **signals.values,
                    **(
                        {"pdq_quality": signals.pdq_quality}
                        if signals.pdq_quality is not None
                        else {}
                    ),
                },
                verdict=decision.verdict,
                rule=decision.rule,
                api_key_prefix=api_key_prefix,
            )
            s.add(sighting)
            s.flush()
            match_ids = _add_matches(s, sighting, result.matches, retroactive=False)
            if match_ids:
                audit.append(
                    s,
                    audit.AuditEvent(
                        actor=actor,
                        role="platform",
                        action="match.create",
                        target_type="sighting",
                        target_id=str(sighting.id),
                        details={
                            "matches": list(match_ids),
                            "verdict": decision.verdict,
                            "rule": decision.rule,
                        },
                    ),
                )
            return Recorded(
                sighting.id,
                False,
                decision.verdict,
                decision.rule,
                tuple(match_ids),
                sighting.content_id,
            )
    except OperationalError as exc:
        if (
            lock_timeout_ms is not None
            and getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
        ):
            raise LockBusy(str(exc.orig)) from None
        raise
    except IntegrityError:
        # Lost a race on (platform, message_id): answer with the winner's recording.
        with store.session() as s:
            existing = find_sighting(s, context.platform, context.message_id)
            if existing is None:
                raise
            return _recorded(s, existing, duplicate=True)


def _add_matches(
    s: Session, sighting: SightingRow, matches: Iterable[Match], *, retroactive: bool
) -> list[int]:
    ids = []
    now = utcnow()
    for m in matches:
        row = MatchRow(
            sighting_id=sighting.id,
            content_id=sighting.content_id,
            bank_id=m.bank_id,
            entry_id=m.entry_id,
            signal_type=m.signal_type,
            value=m.value,
            distance=m.distance,
            variant=m.variant,
            category=m.category.value,
            source_label=m.source_label,
            status="open",
            retroactive=retroactive,
            created_at=now,
        )
        s.add(row)
        s.flush()
        ids.append(row.id)
    return ids


def _recorded(s: Session, sighting: SightingRow, duplicate: bool) -> Recorded:
    ids = tuple(
        s.scalars(
            select(MatchRow.id).where(MatchRow.sighting_id == sighting.id).order_by(MatchRow.id)
        )
    )
    return Recorded(
        sighting.id, duplicate, sighting.verdict, sighting.rule, ids, sighting.content_id
    )


def hashes_of_content(row: ContentRow, source: str) -> MediaHashes:
    """What hashing found the first time these bytes were seen (no decoding needed)."""
    from bastion.media import ImageInfo
    from bastion.signals.exact import Digests
    from bastion.signals.pdq import PdqHash

    digests = Digests(md5=row.md5 or "", sha1=row.sha1 or "", sha256=row.sha256, size=row.size or 0)
    pdq = None
    if row.pdq is not None:
        dihedral = tuple(row.pdq_dihedral.split(",")) if row.pdq_dihedral else (row.pdq,)
        pdq = PdqHash(hex=row.pdq, quality=row.pdq_quality or 0, dihedral=dihedral)
    image = None
    if row.format is not None:
        image = ImageInfo(
            format=row.format,
            width=row.width or 0,
            height=row.height or 0,
            mode="",
            orientation=row.orientation or 1,
        )
    vpdq = None
    if row.vpdq:
        from bastion.signals.vpdq import parse_vpdq

        vpdq = parse_vpdq(row.vpdq)
    return MediaHashes(source=source, digests=digests, image=image, pdq=pdq, vpdq=vpdq)


def lookback_start(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def rematch(store: Store, change_id: int, lookback_days: float, progress=None) -> dict[str, int]:
    """Match what was seen in the look-back window against the entries one bank change added,
    and raise new matches in each sighting's original context (marked retroactive).

    Uploads are re-matched through their recorded content (digests and all 8 PDQ variants);
    recorded lookups through the signals they sent.
    """
    import numpy as np

    from bastion.banks.model import Category, Kind
    from bastion.index import LinearPdqIndex, pdq_codes
    from bastion.signals.pdq import DIHEDRAL_NAMES, QUALITY_THRESHOLD, ZERO_HEX
    from bastion.store.models import BankEntryRow, BankRow

    since = lookback_start(lookback_days)
    with store.session() as s:
        entries = s.execute(
            select(BankEntryRow, BankRow)
            .join(BankRow, BankRow.id == BankEntryRow.bank_id)
            .where(
                BankEntryRow.added_change_id == change_id,
                BankEntryRow.removed_change_id.is_(None),
                BankRow.kind == Kind.BLOCK.value,
            )
        ).all()
    exact: dict[tuple[str, str], list[tuple[BankEntryRow, BankRow]]] = {}
    pdq_entries: list[tuple[BankEntryRow, BankRow]] = []
    for entry, bank in entries:
        if entry.signal_type == "pdq":
            pdq_entries.append((entry, bank))
        else:
            exact.setdefault((entry.signal_type, entry.value), []).append((entry, bank))
    index = LinearPdqIndex()
    if pdq_entries:
        index.add(
            np.arange(len(pdq_entries), dtype=np.int64), pdq_codes(e.value for e, _ in pdq_entries)
        )
    radius = max((b.pdq_threshold for _, b in pdq_entries), default=0)

    def matches_for(
        values: dict[str, str], variants: list[str]
    ) -> list[tuple[BankEntryRow, BankRow, int, str | None]]:
        found = []
        for signal_type in ("md5", "sha1", "sha256"):
            for entry, bank in exact.get((signal_type, values.get(signal_type, "")), []):
                found.append((entry, bank, 0, None))
        if pdq_entries and variants:
            hits = index.search(pdq_codes(variants), radius)
            best: dict[int, tuple[int, str]] = {}
            for qi, i, d in hits.as_tuples():
                entry, bank = pdq_entries[i]
                if d <= bank.pdq_threshold and (i not in best or d < best[i][0]):
                    best[i] = (d, DIHEDRAL_NAMES[qi] if len(variants) == 8 else "original")
            found += [(pdq_entries[i][0], pdq_entries[i][1], d, v) for i, (d, v) in best.items()]
        return found

    raised = checked = 0
    with store.session() as s:
        sightings = s.execute(
            select(SightingRow, ContentRow)
            .outerjoin(ContentRow, ContentRow.id == SightingRow.content_id)
            .where(SightingRow.received_at >= since)
            .order_by(SightingRow.id)
            .execution_options(yield_per=2000)
        ).all()
    for sighting, content in sightings:
        checked += 1
        if content is not None:
            values = {
                "md5": content.md5 or "",
                "sha1": content.sha1 or "",
                "sha256": content.sha256,
            }
            usable = (
                content.pdq is not None
                and (content.pdq_quality or 0) >= QUALITY_THRESHOLD
                and content.pdq != ZERO_HEX
            )
            variants = (
                (content.pdq_dihedral.split(",") if content.pdq_dihedral else [content.pdq])
                if usable
                else []
            )
        else:
            values = {k: v for k, v in (sighting.signals or {}).items() if isinstance(v, str)}
            quality = (sighting.signals or {}).get("pdq_quality", 100)
            variants = [values["pdq"]] if values.get("pdq") and quality >= QUALITY_THRESHOLD else []
        found = matches_for(values, variants)
        if not found:
            continue
        with store.session() as s:
            existing = set(
                s.scalars(select(MatchRow.entry_id).where(MatchRow.sighting_id == sighting.id))
            )
            new_ids = []
            for entry, bank, distance, variant in found:
                if entry.id in existing:
                    continue
                row = MatchRow(
                    sighting_id=sighting.id,
                    content_id=sighting.content_id,
                    bank_id=bank.id,
                    entry_id=entry.id,
                    signal_type=entry.signal_type,
                    value=entry.value,
                    distance=distance,
                    variant=variant,
                    category=Category(entry.category).value,
                    source_label=entry.source_label,
                    status="open",
                    retroactive=True,
                    created_at=utcnow(),
                )
                s.add(row)
                s.flush()
                new_ids.append(row.id)
            if new_ids:
                raised += len(new_ids)
                audit.append(
                    s,
                    audit.AuditEvent(
                        actor="service",
                        role="system",
                        action="match.create.retroactive",
                        target_type="sighting",
                        target_id=str(sighting.id),
                        details={"matches": new_ids, "change_id": change_id},
                    ),
                )
        if progress is not None:
            progress(checked, len(sightings))
    return {"checked": checked, "raised": raised, "entries": len(entries)}
