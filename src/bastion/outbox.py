"""The transactional outbox and the worker that drains it.

A decision and the jobs it causes (webhooks, report drafts) commit in one transaction: if the
decision is recorded, its jobs exist; if it rolls back, they never did. Workers claim due jobs
atomically (PostgreSQL `FOR UPDATE SKIP LOCKED`; on SQLite the single writer makes the claiming
UPDATE atomic), under a lease: a worker that dies mid-job loses its lease and another worker
redoes the job. Effects are therefore at-least-once, and every effect carries the job id as an
idempotency key (webhooks send it as X-Bastion-Delivery; report submission keeps resumable
state), which makes them exactly-once at the receiver.

Failures retry with exponential backoff (2 s doubling, capped at 1 h, with jitter) and are
dead-lettered after `max_attempts` (status `dead`, kept with the last error for a person).
"""

from __future__ import annotations

import logging
import random
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.store.db import Store
from bastion.store.models import OutboxRow
from bastion.store.types import utcnow

log = logging.getLogger("bastion.outbox")

BACKOFF_BASE = 2.0
BACKOFF_CAP = 3600.0
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class Retry(Exception):
    """Raised by a handler for a failure worth retrying (the default for any exception)."""


class GiveUp(Exception):
    """Raised by a handler for a failure no retry can fix: dead-letter at once."""


def enqueue(session: Session, kind: str, payload: dict[str, Any], dedupe_key: str) -> bool:
    """Add a job in the caller's transaction; a job with the same dedupe key is not added twice."""
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(
                OutboxRow(
                    kind=kind,
                    payload=payload,
                    dedupe_key=dedupe_key,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempts + 1`: 2, 4, 8... capped at an hour, +-20% jitter."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.8 + 0.4 * (rng or random).random())


def claim(
    store: Store, worker: str, limit: int = 10, lease: timedelta = DEFAULT_LEASE
) -> list[Job]:
    now = utcnow()
    lock = " FOR UPDATE SKIP LOCKED" if store.dialect == "postgresql" else ""
    params = {"now": _t(store, now), "lease": _t(store, now + lease), "worker": worker, "n": limit}
    with store.session() as s:
        rows = s.execute(
            text(
                "UPDATE outbox SET status = 'running', worker = :worker, lease_until = :lease, "
                "attempts = attempts + 1, updated_at = :now WHERE id IN ("
                "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= :now) "
                f"OR (status = 'running' AND lease_until < :now) ORDER BY id LIMIT :n{lock}) "
                "RETURNING id, kind, payload, attempts"
            ),
            params,
        ).all()
    import json

    return sorted(
        (Job(r[0], r[1], r[2] if isinstance(r[2], dict) else json.loads(r[2]), r[3]) for r in rows),
        key=lambda j: j.id,
    )


def _t(store: Store, value):
    return value.replace(tzinfo=None) if store.dialect == "sqlite" else value


def extend_lease(store: Store, job_id: int, lease: timedelta = DEFAULT_LEASE) -> None:
    """Keep a long job (a report upload) from being reclaimed while it makes progress."""
    with store.session() as s:
        row = s.get(OutboxRow, job_id)
        if row is not None and row.status == "running":
            row.lease_until = utcnow() + lease


def complete(store: Store, job: Job, worker: str, result: dict[str, Any] | None = None) -> None:
    with store.session() as s:
        row = s.get(OutboxRow, job.id)
        if row is not None and row.worker == worker and row.status == "running":
            row.status = "done"
            row.result = result
            row.lease_until = None
            row.updated_at = utcnow()


def fail(
    store: Store, job: Job, worker: str, error: str, max_attempts: int, give_up: bool = False
) -> str:
    with store.session() as s:
        row = s.get(OutboxRow, job.id)
        if row is None or row.worker != worker or row.status != "running":
            return "lost"
        row.last_error = error[:4000]
        row.lease_until = None
        row.updated_at = utcnow()
        if give_up or row.attempts >= max_attempts:
            row.status = "dead"
        else:
            row.status = "pending"
            row.next_attempt_at = utcnow() + timedelta(seconds=backoff(row.attempts))
        return row.status


Handler = Callable[[Store, Job], dict[str, Any] | None]


class Worker:
    """Drains the outbox: `run()` until stopped, or `run_once()` for one batch."""

    def __init__(
        self,
        store: Store,
        handlers: dict[str, Handler],
        name: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.name = name or f"{socket.gethostname()}:{id(self):x}"
        self.max_attempts = max_attempts
        self.lease = lease
        self.stopped = False

    def run_once(self, limit: int = 10) -> int:
        jobs = claim(self.store, self.name, limit, self.lease)
        for job in jobs:
            handler = self.handlers.get(job.kind)
            if handler is None:
                fail(
                    self.store,
                    job,
                    self.name,
                    f"no handler for job kind {job.kind!r}",
                    self.max_attempts,
                    give_up=True,
                )
                continue
            try:
                result = handler(self.store, job)
            except GiveUp as exc:
                fail(self.store, job, self.name, str(exc), self.max_attempts, give_up=True)
            except Exception as exc:
                log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
                log.debug("%s", traceback.format_exc())
                fail(self.store, job, self.name, f"{type(exc).__name__}: {exc}", self.max_attempts)
            else:
                complete(self.store, job, self.name, result)
        return len(jobs)

    def run(self, poll: float = 1.0, until: Callable[[], bool] | None = None) -> None:
        while not self.stopped and not (until and until()):
            if self.run_once() == 0:
                time.sleep(poll)


def counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func

    with store.session() as s:
        return dict(
            s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        )
