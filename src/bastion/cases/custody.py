"""Chain of custody for a case report: what was scanned (with its SHA-256), with which tool and
which banks (names, versions, each import with its file's SHA-256 and date), when, by whom, and
what people added afterwards.

The file manifest digest lets anyone check the set of files a scan read: the SHA-256 of the
lines "<key>\\t<sha256>\\n" of every hashed file, sorted by key; the JSON report lists every file
with its SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

import bastion
from bastion.store.banks import BankNotFound, BankStore
from bastion.store.db import Store
from bastion.store.models import CaseFileRow, CaseRow
from bastion.store.types import utcnow


@dataclass(frozen=True, slots=True)
class BankImport:
    version: int
    at: datetime
    operation: str
    added: int
    removed: int
    source_file: str | None
    source_sha256: str | None


@dataclass(frozen=True, slots=True)
class BankUsed:
    name: str
    source: str
    kind: str
    version: int
    entries: int
    pdq_threshold: int
    imports: tuple[BankImport, ...]  # up to the version the scan used


@dataclass(frozen=True, slots=True)
class Custody:
    case_name: str
    status: str
    source_path: str
    source_kind: str
    source_sha256: str | None
    owner_id: str | None
    scan_tool_version: str
    operator: str
    started_at: datetime
    finished_at: datetime | None
    runs: int
    settings: dict
    problems: tuple[str, ...]
    banks: tuple[BankUsed, ...]
    files: tuple[HashedFile, ...]
    manifest_sha256: str
    report_tool_version: str
    generated_at: datetime
    generated_by: str
    answer_sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HashedFile:
    key: str  # the file's path in the source
    sha256: str | None
    state: str


def hashed_files(store: Store, case_id: int) -> tuple[HashedFile, ...]:
    with store.session() as s:
        rows = s.execute(
            select(CaseFileRow.key, CaseFileRow.sha256, CaseFileRow.state)
            .where(CaseFileRow.case_id == case_id)
            .order_by(CaseFileRow.key)
            .execution_options(yield_per=5000)
        )
        return tuple(HashedFile(key, sha256, state) for key, sha256, state in rows)


def manifest_digest(files: tuple[HashedFile, ...]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.key):
        digest.update(f"{f.key}\t{f.sha256 or ''}\n".encode())
    return digest.hexdigest()


def _banks(store: Store, recorded: list[dict]) -> tuple[BankUsed, ...]:
    banks = BankStore(store)
    used = []
    for b in recorded:
        try:
            versions = banks.versions(b["name"])
        except BankNotFound:
            versions = []
        used.append(
            BankUsed(
                name=b["name"],
                source=b.get("source", ""),
                kind=b.get("kind", ""),
                version=b["version"],
                entries=b.get("entries", 0),
                pdq_threshold=b.get("pdq_threshold", 0),
                imports=tuple(
                    BankImport(
                        v.version,
                        v.created_at,
                        v.operation,
                        v.added,
                        v.removed,
                        v.source_file,
                        v.source_sha256,
                    )
                    for v in versions
                    if v.version <= b["version"]
                ),
            )
        )
    return tuple(used)


def custody(
    store: Store, case_id: int, generated_by: str, answer_sources: tuple[str, ...] = ()
) -> Custody:
    with store.session() as s:
        row = s.get(CaseRow, case_id)
        s.expunge(row)
    files = hashed_files(store, case_id)
    return Custody(
        case_name=row.name,
        status=row.status,
        source_path=row.source_path,
        source_kind=row.source_kind,
        source_sha256=row.source_sha256,
        owner_id=row.owner_id,
        scan_tool_version=row.tool_version,
        operator=row.operator,
        started_at=row.started_at,
        finished_at=row.finished_at,
        runs=row.runs,
        settings=dict(row.settings),
        problems=tuple(row.problems or ()),
        banks=_banks(store, row.banks),
        files=files,
        manifest_sha256=manifest_digest(files),
        report_tool_version=bastion.__version__,
        generated_at=utcnow(),
        generated_by=generated_by,
        answer_sources=answer_sources,
    )
