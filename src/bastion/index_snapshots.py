"""The still-image PDQ index kept on disk beside the store, so that a process opens a
10-million-hash index in about a second (memory-mapped) instead of reading every entry from
the database and building it again (about a minute).

A snapshot is a folder `BASTION_HOME/index/<database>/snap-<id>/` holding the index file and
`meta.json`: the bank changes (bank_versions ids with their timestamps) it contains. A file
`CURRENT` names the newest folder; it is replaced atomically, so readers never see a half
written snapshot. On open, every recorded change must still exist in the database with the same
timestamp (otherwise the snapshot belongs to another database or a restored one, and is
ignored); the matcher then applies only the changes made since.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from bastion.config import bastion_home
from bastion.index import IndexFileError, MihPdqIndex
from bastion.matching import Matcher
from bastion.store.db import Store
from bastion.store.models import BankVersionRow

log = logging.getLogger("bastion.index")
INDEX_FILE = "stills.bidx"


def folder_for(store: Store, root: Path | None = None) -> Path:
    """One folder per database (by its URL without password)."""
    key = hashlib.sha256(store.describe().encode()).hexdigest()[:16]
    return (root or bastion_home() / "index") / key


def _changes(store: Store, ids: Sequence[int]) -> dict[int, str]:
    with store.session() as s:
        rows = (
            s.execute(
                select(BankVersionRow.id, BankVersionRow.created_at).where(
                    BankVersionRow.id.in_(ids)
                )
            ).all()
            if ids
            else []
        )
    return {i: t.isoformat() for i, t in rows}


def load(store: Store, folder: Path) -> tuple[MihPdqIndex, set[int]] | None:
    """The newest valid snapshot's index and applied changes, or None."""
    try:
        current = (folder / "CURRENT").read_text().strip()
        snap = folder / current
        meta = json.loads((snap / "meta.json").read_text())
        applied = {int(k): v for k, v in meta["applied"].items()}
    except (OSError, ValueError, KeyError):
        return None
    if _changes(store, sorted(applied)) != applied:
        log.info("index snapshot %s does not belong to this database's history; ignoring it", snap)
        return None
    try:
        index = MihPdqIndex.open(snap / INDEX_FILE)
    except IndexFileError as exc:
        log.warning("index snapshot unusable, rebuilding: %s", exc)
        return None
    return index, set(applied)


def save(matcher: Matcher, folder: Path) -> Path:
    """Write a new snapshot of the matcher's still index and make it CURRENT."""
    folder.mkdir(parents=True, exist_ok=True)
    snap = folder / f"snap-{uuid.uuid4().hex[:12]}"
    snap.mkdir()
    matcher.still_index.save(snap / INDEX_FILE)
    applied = _changes(matcher.store, sorted(matcher.applied))
    (snap / "meta.json").write_text(json.dumps({"applied": applied}))
    pointer = folder / f".CURRENT-{uuid.uuid4().hex[:8]}"
    pointer.write_text(snap.name + "\n")
    os.replace(pointer, folder / "CURRENT")
    for old in folder.glob("snap-*"):
        if old != snap:
            shutil.rmtree(old, ignore_errors=True)  # open readers keep their mapped files
    return snap


def open_matcher(
    store: Store,
    banks: Sequence[str] | None = None,
    folder: Path | None = None,
    save_if_behind: int = 50_000,
) -> Matcher:
    """A matcher from the newest snapshot plus the changes since (or built from the store),
    saving a new snapshot when it had to build or apply more than `save_if_behind` entries."""
    folder = folder or folder_for(store)
    loaded = load(store, folder)
    if loaded is None:
        matcher = Matcher(store, banks=banks)
        behind = matcher.pdq_entries
    else:
        index, applied = loaded
        before = len(index)
        matcher = Matcher(store, banks=banks, index=index, applied=applied)
        behind = abs(matcher.pdq_entries - before)
    if loaded is None or behind > save_if_behind:
        try:
            save(matcher, folder)
        except OSError as exc:
            log.warning("could not save an index snapshot in %s: %s", folder, exc)
    return matcher
