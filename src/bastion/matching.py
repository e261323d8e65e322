"""Signals + banks -> matches: thresholds per bank, allow-lists, categories, dihedral variants,
video.

Matching never decodes media: it takes the hashes hashing produced (`Query.of(media_hashes)`)
or hashes given as text, and answers from the banks in the store through the indexes.

Videos are matched two ways, both through PDQ indexes of frame hashes:
- against listed *videos* (vPDQ entries): each unique usable query frame is searched in an
  index of the listed videos' frames; every listed video with a frame hit is then scored with
  the vPDQ comparison (shares of query and listed frames matched) and kept when it meets its
  bank's rule (query % >= vpdq_query_percent and listed % >= vpdq_listed_percent);
- against listed *still images* (PDQ entries): a listed picture shown for a few seconds in a
  video is found by its frames; the match says when (time ranges).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import and_, or_, select

from bastion.banks.model import Bank, Category, Kind
from bastion.hashing import MediaHashes
from bastion.index import MihPdqIndex, PdqIndex, pdq_codes
from bastion.signals.pdq import DIHEDRAL_NAMES, MAX_THRESHOLD, QUALITY_THRESHOLD, ZERO_HEX, PdqHash
from bastion.signals.pdq_views import PdqView
from bastion.signals.vpdq import VpdqHash, parse_vpdq
from bastion.signals.vpdq_score import score, time_ranges
from bastion.store.banks import BankStore, value_key
from bastion.store.db import Store
from bastion.store.models import BankEntryRow, BankVersionRow

EXACT_TYPES = ("md5", "sha1", "sha256")
INDEXED_TYPES = ("pdq", "vpdq")


@dataclass(frozen=True, slots=True)
class Query:
    """One item's hashes. `variants` names the PDQ dihedral variants to search; `views` are
    extra PDQ views of the picture (trimmed, zoom-out) searched beside them."""

    exact: Mapping[str, str] = field(default_factory=dict)
    pdq: PdqHash | None = None
    variants: tuple[str, ...] = ("original",)
    vpdq: VpdqHash | None = None
    label: str = ""
    views: tuple[PdqView, ...] = ()

    @classmethod
    def of(cls, hashes: MediaHashes, dihedral: bool = True, views: bool = True) -> Query:
        """The query for a hashed file: its digests, its vPDQ if it is a video, and its PDQ
        with all 8 variants when `dihedral`, else the stored and the EXIF-upright ones; with
        `views`, also its trimmed and zoom-out views (docs/robustness.md). Plain PDQ, as HMA
        and python-threatexchange match, is `dihedral=False, views=False`."""
        exact = {}
        if hashes.digests:
            d = hashes.digests
            exact = {"md5": d.md5, "sha1": d.sha1, "sha256": d.sha256}
        if dihedral:
            variants = DIHEDRAL_NAMES
        else:
            shown = hashes.image.display_variant if hashes.image else "original"
            variants = tuple(dict.fromkeys(("original", shown)))
        extra = tuple(v for v in hashes.pdq_views if v.name not in DIHEDRAL_NAMES)
        return cls(
            exact=exact,
            pdq=hashes.pdq,
            variants=variants,
            vpdq=hashes.vpdq,
            label=hashes.source,
            views=extra if views else (),
        )

    @property
    def lookups(self) -> int:
        """How many PDQ hashes this query searches (the cost the views add)."""
        if self.pdq is None:
            return 0
        return len(self.variants) + len(self.views)

    @classmethod
    def of_value(cls, signal_type: str, value: str, label: str = "") -> Query:
        if signal_type == "pdq":
            return cls(pdq=PdqHash.parse(value), label=label)
        if signal_type == "vpdq":
            return cls(vpdq=parse_vpdq(value), label=label)
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
    # The PDQ view that matched: a dihedral variant, "trimmed" or "zoom-out"; "frame" for video.
    variant: str | None = None
    query_percent: float | None = None  # vPDQ: share of the query's frames found
    listed_percent: float | None = None  # vPDQ: share of the listed video's frames found
    time_ranges: tuple[tuple[float, float], ...] = ()  # where in the query video, in seconds

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


@dataclass(frozen=True, slots=True)
class _Entry:
    """What a match reports of a bank entry. Entries never change once listed (only removal,
    which `refresh` applies), so these are kept in memory for entries that have matched."""

    id: int
    bank_id: int
    signal_type: str
    value: str
    category: str
    source_label: str | None
    source_id: str | None


ENTRY_CACHE_SIZE = 20_000  # entries that matched recently; listed videos' frame sets are not kept


@dataclass(frozen=True, slots=True)
class _Hit:
    entry_id: int
    distance: int
    variant: str | None = None
    query_percent: float | None = None
    listed_percent: float | None = None
    time_ranges: tuple[tuple[float, float], ...] = ()


class Matcher:
    """Matches queries against the active banks of a store.

    The PDQ indexes (still images; frames of listed videos) are built once and then kept
    current with `refresh()`, which applies only the bank changes it has not seen.
    """

    def __init__(
        self,
        store: Store,
        banks: Sequence[str] | None = None,
        index: PdqIndex | None = None,
        frame_index: PdqIndex | None = None,
        applied: Iterable[int] | None = None,
    ) -> None:
        self.store = store
        self._bank_names = tuple(banks) if banks else None
        self._index: PdqIndex = index if index is not None else MihPdqIndex()
        self._frames: PdqIndex = frame_index if frame_index is not None else MihPdqIndex()
        self._banks: dict[int, Bank] = {}
        # Bank changes (bank_versions ids) already in the still index; a snapshot restores it.
        self._applied: set[int] = set(applied or ())
        self._videos_loaded = False
        self._video_bank: dict[int, int] = {}
        self._frame_entry: dict[int, int] = {}
        self._entry_frames: dict[int, list[int]] = {}
        self._next_frame = 1
        self._entry_cache: dict[int, _Entry] = {}
        self._entry_lock = threading.Lock()
        self.refresh()

    @property
    def pdq_entries(self) -> int:
        return len(self._index)

    @property
    def applied(self) -> frozenset[int]:
        return frozenset(self._applied)

    @property
    def still_index(self) -> PdqIndex:
        return self._index

    @property
    def video_entries(self) -> int:
        return len(self._video_bank)

    @property
    def banks(self) -> list[Bank]:
        return sorted(self._banks.values(), key=lambda b: b.name)

    def refresh(self) -> int:
        """Apply bank changes made since the last refresh; returns how many were applied.

        Cheap when nothing changed (one query of change ids), and safe beside concurrent
        matching: the index takes adds and removes while searches continue."""
        with self.store.session() as s:
            versions = set(s.scalars(select(BankVersionRow.id)))
        new = sorted(versions - self._applied)
        if not new and self._videos_loaded:
            return 0
        bank_store = BankStore(self.store)
        all_banks = {b.id: b for b in bank_store.list(counts=False)}
        if self._bank_names is not None:
            by_name = {b.name: b for b in all_banks.values()}
            missing = [n for n in self._bank_names if n not in by_name]
            if missing:
                bank_store.get(missing[0])  # raises BankNotFound with the known names
            all_banks = {by_name[n].id: by_name[n] for n in self._bank_names}
        self._banks = all_banks
        with self.store.session() as s:
            live = BankEntryRow.removed_change_id.is_(None)
            columns = (
                BankEntryRow.id,
                BankEntryRow.bank_id,
                BankEntryRow.signal_type,
                BankEntryRow.value,
            )
            added: list = []
            removed: list[int] = []
            if not self._applied:
                added = s.execute(
                    select(*columns).where(BankEntryRow.signal_type == "pdq", live)
                ).all()
            elif new:
                added = s.execute(
                    select(*columns).where(
                        BankEntryRow.signal_type == "pdq",
                        live,
                        BankEntryRow.added_change_id.in_(new),
                    )
                ).all()
                removed = list(
                    s.scalars(
                        select(BankEntryRow.id).where(
                            BankEntryRow.signal_type.in_(INDEXED_TYPES),
                            BankEntryRow.removed_change_id.in_(new),
                        )
                    )
                )
            if not self._videos_loaded:
                added += s.execute(
                    select(*columns).where(BankEntryRow.signal_type == "vpdq", live)
                ).all()
            elif new:
                added += s.execute(
                    select(*columns).where(
                        BankEntryRow.signal_type == "vpdq",
                        live,
                        BankEntryRow.added_change_id.in_(new),
                    )
                ).all()
        self._remove(removed)
        stills = [r for r in added if r[2] == "pdq"]
        if stills:
            present = self._index.contains(
                np.fromiter((r[0] for r in stills), dtype=np.int64, count=len(stills))
            )
            self._add_stills([r for r, here in zip(stills, present, strict=True) if not here])
        self._add_videos([r for r in added if r[2] == "vpdq" and r[0] not in self._video_bank])
        self._applied |= set(new)
        self._videos_loaded = True
        return len(new)

    def _remove(self, ids: list[int]) -> None:
        with self._entry_lock:
            for i in ids:
                self._entry_cache.pop(i, None)
        if ids:
            self._index.remove(np.asarray(ids, dtype=np.int64))  # absent ids are ignored
        frames = []
        for i in ids:
            if i in self._video_bank:
                del self._video_bank[i]
                for frame in self._entry_frames.pop(i, []):
                    frames.append(frame)
                    del self._frame_entry[frame]
        if frames:
            self._frames.remove(np.asarray(frames, dtype=np.int64))

    def _add_stills(self, rows: list) -> None:
        if rows:
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._index.add(ids, pdq_codes(r[3] for r in rows))

    def _add_videos(self, rows: list) -> None:
        ids: list[int] = []
        hexes: list[str] = []
        for entry_id, bank_id, _, value in rows:
            unique = sorted(parse_vpdq(value).usable_hashes)
            frame_ids = list(range(self._next_frame, self._next_frame + len(unique)))
            self._next_frame += len(unique)
            self._video_bank[entry_id] = bank_id
            self._entry_frames[entry_id] = frame_ids
            self._frame_entry.update(dict.fromkeys(frame_ids, entry_id))
            ids += frame_ids
            hexes += unique
        if ids:
            self._frames.add(np.asarray(ids, dtype=np.int64), pdq_codes(hexes))

    def match(self, query: Query) -> MatchResult:
        return self.match_many([query])[0]

    def match_many(self, queries: Sequence[Query]) -> list[MatchResult]:
        hits: list[list[_Hit]] = [[] for _ in queries]
        exact: list[list[int]] = [[] for _ in queries]
        notes: list[list[str]] = [[] for _ in queries]
        self._match_exact(queries, exact)
        self._match_pdq(queries, hits, notes)
        self._match_video(queries, hits)
        entry_ids = {h.entry_id for per in hits for h in per} | {e for per in exact for e in per}
        rows = self._entries(entry_ids)
        results = []
        for qi in range(len(queries)):
            found = [self._match_of(rows[e], _Hit(e, 0)) for e in exact[qi]]
            found += [self._match_of(rows[h.entry_id], h) for h in hits[qi]]
            results.append(self._resolve(found, notes[qi]))
        return results

    def _entries(self, ids: set[int]) -> dict[int, _Entry]:
        """The listed entries `ids`, from memory when they matched before (one query for the
        rest): a forwarded picture that matches again costs no database round trip."""
        with self._entry_lock:
            found = {i: e for i in ids if (e := self._entry_cache.get(i)) is not None}
        missing = ids - found.keys()
        if not missing:
            return found
        with self.store.session() as s:
            rows = s.scalars(select(BankEntryRow).where(BankEntryRow.id.in_(missing))).all()
            fetched = {
                r.id: _Entry(
                    r.id, r.bank_id, r.signal_type, r.value, r.category, r.source_label, r.source_id
                )
                for r in rows
            }
        with self._entry_lock:
            for entry in fetched.values():
                if entry.signal_type == "vpdq":
                    continue
                if len(self._entry_cache) >= ENTRY_CACHE_SIZE:
                    del self._entry_cache[next(iter(self._entry_cache))]  # the oldest
                self._entry_cache[entry.id] = entry
        return found | fetched

    def _match_exact(self, queries: Sequence[Query], found: list[list[int]]) -> None:
        wanted: dict[tuple[str, str], list[int]] = {}
        for qi, q in enumerate(queries):
            for signal_type, value in q.exact.items():
                if signal_type in EXACT_TYPES:
                    wanted.setdefault((signal_type, value_key(signal_type, value)), []).append(qi)
        if not wanted or not self._banks:
            return
        pairs = list(wanted)
        with self.store.session() as s:
            # An upload's md5, sha1 and sha256 go in one statement (one round trip, not three).
            for start in range(0, len(pairs), 500):
                by_type: dict[str, list[str]] = {}
                for signal_type, key in pairs[start : start + 500]:
                    by_type.setdefault(signal_type, []).append(key)
                rows = s.execute(
                    select(BankEntryRow.id, BankEntryRow.signal_type, BankEntryRow.value_key).where(
                        or_(
                            *(
                                and_(
                                    BankEntryRow.signal_type == signal_type,
                                    BankEntryRow.value_key.in_(keys),
                                )
                                for signal_type, keys in by_type.items()
                            )
                        ),
                        BankEntryRow.removed_change_id.is_(None),
                        BankEntryRow.bank_id.in_(list(self._banks)),
                    )
                )
                for entry_id, signal_type, key in rows:
                    for qi in wanted[(signal_type, key)]:
                        found[qi].append(entry_id)

    def _radius(self) -> int:
        return min(max((b.pdq_threshold for b in self._banks.values()), default=0), MAX_THRESHOLD)

    def _match_pdq(
        self, queries: Sequence[Query], found: list[list[_Hit]], notes: list[list[str]]
    ) -> None:
        codes: list[str] = []
        owner: list[tuple[int, str]] = []
        for qi, q in enumerate(queries):
            if q.pdq is None:
                continue
            if not q.pdq.usable:
                notes[qi].append(f"PDQ not used for matching: {q.pdq.unusable_reason}")
            else:
                for variant in q.variants:
                    index = DIHEDRAL_NAMES.index(variant)
                    if index < len(q.pdq.dihedral):
                        codes.append(q.pdq.dihedral[index])
                        owner.append((qi, variant))
            # A letterboxed picture may be too flat as a whole yet usable once trimmed.
            for view in q.views:
                if view.quality >= QUALITY_THRESHOLD and view.hex != ZERO_HEX:
                    codes.append(view.hex)
                    owner.append((qi, view.name))
        if not codes or not len(self._index):
            return
        hits = self._index.search(pdq_codes(codes), self._radius()).as_tuples()
        banks = self._banks_of({entry_id for _, entry_id, _ in hits})
        best: dict[tuple[int, int], tuple[int, str]] = {}
        for code_index, entry_id, distance in hits:
            bank = banks.get(entry_id)
            if bank is None or distance > bank.pdq_threshold:
                continue
            qi, variant = owner[code_index]
            current = best.get((qi, entry_id))
            if current is None or distance < current[0]:
                best[(qi, entry_id)] = (distance, variant)
        for (qi, entry_id), (distance, variant) in best.items():
            found[qi].append(_Hit(entry_id, distance, variant))

    def _banks_of(self, entry_ids: set[int]) -> dict[int, Bank]:
        """The active bank of each entry (entries of other banks are left out)."""
        if not entry_ids:
            return {}
        return {
            i: self._banks[e.bank_id]
            for i, e in self._entries(entry_ids).items()
            if e.bank_id in self._banks
        }

    def _match_video(self, queries: Sequence[Query], found: list[list[_Hit]]) -> None:
        for qi, q in enumerate(queries):
            if q.vpdq is None:
                continue
            frames = [f for f in q.vpdq.frames if f.usable]
            unique = list(dict.fromkeys(f.pdq for f in frames))
            if not unique:
                continue
            codes = pdq_codes(unique)
            radius = self._radius()
            if len(self._index):
                found[qi] += self._stills_in_video(frames, unique, codes, radius)
            if self._video_bank:
                found[qi] += self._listed_videos(q.vpdq, codes, radius)

    def _stills_in_video(
        self, frames, unique: list[str], codes: np.ndarray, radius: int
    ) -> list[_Hit]:
        per_entry: dict[int, tuple[int, set[str]]] = {}
        hits = self._index.search(codes, radius).as_tuples()
        banks = self._banks_of({entry_id for _, entry_id, _ in hits})
        for code_index, entry_id, distance in hits:
            bank = banks.get(entry_id)
            if bank is None or distance > bank.pdq_threshold:
                continue
            best, hashes = per_entry.get(entry_id, (distance, set()))
            hashes.add(unique[code_index])
            per_entry[entry_id] = (min(best, distance), hashes)
        return [
            _Hit(
                entry_id,
                distance,
                "frame",
                time_ranges=tuple((r.start, r.end) for r in time_ranges(frames, hashes)),
            )
            for entry_id, (distance, hashes) in per_entry.items()
        ]

    def _listed_videos(self, query: VpdqHash, codes: np.ndarray, radius: int) -> list[_Hit]:
        candidates: set[int] = set()
        for _, frame_id, _ in self._frames.search(codes, radius).as_tuples():
            entry_id = self._frame_entry.get(frame_id)
            if entry_id is not None:
                candidates.add(entry_id)
        if not candidates:
            return []
        hits = []
        for entry_id, row in self._entries(candidates).items():
            bank = self._banks.get(self._video_bank.get(entry_id, -1))
            if bank is None:
                continue
            result = score(query, parse_vpdq(row.value), max_frame_distance=bank.pdq_threshold)
            if result.matches(bank.vpdq_query_percent, bank.vpdq_listed_percent):
                hits.append(
                    _Hit(
                        entry_id,
                        100 - math.floor(max(result.query_percent, result.listed_percent)),
                        query_percent=round(result.query_percent, 1),
                        listed_percent=round(result.listed_percent, 1),
                        time_ranges=tuple((r.start, r.end) for r in result.query_ranges),
                    )
                )
        return hits

    def _match_of(self, row: _Entry, hit: _Hit) -> Match:
        bank = self._banks[row.bank_id]
        threshold = {
            "pdq": bank.pdq_threshold,
            "vpdq": 100 - math.floor(bank.vpdq_query_percent),
        }.get(row.signal_type, 0)
        return Match(
            bank=bank.name,
            bank_id=bank.id,
            bank_kind=bank.kind,
            bank_source=bank.source.value,
            entry_id=row.id,
            signal_type=row.signal_type,
            value=row.value,
            distance=hit.distance,
            threshold=threshold,
            category=Category(row.category),
            source_label=row.source_label,
            source_id=row.source_id,
            variant=hit.variant,
            query_percent=hit.query_percent,
            listed_percent=hit.listed_percent,
            time_ranges=hit.time_ranges,
        )

    @staticmethod
    def _resolve(found: Iterable[Match], notes: list[str]) -> MatchResult:
        ordered = sorted(found, key=Match.sort_key)
        allow = tuple(m for m in ordered if m.bank_kind is Kind.ALLOW)
        block = tuple(m for m in ordered if m.bank_kind is Kind.BLOCK)
        if allow:
            return MatchResult(suppressed=block, allowed_by=allow, notes=tuple(notes))
        return MatchResult(matches=block, notes=tuple(notes))
