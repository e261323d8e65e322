"""Signals + banks -> matches: thresholds per bank, allow-lists, categories, dihedral variants.

Matching never decodes media: it takes the hashes hashing produced (`Query.of(media_hashes)`)
or hashes given as text, and answers from the banks in the store through the indexes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from bastion.banks.model import Bank, Category, Kind
from bastion.hashing import MediaHashes
from bastion.index import LinearPdqIndex, PdqIndex, pdq_codes
from bastion.signals.pdq import DIHEDRAL_NAMES, MAX_THRESHOLD, PdqHash
from bastion.store.banks import BankStore, value_key
from bastion.store.db import Store
from bastion.store.models import BankEntryRow, BankVersionRow

EXACT_TYPES = ("md5", "sha1", "sha256")


@dataclass(frozen=True, slots=True)
class Query:
    """One item's hashes. `variants` names the PDQ dihedral variants to search."""

    exact: Mapping[str, str] = field(default_factory=dict)
    pdq: PdqHash | None = None
    variants: tuple[str, ...] = ("original",)
    label: str = ""

    @classmethod
    def of(cls, hashes: MediaHashes, dihedral: bool = True) -> Query:
        """The query for a hashed file: its digests, and its PDQ with all 8 variants when
        `dihedral`, else the stored orientation plus the upright one named by EXIF."""
        exact = {}
        if hashes.digests:
            d = hashes.digests
            exact = {"md5": d.md5, "sha1": d.sha1, "sha256": d.sha256}
        if dihedral:
            variants = DIHEDRAL_NAMES
        else:
            shown = hashes.image.display_variant if hashes.image else "original"
            variants = tuple(dict.fromkeys(("original", shown)))
        return cls(exact=exact, pdq=hashes.pdq, variants=variants, label=hashes.source)

    @classmethod
    def of_value(cls, signal_type: str, value: str, label: str = "") -> Query:
        if signal_type == "pdq":
            return cls(pdq=PdqHash.parse(value), label=label)
        return cls(exact={signal_type: value}, label=label)


