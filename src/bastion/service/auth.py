"""API-key authentication and per-endpoint roles.

Keys come as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Every endpoint declares its
roles with `require(...)`; the declaration is also published in the OpenAPI schema
(`x-bastion-roles`) and walked by a test that checks every endpoint against every role.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from fastapi import Depends, Request

from bastion.keys import ApiKey, Role
from bastion.service.errors import ApiError

ALL_ROLES = tuple(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKey
    remote_addr: str | None

    @property
    def actor(self) -> str:
        return f"key:{self.key.prefix} ({self.key.name})"

    @property
    def role(self) -> str:
        return self.key.role.value


@dataclass(slots=True)
class _Cached:
    key: ApiKey | None
    expires: float
    refresh_after: float
    refreshing: bool = False


class KeyCache:
    """Verified keys for `ttl` seconds, so most requests need no database read. Revocation
    and expiry therefore take effect within `ttl` seconds.

    A key in use is re-read ahead of time: once an entry is past half its life, exactly one
    caller is told to refresh it (in the background) while every request goes on using it.
    A busy key therefore never expires under load: without this, every `ttl` seconds all the
    requests in flight found it expired at once and each read the store (a stampede that
    stalled lookups for up to a second)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, _Cached] = {}
        self._lock = Lock()

    def get(self, secret: str) -> tuple[bool, ApiKey | None, bool]:
        """(cached, key, refresh): `refresh` is True for the one caller that should re-read it."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(secret)
            if hit is None or hit.expires <= now:
                return False, None, False
            refresh = not hit.refreshing and hit.refresh_after <= now
            if refresh:
                hit.refreshing = True
            return True, hit.key, refresh

    def put(self, secret: str, key: ApiKey | None) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[secret] = _Cached(key, now + self.ttl, now + self.ttl / 2)

    def refresh_failed(self, secret: str) -> None:
        """Let a later caller try again (the entry still expires on time)."""
        with self._lock:
            hit = self._entries.get(secret)
            if hit is not None:
                hit.refreshing = False


def secret_from_headers(authorization: str | None, api_key: str | None) -> str | None:
    """The key from `Authorization: Bearer <key>`, else from `X-API-Key`."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return api_key.strip() if api_key else None


async def authenticate(request: Request) -> Principal:
    """On the event loop: a cached key costs no thread hop; a miss reads the store in the
    thread pool, so a slow database never stalls the loop (`Runtime.key_for`)."""
    runtime = request.app.state.runtime
    secret = secret_from_headers(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    if not secret:
        raise ApiError(
            401, "unauthenticated", "an API key is required (Authorization: Bearer <key>)"
        )
    key = await runtime.key_for(secret)
    if key is None or not key.usable():
        raise ApiError(401, "unauthenticated", "the API key is unknown, revoked or expired")
    client = request.client.host if request.client else None
    return Principal(key=key, remote_addr=client)


def require(*roles: Role):
    """A dependency that admits only keys with one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.key.role not in allowed:
            raise ApiError(
                403,
                "forbidden",
                f"role {principal.role!r} may not use this endpoint "
                f"(allowed: {', '.join(sorted(r.value for r in allowed))})",
            )
        return principal

    dependency.bastion_roles = allowed  # type: ignore[attr-defined]
    return Depends(dependency)


def roles_extra(*roles: Role) -> dict[str, object]:
    return {"x-bastion-roles": sorted(r.value for r in roles)}
