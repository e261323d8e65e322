"""Background jobs with progress any process can read (GET /v1/jobs/{id}).

Jobs run on a thread of the API process that accepted them; their state lives in the `jobs`
table. A job left `running` by a process that died is marked failed at the next start.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from bastion.store.db import Store
from bastion.store.models import JobRow
from bastion.store.types import utcnow

log = logging.getLogger("bastion.jobs")


class JobContext:
    def __init__(self, store: Store, job_id: int) -> None:
        self.store = store
        self.job_id = job_id
        self._last = 0.0

    def progress(
        self, done: int, total: int | None = None, message: str | None = None, force: bool = False
    ) -> None:
        import time

        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        values: dict[str, Any] = {"progress": done}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        with self.store.session() as s:
            s.execute(update(JobRow).where(JobRow.id == self.job_id).values(**values))


class JobRunner:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._threads: list[threading.Thread] = []

    def recover(self) -> None:
        with self.store.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.status.in_(("queued", "running")))
                .values(
                    status="failed",
                    finished_at=utcnow(),
                    message="interrupted: the process running it stopped",
                )
            )

    def submit(
        self,
        kind: str,
        params: dict[str, Any],
        created_by: str,
        work: Callable[[JobContext], dict[str, Any]],
    ) -> int:
        with self.store.session() as s:
            row = JobRow(
                kind=kind,
                status="queued",
                created_at=utcnow(),
                created_by=created_by,
                params=params,
                progress=0,
            )
            s.add(row)
            s.flush()
            job_id = row.id
        thread = threading.Thread(
            target=self._run, args=(job_id, work), name=f"job-{job_id}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job_id

    def _run(self, job_id: int, work: Callable[[JobContext], dict[str, Any]]) -> None:
        with self.store.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(status="running", started_at=utcnow())
            )
        try:
            result = work(JobContext(self.store, job_id))
        except Exception as exc:  # a failed job is a value, reported through its status
            log.error("job %s failed: %s", job_id, traceback.format_exc())
            with self.store.session() as s:
                s.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id)
                    .values(status="failed", finished_at=utcnow(), message=str(exc)[:2000])
                )
            return
        with self.store.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(status="done", finished_at=utcnow(), result=result, message="done")
            )

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for this process's running jobs (tests and shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)
