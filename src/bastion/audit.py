"""The audit trail: append-only and hash-chained.

Every record carries the hash of the one before it: record_hash = SHA-256(prev_hash || canonical
JSON of the record, id included). Editing a record breaks its own hash; deleting or reordering
records breaks the next record's link; deleting the newest records breaks the link to the chain
head kept in `audit_head`. `verify` recomputes everything and names each break.

Appends serialise on the head row: the first statement of an append is an UPDATE of that row,
which takes the write lock on both SQLite and PostgreSQL before anything is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.store.db import Store
from bastion.store.models import AuditHeadRow, AuditRow
from bastion.store.types import utcnow

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an API key, a signed-in person, or someone at the command line."""

    name: str
    role: str
    remote_addr: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        import getpass
        import socket

        try:
            user = getpass.getuser()
        except Exception:  # no user name in some containers
            user = "unknown"
        return cls(name=f"cli:{user}@{socket.gethostname()}", role="operator")

    def event(
        self,
        action: str,
        target_type: str | None = None,
        target_id: str | None = None,
        **details: Any,
    ) -> AuditEvent:
        return AuditEvent(
            actor=self.name,
            role=self.role,
            action=action,
            target_type=target_type,
            target_id=target_id,
            remote_addr=self.remote_addr,
            details=details,
        )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    actor: str
    role: str
    action: str
    target_type: str | None = None
    target_id: str | None = None
    remote_addr: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _canonical(record_id: int, at: datetime, event_fields: dict[str, Any]) -> bytes:
    body = {"id": record_id, "at": at.isoformat(timespec="microseconds"), **event_fields}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def _plain(details: dict[str, Any] | None) -> dict[str, Any]:
    """Details as plain JSON values (dates as ISO text), so what is hashed is what is stored."""
    return json.loads(json.dumps(details or {}, default=_text))


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _fields(row_or_event: AuditRow | AuditEvent) -> dict[str, Any]:
    return {
        "actor": row_or_event.actor,
        "role": row_or_event.role,
        "action": row_or_event.action,
        "target_type": row_or_event.target_type,
        "target_id": row_or_event.target_id,
        "remote_addr": row_or_event.remote_addr,
        "details": _plain(row_or_event.details),
    }


def chain_hash(prev_hash: str, record_id: int, at: datetime, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(record_id, at, fields)).hexdigest()


def append(session: Session, event: AuditEvent) -> AuditRow:
    """Add `event` to the chain inside the caller's transaction (atomic with the change).

    One statement takes the head's write lock and reads it (UPDATE ... RETURNING); one more
    moves the head. Fewer round trips while the lock is held matter: every append in every
    process waits for it."""
    lock = (
        update(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .values(last_id=AuditHeadRow.last_id)
        .returning(AuditHeadRow.last_id, AuditHeadRow.last_hash)
    )
    head = session.execute(lock).one_or_none()
    if head is None:
        try:
            with session.begin_nested():  # another process may create the head at the same time
                session.add(AuditHeadRow(id=1, last_id=0, last_hash=GENESIS))
        except IntegrityError:
            pass
        head = session.execute(lock).one()
    last_id, last_hash = head
    record_id = last_id + 1
    at = utcnow()
    fields = _fields(event)
    digest = chain_hash(last_hash, record_id, at, fields)
    row = AuditRow(id=record_id, at=at, prev_hash=last_hash, record_hash=digest, **fields)
    session.add(row)
    session.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .values(last_id=record_id, last_hash=digest)
        .execution_options(synchronize_session=False)
    )
    return row


def record(store: Store, event: AuditEvent) -> AuditRow:
    """Append in a transaction of its own (for reads, which change nothing else)."""
    with store.session() as s:
        return append(s, event)


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store, batch: int = 5000) -> VerifyReport:
    """Recompute the whole chain; report every record whose hash or link does not hold."""
    report = VerifyReport()
    prev_hash, prev_id = GENESIS, 0
    with store.session() as s:
        for row in _rows(s, batch):
            report.checked += 1
            if row.id != prev_id + 1:
                report.problems.append(
                    f"record {row.id}: follows record {prev_id} (records missing or reordered)"
                )
            if row.prev_hash != prev_hash:
                report.problems.append(
                    f"record {row.id}: its link does not match the hash of the record before it "
                    "(a record was deleted, inserted or reordered)"
                )
            expected = chain_hash(row.prev_hash, row.id, row.at, _fields(row))
            if expected != row.record_hash:
                report.problems.append(
                    f"record {row.id}: its content was changed after it was written"
                )
            prev_hash, prev_id = row.record_hash, row.id
        head = s.get(AuditHeadRow, 1)
        if head is None:
            if report.checked:
                report.problems.append("the chain head is missing")
        elif head.last_id != prev_id or head.last_hash != prev_hash:
            report.problems.append(
                f"the chain head names record {head.last_id} but the log ends at record {prev_id} "
                "(the newest records were deleted or changed)"
            )
    return report


def _rows(s: Session, batch: int) -> Iterator[AuditRow]:
    last = 0
    while True:
        rows = s.scalars(
            select(AuditRow).where(AuditRow.id > last).order_by(AuditRow.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def tail(
    store: Store,
    limit: int = 50,
    before: int | None = None,
    *,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> list[AuditRow]:
    """The newest records, optionally only those whose action starts with `action` (so
    "review." finds every review record), by one actor, or about one target."""
    with store.session() as s:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if before is not None:
            query = query.where(AuditRow.id < before)
        if action:
            query = query.where(AuditRow.action.startswith(action, autoescape=True))
        if actor:
            query = query.where(AuditRow.actor == actor)
        if target_type:
            query = query.where(AuditRow.target_type == target_type)
        if target_id:
            query = query.where(AuditRow.target_id == target_id)
        return list(s.scalars(query))
