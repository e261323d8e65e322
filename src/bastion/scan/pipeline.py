"""The batch scan: enumerate a source's references, hash each distinct file once on worker
processes, match, and record everything as it arrives.

Journal and resume: references are recorded first (idempotently, keyed by their stable `ref`);
then each distinct file (by the source's key) is hashed, matched and written together with its
matches in one transaction per batch. A file row exists only once its batch committed, so a
scan killed at any moment resumes by hashing exactly the keys without a file row: nothing is
lost and nothing is counted twice. Final states are derived from these rows, never counted
incrementally.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

import bastion
from bastion.hashing import MediaHashes, PdqMode
from bastion.index_snapshots import open_matcher
from bastion.matching import Matcher, MatchResult, Query
from bastion.media import Limits
from bastion.scan.executors import make_executor
from bastion.scan.states import file_state
from bastion.scan.workers import Task, hash_batch
from bastion.sources import open_source
from bastion.sources.model import ItemStatus, MediaItem
from bastion.store.banks import BankStore
from bastion.store.db import Store
from bastion.store.models import CaseFileRow, CaseItemRow, CaseMatchRow, CaseRow
from bastion.store.types import utcnow

MOVING_KINDS = ("video", "animation", "video_message")
ITEM_BATCH = 2000


class ScanError(Exception):
    """The scan cannot start or resume; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ScanOptions:
    banks: tuple[str, ...] | None = None
    workers: int = 0
    mode: PdqMode = "fast"
    dihedral: bool = True
    views: bool = True  # trimmed and zoom-out PDQ views (docs/robustness.md); False: plain
    limits: Limits = field(default_factory=Limits)
    batch_files: int = 16
    accept_bank_changes: bool = False
    dask: str | None = None  # a scheduler address or "local:N": hash on a Dask cluster

    @property
    def processes(self) -> int:
        return self.workers or os.cpu_count() or 1


class Progress:
    """What the pipeline reports; the CLI draws it, tests ignore it."""

    def phase(self, name: str, total: int | None) -> None: ...

    def advance(self, files: int, nbytes: int, matches: int) -> None: ...


def _bank_versions(store: Store, names: tuple[str, ...] | None) -> list[dict]:
    banks = BankStore(store).list()
    if names:
        by_name = {b.name: b for b in banks}
        for name in names:
            if name not in by_name:
                BankStore(store).get(name)  # raises BankNotFound naming the known banks
        banks = [by_name[n] for n in names]
    return [
        {
            "name": b.name,
            "version": b.version,
            "source": b.source.value,
            "kind": b.kind.value,
            "pdq_threshold": b.pdq_threshold,
            "entries": b.live_entries,
            "updated_at": b.updated_at.isoformat(),
        }
        for b in banks
    ]


def _main_file(path: Path) -> Path | None:
    """The file whose SHA-256 identifies the input: the archive, or the export's result.json."""
    if path.is_file():
        return path
    for name in ("result.json", "export_results.html", "messages.html"):
        if (path / name).is_file():
            return path / name
    return None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def create_case(
    store: Store,
    name: str,
    source_path: str | os.PathLike[str],
    options: ScanOptions,
    operator: str,
) -> int:
    if not name or len(name) > 128:
        raise ScanError("a case name is 1 to 128 characters")
    path = Path(source_path).resolve()
    with open_source(path) as source:
        kind = source.kind
    banks = _bank_versions(store, options.banks)
    if not banks:
        raise ScanError("no banks to match against: import one first (bastion banks import)")
    main = _main_file(path)
    now = utcnow()
    with store.session() as s:
        if s.scalar(select(CaseRow.id).where(CaseRow.name == name)) is not None:
            raise ScanError(
                f"case {name!r} already exists: resume it with `bastion scan --resume {name}` or choose another name"
            )
        row = CaseRow(
            name=name,
            status="running",
            source_path=str(path),
            source_kind=kind,
            source_sha256=_sha256_file(main) if main else None,
            banks=banks,
            settings={
                "mode": options.mode,
                "dihedral": options.dihedral,
                "views": options.views,
                "bank_names": [b["name"] for b in banks],
                "max_pixels": options.limits.max_pixels,
                "max_file_bytes": options.limits.max_file_bytes,
                "enumerated": False,
            },
            tool_version=bastion.__version__,
            operator=operator,
            created_at=now,
            started_at=now,
            runs=1,
        )
        s.add(row)
        s.flush()
        return row.id


def mark_resumed(store: Store, case: int) -> None:
    with store.session() as s:
        row = s.get(CaseRow, case)
        if row.status != "complete":
            row.runs += 1


def case_id(store: Store, name: str) -> int:
    with store.session() as s:
        found = s.scalar(select(CaseRow.id).where(CaseRow.name == name))
    if found is None:
        with store.session() as s:
            known = list(s.scalars(select(CaseRow.name).order_by(CaseRow.name)))
        raise ScanError(
            f"no case named {name!r}" + (f" (cases: {', '.join(known)})" if known else "")
        )
    return found