@dataclass(frozen=True, slots=True)
class Match:
    bank: str
    bank_id: int
    bank_kind: Kind
    bank_source: str
    entry_id: int
    signal_type: str
    value: str
    distance: int
    threshold: int
    category: Category
    source_label: str | None
    source_id: str | None
    variant: str | None = None  # the PDQ dihedral variant that matched

    def sort_key(self) -> tuple:
        return (-self.category.severity, self.distance, self.bank, self.signal_type, self.entry_id)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Effective block matches; block matches an allow entry suppressed; the allow matches."""

    matches: tuple[Match, ...] = ()
    suppressed: tuple[Match, ...] = ()
    allowed_by: tuple[Match, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    @property
    def category(self) -> Category | None:
        """The most serious category among the effective matches (unknown counts last)."""
        if not self.matches:
            return None
        return max((m.category for m in self.matches), key=lambda c: c.severity)


class Matcher:
    """Matches queries against the active banks of a store.

    The PDQ index is built once and then kept current with `refresh()`, which applies only the
    bank changes it has not seen (no full rebuild).
    """

    def __init__(
        self,
        store: Store,
        banks: Sequence[str] | None = None,
        index: PdqIndex | None = None,
    ) -> None:
        self.store = store
        self._bank_names = tuple(banks) if banks else None
        self._index: PdqIndex = index if index is not None else LinearPdqIndex()
        self._banks: dict[int, Bank] = {}
        self._applied: set[int] = set()
        self._pdq_bank: dict[int, int] = {}
        self.refresh()

    @property
    def pdq_entries(self) -> int:
        return len(self._pdq_bank)

    @property
    def banks(self) -> list[Bank]:
        return sorted(self._banks.values(), key=lambda b: b.name)

    def refresh(self) -> int:
        """Apply bank changes made since the last refresh; returns how many were applied."""
        bank_store = BankStore(self.store)
        all_banks = {b.id: b for b in bank_store.list()}
        if self._bank_names is not None:
            by_name = {b.name: b for b in all_banks.values()}
            missing = [n for n in self._bank_names if n not in by_name]
            if missing:
                bank_store.get(missing[0])  # raises BankNotFound with the known names
            all_banks = {by_name[n].id: by_name[n] for n in self._bank_names}
        self._banks = all_banks
        with self.store.session() as s:
            versions = set(s.scalars(select(BankVersionRow.id)))
            new = sorted(versions - self._applied)
            if not new:
                return 0
            live = BankEntryRow.removed_change_id.is_(None)
            pdq = BankEntryRow.signal_type == "pdq"
            if not self._applied:
                added = s.execute(
                    select(BankEntryRow.id, BankEntryRow.bank_id, BankEntryRow.value).where(
                        pdq, live
                    )
                ).all()
                removed: list[int] = []
            else:
                added = s.execute(
                    select(BankEntryRow.id, BankEntryRow.bank_id, BankEntryRow.value).where(
                        pdq, live, BankEntryRow.added_change_id.in_(new)
                    )
                ).all()
                removed = list(
                    s.scalars(
                        select(BankEntryRow.id).where(pdq, BankEntryRow.removed_change_id.in_(new))
                    )
                )
        removed = [i for i in removed if i in self._pdq_bank]
        if removed:
            self._index.remove(np.asarray(removed, dtype=np.int64))
            for i in removed:
                del self._pdq_bank[i]
        added = [row for row in added if row[0] not in self._pdq_bank]
        if added:
            ids = np.fromiter((r[0] for r in added), dtype=np.int64, count=len(added))
            self._index.add(ids, pdq_codes(r[2] for r in added))
            self._pdq_bank.update((r[0], r[1]) for r in added)
        self._applied |= set(new)
        return len(new)

    def match(self, query: Query) -> MatchResult:
        return self.match_many([query])[0]

    def match_many(self, queries: Sequence[Query]) -> list[MatchResult]:
        found: list[list[Match]] = [[] for _ in queries]
        notes: list[list[str]] = [[] for _ in queries]
        self._match_exact(queries, found)
        self._match_pdq(queries, found, notes)
        return [self._resolve(m, n) for m, n in zip(found, notes, strict=True)]

    def _match_exact(self, queries: Sequence[Query], found: list[list[Match]]) -> None:
        wanted: dict[tuple[str, str], list[int]] = {}
        for qi, q in enumerate(queries):
            for signal_type, value in q.exact.items():
                if signal_type in EXACT_TYPES:
                    wanted.setdefault((signal_type, value_key(signal_type, value)), []).append(qi)
        if not wanted or not self._banks:
            return
        by_type: dict[str, list[str]] = {}
        for signal_type, key in wanted:
            by_type.setdefault(signal_type, []).append(key)
        with self.store.session() as s:
            for signal_type, keys in by_type.items():
                for start in range(0, len(keys), 500):
                    rows = s.scalars(
                        select(BankEntryRow).where(
                            BankEntryRow.signal_type == signal_type,
                            BankEntryRow.value_key.in_(keys[start : start + 500]),
                            BankEntryRow.removed_change_id.is_(None),
                            BankEntryRow.bank_id.in_(list(self._banks)),
                        )
                    )
                    for row in rows:
                        for qi in wanted[(signal_type, row.value_key)]:
                            found[qi].append(self._match_of(row, 0, None))

    def _match_pdq(
        self, queries: Sequence[Query], found: list[list[Match]], notes: list[list[str]]
    ) -> None:
        codes: list[str] = []
        owner: list[tuple[int, str]] = []
        for qi, q in enumerate(queries):
            if q.pdq is None:
                continue
            if not q.pdq.usable:
                notes[qi].append(f"PDQ not used for matching: {q.pdq.unusable_reason}")
                continue
            for variant in q.variants:
                index = DIHEDRAL_NAMES.index(variant)
                if index < len(q.pdq.dihedral):
                    codes.append(q.pdq.dihedral[index])
                    owner.append((qi, variant))
        if not codes or not self._pdq_bank:
            return
        radius = max((b.pdq_threshold for b in self._banks.values()), default=0)
        hits = self._index.search(pdq_codes(codes), min(radius, MAX_THRESHOLD))
        best: dict[tuple[int, int], tuple[int, str]] = {}
        for code_index, entry_id, distance in hits.as_tuples():
            bank = self._banks.get(self._pdq_bank.get(entry_id, -1))
            if bank is None or distance > bank.pdq_threshold:
                continue
            qi, variant = owner[code_index]
            current = best.get((qi, entry_id))
            if current is None or distance < current[0]:
                best[(qi, entry_id)] = (distance, variant)
        if not best:
            return
        with self.store.session() as s:
            rows = {
                r.id: r
                for r in s.scalars(
                    select(BankEntryRow).where(BankEntryRow.id.in_({e for _, e in best}))
                )
            }
        for (qi, entry_id), (distance, variant) in best.items():
            found[qi].append(self._match_of(rows[entry_id], distance, variant))

    def _match_of(self, row: BankEntryRow, distance: int, variant: str | None) -> Match:
        bank = self._banks[row.bank_id]
        return Match(
            bank=bank.name,
            bank_id=bank.id,
            bank_kind=bank.kind,
            bank_source=bank.source.value,
            entry_id=row.id,
            signal_type=row.signal_type,
            value=row.value,
            distance=distance,
            threshold=bank.pdq_threshold if row.signal_type == "pdq" else 0,
            category=Category(row.category),
            source_label=row.source_label,
            source_id=row.source_id,
            variant=variant,
        )

    @staticmethod
    def _resolve(found: Iterable[Match], notes: list[str]) -> MatchResult:
        ordered = sorted(found, key=Match.sort_key)
        allow = tuple(m for m in ordered if m.bank_kind is Kind.ALLOW)
        block = tuple(m for m in ordered if m.bank_kind is Kind.BLOCK)
        if allow:
            return MatchResult(suppressed=block, allowed_by=allow, notes=tuple(notes))
        return MatchResult(matches=block, notes=tuple(notes))
