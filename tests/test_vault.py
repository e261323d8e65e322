"""The evidence vault: encryption at rest, intake hashes checked on read, retention, holds."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

import pytest

from bastion.audit import Actor
from bastion.store.models import ContentRow
from bastion.store.types import utcnow
from bastion.synthetic import photo_like_jpeg
from bastion.vault import (
    EvidenceHeld,
    EvidenceMissing,
    EvidenceTampered,
    Vault,
    VaultKeyError,
    load_key,
)

ACTOR = Actor("tester", "admin")


def content(store, sha: str = "ab" * 32) -> int:
    with store.session() as s:
        row = ContentRow(sha256=sha, media_kind="image", first_seen=utcnow(), last_seen=utcnow())
        s.add(row)
        s.flush()
        return row.id


@pytest.fixture
def vault(store, tmp_path) -> Vault:
    return Vault(store, secrets.token_bytes(32), tmp_path / "vault")


def test_bytes_are_encrypted_at_rest_and_read_back_checked(vault, store) -> None:
    data = photo_like_jpeg(1)
    cid = content(store)
    ev = vault.put(cid, data, ACTOR)
    stored = (vault.root / next(vault.root.rglob("*.bin")).relative_to(vault.root)).read_bytes()
    assert data[:64] not in stored and data[1000:1064] not in stored
    assert vault.read(cid, ACTOR, "review") == data
    assert ev.retain_until - ev.created_at == timedelta(days=365)


def test_a_changed_vault_file_is_refused(vault, store) -> None:
    cid = content(store)
    vault.put(cid, photo_like_jpeg(2), ACTOR)
    path = next(vault.root.rglob("*.bin"))
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(EvidenceTampered):
        vault.read(cid, ACTOR, "review")
    report = vault.verify(ACTOR)
    assert report.checked == 1 and len(report.problems) == 1


def test_a_missing_file_and_the_wrong_key_are_reported(vault, store, tmp_path) -> None:
    cid = content(store)
    vault.put(cid, photo_like_jpeg(3), ACTOR)
    other = Vault(store, secrets.token_bytes(32), vault.root)
    with pytest.raises(EvidenceTampered, match="wrong key"):
        other.read(cid, ACTOR, "review")
    next(vault.root.rglob("*.bin")).unlink()
    with pytest.raises(EvidenceMissing, match="missing from the vault"):
        vault.read(cid, ACTOR, "review")


def test_purge_deletes_only_expired_unheld_items_and_keeps_their_records(vault, store) -> None:
    a, b, c = content(store, "a" * 64), content(store, "b" * 64), content(store, "c" * 64)
    vault.put(a, b"expired", ACTOR, retention=timedelta(seconds=-1))
    vault.put(b, b"held", ACTOR, retention=timedelta(seconds=-1))
    vault.put(c, b"current", ACTOR)
    vault.hold(b, ACTOR, "court order 123")
    purged = vault.purge_expired(ACTOR)
    assert len(purged) == 1
    assert vault.get(a).purged_at is not None and vault.get(a).sha256
    with pytest.raises(EvidenceMissing, match="purged"):
        vault.read(a, ACTOR, "review")
    assert vault.read(b, ACTOR, "review") == b"held"
    with pytest.raises(EvidenceHeld):
        vault.delete(b, ACTOR, "tidy up")


def test_every_access_is_audited(vault, store) -> None:
    from bastion import audit

    cid = content(store)
    vault.put(cid, b"x" * 100, ACTOR)
    vault.read(cid, ACTOR, "hotline report")
    actions = [r.action for r in reversed(audit.tail(store))]
    assert actions[-2:] == ["evidence.store", "evidence.read"]


def test_key_comes_from_configuration(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("BASTION_VAULT_KEY", raising=False)
    key_file = tmp_path / "k"
    key = load_key(key_file=key_file)
    assert len(key) == 32 and oct(key_file.stat().st_mode)[-3:] == "600"
    assert load_key(key_file=key_file) == key
    with pytest.raises(VaultKeyError, match="32 bytes"):
        load_key(base64.b64encode(b"short").decode())