def _insert_ignoring_duplicates(store: Store, rows: list[dict]) -> None:
    dialect = sqlite if store.dialect == "sqlite" else postgresql
    statement = dialect.insert(CaseItemRow).on_conflict_do_nothing(
        index_elements=["case_id", "ref"]
    )
    with store.session() as s:
        s.execute(statement, rows)


def _item_row(case: int, seq: int, item: MediaItem) -> dict:
    t = item.telegram
    return {
        "case_id": case,
        "seq": seq,
        "ref": item.ref,
        "key": item.key,
        "path": item.path,
        "source_status": item.status.value,
        "reason": item.reason.value if item.reason else None,
        "detail": item.detail,
        "media_kind": item.kind.value,
        "mime_type": item.mime_type,
        "chat_id": str(t.chat_id) if t and t.chat_id is not None else None,
        "chat_name": t.chat_name if t else None,
        "chat_type": t.chat_type if t else None,
        "message_id": t.message_id if t else None,
        "date": t.date if t else None,
        "date_source": t.date_source.value if t else None,
        "sender_name": t.sender_name if t else None,
        "sender_id": t.sender_id if t else None,
        "sender_is_owner": t.sender_is_owner if t else None,
        "forwarded_from": t.forwarded_from if t else None,
        "edited": bool(t and t.edited),
        "is_thumbnail": bool(t and t.is_thumbnail),
        "is_derived": bool(t and t.is_derived),
        "section": t.section if t else None,
    }


def _enumerate(store: Store, case: int, source, progress: Progress) -> None:
    progress.phase("listing references", None)
    batch: list[dict] = []
    for seq, item in enumerate(source.items()):
        batch.append(_item_row(case, seq, item))
        if len(batch) >= ITEM_BATCH:
            _insert_ignoring_duplicates(store, batch)
            progress.advance(len(batch), 0, 0)
            batch = []
    if batch:
        _insert_ignoring_duplicates(store, batch)
        progress.advance(len(batch), 0, 0)
    owner = getattr(source, "owner", None)
    with store.session() as s:
        row = s.get(CaseRow, case)
        row.settings = {**row.settings, "enumerated": True}
        row.owner_id = f"user{owner}" if owner is not None else row.owner_id
        row.problems = [
            f"{p.location}: {p.message}" for p in getattr(source, "problems", [])
        ] or None


def _todo(store: Store, case: int) -> tuple[int, Iterator[tuple[str, str | None, str]]]:
    """Distinct readable keys without a file row, in reference order, with a kind for each."""
    done = select(CaseFileRow.key).where(CaseFileRow.case_id == case)
    base = (
        select(
            CaseItemRow.key,
            func.min(CaseItemRow.seq).label("first"),
            func.max(CaseItemRow.media_kind),
        )
        .where(
            CaseItemRow.case_id == case,
            CaseItemRow.source_status == ItemStatus.AVAILABLE.value,
            CaseItemRow.key.not_in(done),
        )
        .group_by(CaseItemRow.key)
    )
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0

    def rows() -> Iterator[tuple[str, str | None, str]]:
        with store.session() as s:
            for key, _, kind in s.execute(base.order_by("first").execution_options(yield_per=5000)):
                yield key, None, kind

    return total, rows()


def _record(
    store: Store, case: int, results: list[tuple[str, MediaHashes, str]], matched: list[MatchResult]
) -> int:
    n_matches = 0
    now = utcnow()
    with store.session() as s:
        keys = [key for key, _, _ in results]
        done = set(
            s.scalars(
                select(CaseFileRow.key).where(
                    CaseFileRow.case_id == case, CaseFileRow.key.in_(keys)
                )
            )
        )
        files: list[dict] = []
        kept: list[MatchResult] = []
        for (key, hashed, kind), result in zip(results, matched, strict=True):
            if key in done:  # already recorded (a rerun batch): never counted twice
                continue
            state, reason = file_state(hashed, result.matched)
            d = hashed.digests
            files.append(
                {
                    "case_id": case,
                    "key": key,
                    "state": state.value,
                    "reason": reason,
                    "error": hashed.failure.message if hashed.failure else None,
                    "size": d.size if d else None,
                    "md5": d.md5 if d else None,
                    "sha1": d.sha1 if d else None,
                    "sha256": d.sha256 if d else None,
                    "pdq": hashed.pdq.hex if hashed.pdq else None,
                    "pdq_quality": hashed.pdq.quality if hashed.pdq else None,
                    "media_format": hashed.image.format if hashed.image else None,
                    "width": hashed.image.width if hashed.image else None,
                    "height": hashed.image.height if hashed.image else None,
                    "moving": kind in MOVING_KINDS or hashed.vpdq is not None,
                    "category": result.category.value if result.category else None,
                    "hashed_at": now,
                }
            )
            kept.append(result)
        if not files:
            return 0
        # One multi-row INSERT ... RETURNING for the batch instead of a flush per file.
        ids = dict(
            s.execute(insert(CaseFileRow).returning(CaseFileRow.key, CaseFileRow.id), files).all()
        )
        match_rows = [
            {
                "case_id": case,
                "file_id": ids[f["key"]],
                "bank_id": m.bank_id,
                "entry_id": m.entry_id,
                "bank": m.bank,
                "signal_type": m.signal_type,
                "value": m.value,
                "distance": m.distance,
                "variant": m.variant,
                "category": m.category.value,
                "source_label": m.source_label,
            }
            for f, result in zip(files, kept, strict=True)
            for m in result.matches
        ]
        if match_rows:
            s.execute(insert(CaseMatchRow), match_rows)
        n_matches = len(match_rows)
    return n_matches


