"""Banks in the database: create, import (all-or-nothing, streamed), remove, version, export."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, aliased

from bastion import audit
from bastion.audit import Actor
from bastion.banks.formats.base import Item, Notice, Row, RowError
from bastion.banks.model import (
    Bank,
    BankEntry,
    BankVersion,
    Category,
    Kind,
    Source,
    check_bank_name,
    check_percent,
    check_threshold,
    normalise_category,
)
from bastion.signals.pdq import MATCH_THRESHOLD
from bastion.store.db import Store
from bastion.store.models import BankEntryRow, BankRow, BankVersionRow, ImportStagingRow
from bastion.store.types import utcnow

STAGE_BATCH = 5000


def value_key(signal_type: str, value: str) -> str:
    """The indexed key of a value: itself when short, else its SHA-256 (vPDQ can be long)."""
    return value if len(value) <= 64 else hashlib.sha256(value.encode()).hexdigest()


class BankNotFound(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        hint = f"known banks: {', '.join(known)}" if known else "no banks exist yet"
        super().__init__(f"no bank named {name!r} ({hint}; create one with `bastion banks create`)")


class BankExists(ValueError):
    pass


class VersionConflict(ValueError):
    pass


@dataclass
class ImportReport:
    bank: str
    rows_read: int = 0
    added: int = 0
    removed: int = 0
    regraded: int = 0
    unchanged: int = 0
    duplicates: int = 0
    not_present: int = 0
    version: int | None = None
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    categories: Counter[str] = field(default_factory=Counter)
    signal_types: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


class ImportRejected(Exception):
    """A file with bad rows changed nothing (all-or-nothing); `report.errors` lists every one."""

    def __init__(self, report: ImportReport, source: str) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(
            f"{source}: {n} bad row{'s' if n != 1 else ''}; nothing was imported "
            "(fix them, or use --skip-invalid to import the rest)"
        )


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _bank(row: BankRow, live: int = 0) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        source=Source(row.source),
        kind=Kind(row.kind),
        pdq_threshold=row.pdq_threshold,
        version=row.version,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        retired_at=row.retired_at,
        live_entries=live,
        vpdq_query_percent=row.vpdq_query_percent,
        vpdq_listed_percent=row.vpdq_listed_percent,
    )


def _entry(row: BankEntryRow, added_version: int, removed_version: int | None) -> BankEntry:
    return BankEntry(
        id=row.id,
        bank_id=row.bank_id,
        signal_type=row.signal_type,
        value=row.value,
        category=Category(row.category),
        source_label=row.source_label,
        source_id=row.source_id,
        added_at=row.added_at,
        added_version=added_version,
        removed_at=row.removed_at,
        removed_version=removed_version,
        metadata=row.extra or {},
    )


class BankStore:
    """Every change is written to the audit trail in the same transaction, as `actor`."""

    def __init__(self, store: Store, actor: Actor | None = None) -> None:
        self.store = store
        self.actor = actor or Actor.cli()

    # -- banks -------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        source: str,
        kind: str = "block",
        pdq_threshold: int = MATCH_THRESHOLD,
        description: str = "",
        vpdq_query_percent: float = 80.0,
        vpdq_listed_percent: float = 0.0,
    ) -> Bank:
        check_bank_name(name)
        check_threshold(pdq_threshold)
        check_percent("vPDQ query share", vpdq_query_percent)
        check_percent("vPDQ listed share", vpdq_listed_percent)
        src, knd = Source(source), Kind(kind)
        with self.store.session() as s:
            if s.scalar(select(BankRow.id).where(BankRow.name == name)) is not None:
                raise BankExists(f"a bank named {name!r} already exists")
            now = utcnow()
            row = BankRow(
                name=name,
                source=src.value,
                kind=knd.value,
                pdq_threshold=pdq_threshold,
                vpdq_query_percent=vpdq_query_percent,
                vpdq_listed_percent=vpdq_listed_percent,
                version=1,
                description=description,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            s.add(
                BankVersionRow(
                    bank_id=row.id,
                    version=1,
                    operation="create",
                    created_at=now,
                    added=0,
                    removed=0,
                    skipped=0,
                    note=f"source={src.value} kind={knd.value} pdq_threshold={pdq_threshold}",
                )
            )
            audit.append(
                s,
                self.actor.event(
                    "bank.create",
                    "bank",
                    name,
                    source=src.value,
                    kind=knd.value,
                    pdq_threshold=pdq_threshold,
                ),
            )
            return _bank(row)

    def _row(self, s: Session, name: str, lock: bool = False) -> BankRow:
        query = select(BankRow).where(BankRow.name == name)
        if lock:
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise BankNotFound(name, list(s.scalars(select(BankRow.name).order_by(BankRow.name))))
        return row

    def get(self, name: str) -> Bank:
        with self.store.session() as s:
            row = self._row(s, name)
            return _bank(row, self._live_count(s, row.id))

    def exists(self, name: str) -> bool:
        with self.store.session() as s:
            return s.scalar(select(BankRow.id).where(BankRow.name == name)) is not None

    @staticmethod
    def _live_count(s: Session, bank_id: int) -> int:
        return (
            s.scalar(
                select(func.count())
                .select_from(BankEntryRow)
                .where(BankEntryRow.bank_id == bank_id, BankEntryRow.removed_change_id.is_(None))
            )
            or 0
        )

    def list(self, include_retired: bool = False, counts: bool = True) -> list[Bank]:
        """Banks by name; `counts=False` skips counting live entries (a scan of the entries,
        which the matcher's frequent refresh must not pay for)."""
        with self.store.session() as s:
            counts = (
                dict(
                    s.execute(
                        select(BankEntryRow.bank_id, func.count())
                        .where(BankEntryRow.removed_change_id.is_(None))
                        .group_by(BankEntryRow.bank_id)
                    ).all()
                )
                if counts
                else {}
            )
            rows = s.scalars(select(BankRow).order_by(BankRow.name)).all()
            return [
                _bank(r, counts.get(r.id, 0))
                for r in rows
                if include_retired or r.retired_at is None
            ]

    def _new_version(
        self, s: Session, bank: BankRow, operation: str, **fields: object
    ) -> BankVersionRow:
        now = utcnow()
        bank.version += 1
        bank.updated_at = now
        version = BankVersionRow(
            bank_id=bank.id,
            version=bank.version,
            operation=operation,
            created_at=now,
            added=0,
            removed=0,
            skipped=0,
            **fields,
        )
        s.add(version)
        s.flush()
        return version

    def update_settings(
        self,
        name: str,
        *,
        pdq_threshold: int | None = None,
        description: str | None = None,
        vpdq_query_percent: float | None = None,
        vpdq_listed_percent: float | None = None,
    ) -> Bank:
        with self.store.session() as s:
            row = self._row(s, name, lock=True)
            notes = []
            if pdq_threshold is not None and pdq_threshold != row.pdq_threshold:
                check_threshold(pdq_threshold)
                notes.append(f"pdq_threshold {row.pdq_threshold} -> {pdq_threshold}")
                row.pdq_threshold = pdq_threshold
            for field_name, value in (
                ("vpdq_query_percent", vpdq_query_percent),
                ("vpdq_listed_percent", vpdq_listed_percent),
            ):
                if value is not None and value != getattr(row, field_name):
                    check_percent(field_name, value)
                    notes.append(f"{field_name} {getattr(row, field_name)} -> {value}")
                    setattr(row, field_name, value)
            if description is not None and description != row.description:
                notes.append("description changed")
                row.description = description
            if notes:
                self._new_version(s, row, "settings", note="; ".join(notes))
                audit.append(s, self.actor.event("bank.settings", "bank", name, changes=notes))
            return _bank(row, self._live_count(s, row.id))

    def retire(self, name: str) -> Bank:
        """Tombstone every entry and hide the bank; history stays for explaining past matches."""
        with self.store.session() as s:
            row = self._row(s, name, lock=True)
            if row.retired_at is not None:
                return _bank(row)
            version = self._new_version(s, row, "retire")
            result = s.execute(
                text(
                    "UPDATE bank_entries SET removed_change_id = :cid, removed_at = :now "
                    "WHERE bank_id = :bank AND removed_change_id IS NULL"
                ),
                {"cid": version.id, "now": _db_time(s, version.created_at), "bank": row.id},
            )
            version.removed = result.rowcount
            row.retired_at = version.created_at
            audit.append(s, self.actor.event("bank.retire", "bank", name, removed=result.rowcount))
            return _bank(row)

    # -- import ------------------------------------------------------------------------------

    def import_items(
        self,
        name: str,
        items: Iterable[Item],
        *,
        replace: bool = False,
        remove: bool = False,
        category_map: Mapping[str, Category] | None = None,
        skip_invalid: bool = False,
        expect_version: int | None = None,
        source_file: str | None = None,
        source_sha256: str | None = None,
        dry_run: bool = False,
    ) -> ImportReport:
        """Apply a stream of rows to a bank as one new version, or change nothing.

        Default: add the rows. `replace`: the bank becomes exactly the file (entries not in it
        are tombstoned). `remove`: tombstone the listed hashes. Rows may also carry their own
        action (delta files). Duplicate rows are counted once; a hash listed with two different
        categories is a bad row. With bad rows the whole import is rejected (ImportRejected)
        unless `skip_invalid`, which imports the rest and lists what was skipped.
        """
        if replace and remove:
            raise ValueError("replace and remove cannot be combined")
        try:
            with self.store.session() as s:
                report = self._import(
                    s,
                    name,
                    items,
                    replace,
                    remove,
                    category_map,
                    skip_invalid,
                    expect_version,
                    source_file,
                    source_sha256,
                )
                if dry_run:
                    report.dry_run = True
                    report.version = None
                    raise _DryRun(report)
                if report.changed:
                    audit.append(
                        s,
                        self.actor.event(
                            "bank.import",
                            "bank",
                            name,
                            version=report.version,
                            source_file=source_file,
                            source_sha256=source_sha256,
                            added=report.added,
                            removed=report.removed,
                            regraded=report.regraded,
                            skipped=len(report.skipped),
                        ),
                    )
                return report
        except _DryRun as dry:
            return dry.report

    def _import(
        self,
        s: Session,
        name: str,
        items: Iterable[Item],
        replace: bool,
        remove: bool,
        category_map: Mapping[str, Category] | None,
        skip_invalid: bool,
        expect_version: int | None,
        source_file: str | None,
        source_sha256: str | None,
    ) -> ImportReport:
        bank = self._row(s, name, lock=True)
        if bank.retired_at is not None:
            raise VersionConflict(f"bank {name!r} is retired; create a new bank instead")
        if expect_version is not None and bank.version != expect_version:
            raise VersionConflict(
                f"bank {name!r} is at version {bank.version}, not {expect_version}: it changed "
                "since this delta was prepared (see `bastion banks show`)"
            )
        report = ImportReport(bank=name)
        token = uuid.uuid4().hex
        batch: list[dict[str, object]] = []
        for item in items:
            if isinstance(item, Notice):
                if item.message not in report.notices:
                    report.notices.append(item.message)
                continue
            if isinstance(item, RowError):
                report.errors.append(item)
                continue
            report.rows_read += 1
            if report.errors and not skip_invalid:
                continue  # the import will be rejected; keep reading only to list every error
            batch.append(
                self._staged(token, item, "remove" if remove else item.action, category_map)
            )
            if len(batch) >= STAGE_BATCH:
                s.execute(insert(ImportStagingRow), batch)
                batch = []
        if batch:
            s.execute(insert(ImportStagingRow), batch)
        report.errors.extend(self._conflicts(s, token))
        report.errors.sort(key=lambda e: e.line)
        if report.errors:
            if not skip_invalid:
                raise ImportRejected(report, source_file or name)
            report.skipped, report.errors = report.errors, []
            self._drop_conflicting(s, token)
        staged = s.execute(
            text("SELECT COUNT(*) FROM import_staging WHERE token = :t"), {"t": token}
        ).scalar_one()
        s.execute(
            text(
                "DELETE FROM import_staging WHERE token = :t AND id NOT IN ("
                "SELECT MIN(id) FROM import_staging WHERE token = :t "
                "GROUP BY action, signal_type, value_key)"
            ),
            {"t": token},
        )
        distinct = s.execute(
            text("SELECT COUNT(*) FROM import_staging WHERE token = :t"), {"t": token}
        ).scalar_one()
        report.duplicates = staged - distinct
        for action, category, signal_type, n in s.execute(
            text(
                "SELECT action, category, signal_type, COUNT(*) FROM import_staging "
                "WHERE token = :t GROUP BY action, category, signal_type"
            ),
            {"t": token},
        ):
            if action == "add":
                report.categories[category] += n
                report.signal_types[signal_type] += n

        operation = "replace" if replace else "remove" if remove else "import"
        version = self._new_version(
            s, bank, operation, source_file=source_file, source_sha256=source_sha256
        )
        params = {
            "t": token,
            "bank": bank.id,
            "cid": version.id,
            "now": _db_time(s, version.created_at),
        }
        live = "bank_id = :bank AND removed_change_id IS NULL"
        same_key = (
            "st.token = :t AND st.signal_type = bank_entries.signal_type "
            "AND st.value_key = bank_entries.value_key"
        )
        tombstone = "UPDATE bank_entries SET removed_change_id = :cid, removed_at = :now WHERE "
        report.regraded = s.execute(
            text(
                f"{tombstone}{live} AND EXISTS (SELECT 1 FROM import_staging st WHERE {same_key} "
                "AND st.action = 'add' AND st.category <> bank_entries.category)"
            ),
            params,
        ).rowcount
        removed = s.execute(
            text(
                f"{tombstone}{live} AND EXISTS (SELECT 1 FROM import_staging st WHERE {same_key} "
                "AND st.action = 'remove')"
            ),
            params,
        ).rowcount
        n_remove = s.execute(
            text("SELECT COUNT(*) FROM import_staging WHERE token = :t AND action = 'remove'"),
            {"t": token},
        ).scalar_one()
        report.not_present = n_remove - removed
        if replace:
            removed += s.execute(
                text(
                    f"{tombstone}{live} AND NOT EXISTS (SELECT 1 FROM import_staging st "
                    f"WHERE {same_key} AND st.action = 'add')"
                ),
                params,
            ).rowcount
        report.removed = removed
        inserted = s.execute(
            text(
                "INSERT INTO bank_entries (bank_id, signal_type, value_key, value, category, "
                "source_label, source_id, extra, added_change_id, added_at) "
                "SELECT :bank, st.signal_type, st.value_key, st.value, st.category, "
                "st.source_label, st.source_id, st.extra, :cid, :now FROM import_staging st "
                "WHERE st.token = :t AND st.action = 'add' AND NOT EXISTS ("
                "SELECT 1 FROM bank_entries e WHERE e.bank_id = :bank "
                "AND e.removed_change_id IS NULL AND e.signal_type = st.signal_type "
                "AND e.value_key = st.value_key) ORDER BY st.id"
            ),
            params,
        ).rowcount
        report.added = inserted - report.regraded
        report.unchanged = sum(report.categories.values()) - inserted
        s.execute(text("DELETE FROM import_staging WHERE token = :t"), {"t": token})
        version.added = inserted
        version.removed = removed
        version.skipped = len(report.skipped)
        if not (inserted or removed):
            # Nothing changed: the bank keeps its version.
            s.delete(version)
            bank.version -= 1
            s.flush()
            report.version = bank.version
        else:
            report.version = version.version
        return report

    @staticmethod
    def _staged(
        token: str, row: Row, action: str, category_map: Mapping[str, Category] | None
    ) -> dict[str, object]:
        category = normalise_category(
            row.category if row.category is not None else row.label, category_map
        )
        return {
            "token": token,
            "line": row.line,
            "action": action,
            "signal_type": row.signal_type,
            "value_key": value_key(row.signal_type, row.value),
            "value": row.value,
            "category": category.value,
            "source_label": row.label,
            "source_id": row.source_id,
            "extra": row.extra,
        }

    @staticmethod
    def _conflicts(s: Session, token: str) -> list[RowError]:
        """Rows whose hash appears earlier in the file with another category or action."""
        keys = s.execute(
            text(
                "SELECT signal_type, value_key FROM import_staging WHERE token = :t "
                "GROUP BY signal_type, value_key "
                "HAVING COUNT(DISTINCT action) > 1 "
                "OR COUNT(DISTINCT CASE WHEN action = 'add' THEN category END) > 1"
            ),
            {"t": token},
        ).all()
        errors = []
        for signal_type, key in keys:
            rows = s.execute(
                text(
                    "SELECT line, action, category, value FROM import_staging WHERE token = :t "
                    "AND signal_type = :st AND value_key = :k ORDER BY id"
                ),
                {"t": token, "st": signal_type, "k": key},
            ).all()
            first_line, first_action, first_category, value = rows[0]
            shown = value if len(value) <= 20 else value[:16] + "..."
            for line, action, category, _ in rows[1:]:
                if action != first_action:
                    errors.append(
                        RowError(
                            line,
                            f"{signal_type} {shown} is to be {action}ed here but "
                            f"{first_action}ed on line {first_line}",
                        )
                    )
                elif action == "add" and category != first_category:
                    errors.append(
                        RowError(
                            line,
                            f"{signal_type} {shown} is graded {category} here but "
                            f"{first_category} on line {first_line}",
                        )
                    )
        return errors

    @staticmethod
    def _drop_conflicting(s: Session, token: str) -> None:
        """With --skip-invalid, a conflicting hash keeps its first row only."""
        s.execute(
            text(
                "DELETE FROM import_staging WHERE token = :t AND id NOT IN ("
                "SELECT MIN(id) FROM import_staging WHERE token = :t "
                "GROUP BY signal_type, value_key)"
            ),
            {"t": token},
        )

    # -- reading -----------------------------------------------------------------------------

    def versions(self, name: str) -> list[BankVersion]:
        with self.store.session() as s:
            bank = self._row(s, name)
            rows = s.scalars(
                select(BankVersionRow)
                .where(BankVersionRow.bank_id == bank.id)
                .order_by(BankVersionRow.version)
            ).all()
            return [
                BankVersion(
                    bank_id=r.bank_id,
                    version=r.version,
                    created_at=r.created_at,
                    operation=r.operation,
                    added=r.added,
                    removed=r.removed,
                    skipped=r.skipped,
                    source_file=r.source_file,
                    source_sha256=r.source_sha256,
                    note=r.note,
                )
                for r in rows
            ]

    def category_counts(self, name: str) -> dict[tuple[str, str], int]:
        """Live entries per (signal type, category)."""
        with self.store.session() as s:
            bank = self._row(s, name)
            return {
                (st, cat): n
                for st, cat, n in s.execute(
                    select(BankEntryRow.signal_type, BankEntryRow.category, func.count())
                    .where(
                        BankEntryRow.bank_id == bank.id, BankEntryRow.removed_change_id.is_(None)
                    )
                    .group_by(BankEntryRow.signal_type, BankEntryRow.category)
                )
            }

    def entries(
        self,
        name: str,
        *,
        signal_type: str | None = None,
        at_version: int | None = None,
    ) -> Iterator[BankEntry]:
        """Entries live at `at_version` (default: now), streamed in insertion order."""
        with self.store.session() as s:
            bank = self._row(s, name)
            version = bank.version if at_version is None else at_version
            yield from self._select_entries(
                s,
                bank.id,
                lambda added, removed: (
                    (added <= version) & (removed.is_(None) | (removed > version))
                ),
                signal_type,
            )

    def diff(
        self, name: str, from_version: int, to_version: int
    ) -> tuple[list[BankEntry], list[BankEntry]]:
        """(added, removed) entries between two versions of a bank. A regraded hash appears in
        both: its old entry removed, its new entry added."""
        if from_version > to_version:
            from_version, to_version = to_version, from_version
        with self.store.session() as s:
            bank = self._row(s, name)
            if to_version > bank.version or from_version < 1:
                raise VersionConflict(
                    f"bank {name!r} has versions 1..{bank.version}; "
                    f"cannot diff {from_version}..{to_version}"
                )
            added = list(
                self._select_entries(
                    s,
                    bank.id,
                    lambda a, r: (
                        (a > from_version) & (a <= to_version) & (r.is_(None) | (r > to_version))
                    ),
                )
            )
            removed = list(
                self._select_entries(
                    s,
                    bank.id,
                    lambda a, r: (a <= from_version) & (r > from_version) & (r <= to_version),
                )
            )
            return added, removed

    @staticmethod
    def _select_entries(s: Session, bank_id: int, condition, signal_type: str | None = None):
        added_v = aliased(BankVersionRow)
        removed_v = aliased(BankVersionRow)
        query = (
            select(BankEntryRow, added_v.version, removed_v.version)
            .join(added_v, added_v.id == BankEntryRow.added_change_id)
            .outerjoin(removed_v, removed_v.id == BankEntryRow.removed_change_id)
            .where(BankEntryRow.bank_id == bank_id, condition(added_v.version, removed_v.version))
            .order_by(BankEntryRow.id)
            .execution_options(yield_per=5000)
        )
        if signal_type:
            query = query.where(BankEntryRow.signal_type == signal_type)
        for row, added, removed in s.execute(query):
            yield _entry(row, added, removed)


def _db_time(s: Session, value: datetime) -> datetime:
    """Bind a timestamp inside text() SQL the way UTCDateTime would."""
    return value.replace(tzinfo=None) if s.get_bind().dialect.name == "sqlite" else value
