"""API keys: shown once, stored hashed, identified by a prefix, with role, expiry, revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from bastion.store.db import Store
from bastion.store.models import ApiKeyRow
from bastion.store.types import utcnow

KEY_PREFIX = "bst_"


class Role(StrEnum):
    PLATFORM = "platform"
    REVIEWER = "reviewer"
    INVESTIGATOR = "investigator"
    LEGAL = "legal"
    ADMIN = "admin"
    AUDITOR = "auditor"


class KeyError_(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    prefix: str
    role: Role
    name: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def usable(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        prefix=row.prefix,
        role=Role(row.role),
        name=row.name,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def secret_hash(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is as strong as a slow KDF here.
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str | None:
    """'bst_1a2b3c4d_...' -> 'bst_1a2b3c4d' (None if not shaped like a Bastion key)."""
    if not secret.startswith(KEY_PREFIX):
        return None
    head, sep, _ = secret[len(KEY_PREFIX) :].partition("_")
    if not sep or len(head) != 8:
        return None
    return KEY_PREFIX + head


def create_key(
    store: Store, role: str, name: str, created_by: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is returned once and never stored."""
    try:
        role_ = Role(role)
    except ValueError:
        raise KeyError_(f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None
    if expires_at is not None and expires_at <= utcnow():
        raise KeyError_("the expiry must be in the future")
    prefix = KEY_PREFIX + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    with store.session() as s:
        row = ApiKeyRow(
            prefix=prefix,
            secret_hash=secret_hash(secret),
            role=role_.value,
            name=name,
            created_at=utcnow(),
            created_by=created_by,
            expires_at=expires_at,
        )
        s.add(row)
        s.flush()
        return _key(row), secret


def find_key(store: Store, secret: str) -> ApiKey | None:
    """The usable key whose secret this is, else None (unknown, wrong, revoked or expired)."""
    prefix = prefix_of(secret)
    if prefix is None:
        return None
    with store.session() as s:
        row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        if row is None or not hmac.compare_digest(row.secret_hash, secret_hash(secret)):
            return None
        key = _key(row)
    return key if key.usable() else None


def touch(store: Store, key_id: int) -> None:
    with store.session() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is not None:
            row.last_used_at = utcnow()


def list_keys(store: Store) -> list[ApiKey]:
    with store.session() as s:
        return [_key(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def revoke_key(store: Store, prefix: str) -> ApiKey:
    with store.session() as s:
        row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        if row is None:
            raise KeyError_(f"no API key with prefix {prefix!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return _key(row)
