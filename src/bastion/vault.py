"""The evidence vault: matched media kept encrypted at rest for as long as the law requires.

- AES-256-GCM, one random 96-bit nonce per item, the content's SHA-256 as associated data (an
  encrypted file cannot be swapped for another item's). The key comes from configuration
  (BASTION_VAULT_KEY, base64 of 32 bytes, or BASTION_VAULT_KEY_FILE); it is never in the
  database. The embedded default creates BASTION_HOME/vault.key (mode 0600) on first use.
- SHA-256 and MD5 are recorded at intake and checked on every read: a changed or truncated
  file is refused with `EvidenceTampered`.
- Retention: one year from the report by default (18 U.S.C. 2258A as amended by the REPORT Act
  2024: one year), extended when a report is filed; a legal hold blocks deletion; `purge`
  deletes expired, unheld items and keeps their record (hashes, dates) for the audit.
- Every store, read, hold and purge is written to the audit trail by the caller's actor.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from bastion import audit
from bastion.audit import Actor
from bastion.config import bastion_home
from bastion.store.db import Store
from bastion.store.models import EvidenceRow
from bastion.store.types import utcnow

DEFAULT_RETENTION = timedelta(days=365)
MAGIC = b"BVLT1"


class VaultError(Exception):
    pass


class VaultKeyError(VaultError):
    pass


class EvidenceTampered(VaultError):
    pass


class EvidenceMissing(VaultError):
    pass


class EvidenceHeld(VaultError):
    pass


def load_key(
    explicit: str | None = None, key_file: Path | None = None, create: bool = True
) -> bytes:
    """The vault key: BASTION_VAULT_KEY (base64), else a key file (created if allowed)."""
    text = explicit or os.environ.get("BASTION_VAULT_KEY")
    if text:
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise VaultKeyError("BASTION_VAULT_KEY is not base64") from None
        if len(key) != 32:
            raise VaultKeyError(
                f"BASTION_VAULT_KEY must decode to 32 bytes (AES-256), not {len(key)}"
            )
        return key
    path = key_file or (
        Path(os.environ["BASTION_VAULT_KEY_FILE"])
        if os.environ.get("BASTION_VAULT_KEY_FILE")
        else bastion_home() / "vault.key"
    )
    if path.is_file():
        key = base64.b64decode(path.read_text().strip())
        if len(key) != 32:
            raise VaultKeyError(f"{path} must hold base64 of 32 bytes")
        return key
    if not create:
        raise VaultKeyError(f"no vault key: set BASTION_VAULT_KEY or create {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, stored with each item (rotation support)."""
    return hashlib.sha256(b"bastion-vault-key-id" + key).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Evidence:
    id: int
    content_id: int
    sha256: str
    md5: str
    size: int
    created_at: datetime
    retain_until: datetime
    legal_hold: bool
    hold_reason: str | None
    purged_at: datetime | None
    last_verified_at: datetime | None


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(
        row.id,
        row.content_id,
        row.sha256,
        row.md5,
        row.size,
        row.created_at,
        row.retain_until,
        row.legal_hold,
        row.hold_reason,
        row.purged_at,
        row.last_verified_at,
    )


def evidence_for(store: Store, content_id: int) -> Evidence | None:
    """The vault record of a content (held or purged), without the key: for pages and reports."""
    with store.session() as s:
        row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
        return _evidence(row) if row else None


@dataclass
class VerifyReport:
    checked: int = 0
    ok: int = 0
    problems: list[str] | None = None

    def __post_init__(self) -> None:
        self.problems = self.problems or []