def run_case(
    store: Store,
    case: int,
    options: ScanOptions,
    progress: Progress | None = None,
    after_batch: Callable[[], None] | None = None,
) -> None:
    """Scan (or resume scanning) a case to completion."""
    progress = progress or Progress()
    with store.session() as s:
        row = s.get(CaseRow, case)
        if row is None:
            raise ScanError(f"no case {case}")
        if row.status == "complete":
            return
        source_path, settings, recorded_banks = row.source_path, row.settings, row.banks
        row.status = "running"
    current = _bank_versions(store, tuple(settings["bank_names"]))
    changed = [
        f"{a['name']} {a['version']} -> {b['version']}"
        for a, b in zip(recorded_banks, current, strict=True)
        if a["version"] != b["version"]
    ]
    if changed and not options.accept_bank_changes:
        raise ScanError(
            "banks changed since this scan started ("
            + ", ".join(changed)
            + "); resuming would mix "
            "bank versions. Start a new case, or accept with --accept-bank-changes"
        )
    if not Path(source_path).exists():
        raise ScanError(f"the case's source {source_path} is no longer there")
    matcher = open_matcher(store, banks=settings["bank_names"])
    try:
        with open_source(source_path) as source:
            if not settings.get("enumerated"):
                _enumerate(store, case, source, progress)
            _hash_all(store, case, source, matcher, options, progress, after_batch)
    except BaseException:
        with store.session() as s:
            s.get(CaseRow, case).status = "interrupted"
        raise
    with store.session() as s:
        row = s.get(CaseRow, case)
        row.status = "complete"
        row.finished_at = utcnow()


def _hash_all(
    store: Store,
    case: int,
    source,
    matcher: Matcher,
    options: ScanOptions,
    progress: Progress,
    after_batch: Callable[[], None] | None,
) -> None:
    from bastion.sources.model import MediaItem as Item

    total, todo = _todo(store, case)
    progress.phase("hashing", total)
    if total == 0:
        return
    kinds: dict[str, str] = {}

    def batches() -> Iterator[list[Task]]:
        batch: list[Task] = []
        size = 0
        for key, _, kind in todo:
            kinds[key] = kind
            probe = Item(key=key, ref=key, path=key, status=ItemStatus.AVAILABLE)
            local = source.local_path(probe)
            if local is not None:
                batch.append(Task(key, path=str(local)))
            else:
                with source.open(probe) as stream:
                    data = stream.read(options.limits.max_file_bytes + 1)
                batch.append(Task(key, data=data))
                size += len(data)
            if len(batch) >= options.batch_files or size >= 32 * 1024 * 1024:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    executor = make_executor(options.dask, options.processes)
    try:
        window = executor.workers * 3
        pending: deque = deque()  # futures in submission order: results are written in order
        feed = batches()
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                tasks = next(feed, None)
                if tasks is None:
                    exhausted = True
                    break
                pending.append(
                    executor.submit(hash_batch, tasks, options.mode, options.limits, options.views)
                )
            if not pending:
                break
            if not pending[0].done():
                executor.wait_any(list(pending))
            while pending and pending[0].done():
                hashed = pending.popleft().result()
                queries = [
                    Query.of(h, dihedral=options.dihedral, views=options.views) for _, h in hashed
                ]
                results = matcher.match_many(queries)
                rows = [(key, h, kinds.pop(key, "unknown")) for key, h in hashed]
                n = _record(store, case, rows, results)
                progress.advance(len(rows), sum(h.digests.size for _, h in hashed if h.digests), n)
                if after_batch is not None:
                    after_batch()
    finally:
        executor.close()


def scan(
    store: Store,
    source_path: str | os.PathLike[str],
    name: str,
    options: ScanOptions,
    operator: str,
    progress: Progress | None = None,
) -> int:
    case = create_case(store, name, source_path, options, operator)
    run_case(store, case, options, progress)
    return case
