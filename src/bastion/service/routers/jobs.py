"""GET /v1/jobs/{id}: progress of background work."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bastion.keys import Role
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.schemas import JobOut, RowId
from bastion.store.models import JobRow

router = APIRouter(prefix="/v1", tags=["jobs"])
READERS = (Role.ADMIN, Role.REVIEWER, Role.INVESTIGATOR, Role.AUDITOR)


def job_out(runtime, job_id: int) -> JobOut:
    with runtime.store.session() as s:
        row = s.get(JobRow, job_id)
        if row is None:
            raise ApiError(404, "not_found", f"no job {job_id}", "job_id")
        return JobOut(
            id=row.id,
            kind=row.kind,
            status=row.status,
            progress=row.progress,
            total=row.total,
            message=row.message,
            result=row.result,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="A background job's state",
    openapi_extra=roles_extra(*READERS),
)
def get_job(request: Request, job_id: RowId, principal: Principal = require(*READERS)) -> JobOut:
    return job_out(request.app.state.runtime, job_id)