class Vault:
    def __init__(self, store: Store, key: bytes, root: Path | None = None) -> None:
        if len(key) != 32:
            raise VaultKeyError("the vault key must be 32 bytes")
        self.store = store
        self._aes = AESGCM(key)
        self.key_id = key_id(key)
        self.root = root or bastion_home() / "vault"

    @classmethod
    def from_environment(cls, store: Store) -> Vault:
        return cls(store, load_key())

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.bin"

    def put(
        self, content_id: int, data: bytes, actor: Actor, retention: timedelta = DEFAULT_RETENTION
    ) -> Evidence:
        """Store bytes once per content (a second put of the same content is a no-op)."""
        sha256 = hashlib.sha256(data).hexdigest()
        md5 = hashlib.md5(data).hexdigest()
        with self.store.session() as s:
            existing = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            if existing is not None:
                if existing.sha256 != sha256:
                    raise VaultError(f"content {content_id} is already held with different bytes")
                return _evidence(existing)
            path = self._path(sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            nonce = secrets.token_bytes(12)
            blob = MAGIC + nonce + self._aes.encrypt(nonce, data, sha256.encode())
            tmp = path.with_suffix(".partial")
            with open(tmp, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)
            now = utcnow()
            row = EvidenceRow(
                content_id=content_id,
                sha256=sha256,
                md5=md5,
                size=len(data),
                path=str(path.relative_to(self.root)),
                key_id=self.key_id,
                created_at=now,
                retain_until=now + retention,
                legal_hold=False,
            )
            s.add(row)
            s.flush()
            audit.append(
                s,
                actor.event(
                    "evidence.store",
                    "evidence",
                    str(row.id),
                    content_id=content_id,
                    sha256=sha256,
                    size=len(data),
                ),
            )
            return _evidence(row)

    def _decrypt(self, row: EvidenceRow) -> bytes:
        if row.purged_at is not None:
            raise EvidenceMissing(f"evidence {row.id} was purged on {row.purged_at:%Y-%m-%d}")
        path = self.root / row.path
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing(
                f"evidence {row.id}: its file {row.path} is missing from the vault"
            ) from None
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
            raise EvidenceTampered(f"evidence {row.id}: the vault file is not a Bastion vault item")
        nonce = blob[len(MAGIC) : len(MAGIC) + 12]
        try:
            data = self._aes.decrypt(nonce, blob[len(MAGIC) + 12 :], row.sha256.encode())
        except Exception:
            raise EvidenceTampered(
                f"evidence {row.id}: decryption failed (file changed, or wrong key {self.key_id} vs {row.key_id})"
            ) from None
        if (
            hashlib.sha256(data).hexdigest() != row.sha256
            or hashlib.md5(data).hexdigest() != row.md5
        ):
            raise EvidenceTampered(
                f"evidence {row.id}: hashes differ from those recorded at intake"
            )
        return data

    def read(self, content_id: int, actor: Actor, purpose: str) -> bytes:
        """The original bytes, checked against the intake hashes. The access is audited (and
        committed) before the check, so a refused read of tampered evidence is on record."""
        with self.store.session() as s:
            row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            if row is None:
                raise EvidenceMissing(f"no evidence held for content {content_id}")
            audit.append(
                s,
                actor.event(
                    "evidence.read", "evidence", str(row.id), content_id=content_id, purpose=purpose
                ),
            )
            s.expunge(row)
        data = self._decrypt(row)
        with self.store.session() as s:
            fresh = s.get(EvidenceRow, row.id)
            fresh.last_verified_at = utcnow()
        return data

    def get(self, content_id: int) -> Evidence | None:
        with self.store.session() as s:
            row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            return _evidence(row) if row else None

    def extend(self, content_id: int, until: datetime, actor: Actor, reason: str) -> Evidence:
        with self.store.session() as s:
            row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            if row is None:
                raise EvidenceMissing(f"no evidence held for content {content_id}")
            if until > row.retain_until:
                row.retain_until = until
                audit.append(
                    s,
                    actor.event(
                        "evidence.retain", "evidence", str(row.id), until=until, reason=reason
                    ),
                )
            return _evidence(row)

    def hold(self, content_id: int, actor: Actor, reason: str, on: bool = True) -> Evidence:
        with self.store.session() as s:
            row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            if row is None:
                raise EvidenceMissing(f"no evidence held for content {content_id}")
            row.legal_hold = on
            row.hold_reason = reason if on else None
            audit.append(
                s,
                actor.event(
                    "evidence.hold" if on else "evidence.release",
                    "evidence",
                    str(row.id),
                    reason=reason,
                ),
            )
            return _evidence(row)

    def purge_expired(self, actor: Actor, now: datetime | None = None) -> list[int]:
        """Delete the bytes of expired items without a legal hold; keep their records."""
        now = now or utcnow()
        purged = []
        with self.store.session() as s:
            rows = s.scalars(
                select(EvidenceRow).where(
                    EvidenceRow.purged_at.is_(None),
                    EvidenceRow.retain_until <= now,
                    EvidenceRow.legal_hold.is_(False),
                )
            ).all()
            for row in rows:
                (self.root / row.path).unlink(missing_ok=True)
                row.purged_at = now
                purged.append(row.id)
                audit.append(
                    s,
                    actor.event(
                        "evidence.purge",
                        "evidence",
                        str(row.id),
                        sha256=row.sha256,
                        retain_until=row.retain_until,
                    ),
                )
        return purged

    def delete(self, content_id: int, actor: Actor, reason: str) -> None:
        """Delete one item before its time (refused under a legal hold)."""
        with self.store.session() as s:
            row = s.scalar(select(EvidenceRow).where(EvidenceRow.content_id == content_id))
            if row is None:
                raise EvidenceMissing(f"no evidence held for content {content_id}")
            if row.legal_hold:
                raise EvidenceHeld(
                    f"evidence {row.id} is under a legal hold ({row.hold_reason}); release it first"
                )
            (self.root / row.path).unlink(missing_ok=True)
            row.purged_at = utcnow()
            audit.append(s, actor.event("evidence.delete", "evidence", str(row.id), reason=reason))

    def verify(self, actor: Actor) -> VerifyReport:
        """Decrypt and hash-check every held item."""
        report = VerifyReport()
        with self.store.session() as s:
            rows = s.scalars(
                select(EvidenceRow).where(EvidenceRow.purged_at.is_(None)).order_by(EvidenceRow.id)
            ).all()
            for row in rows:
                report.checked += 1
                try:
                    self._decrypt(row)
                except VaultError as exc:
                    report.problems.append(str(exc))
                else:
                    report.ok += 1
                    row.last_verified_at = utcnow()
            audit.append(
                s,
                actor.event(
                    "evidence.verify", checked=report.checked, problems=len(report.problems)
                ),
            )
        return report
