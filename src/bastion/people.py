"""People who sign in to the web UI: Argon2id passwords, sessions, lockout.

After `MAX_FAILURES` wrong passwords in a row an account is locked for `LOCKOUT`; the lock and
every sign-in (success or failure) are audited. Session tokens are random and stored hashed;
each session has its own CSRF token for form posts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select

from bastion import audit
from bastion.audit import Actor
from bastion.keys import Role
from bastion.store.db import Store
from bastion.store.models import UserRow, WebSessionRow
from bastion.store.types import utcnow

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 12
_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) defaults
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class PeopleError(ValueError):
    pass


class LoginFailed(PeopleError):
    """Deliberately the same message for an unknown user and a wrong password."""


class AccountLocked(PeopleError):
    pass


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    daily_reveal_limit: int | None

    @property
    def actor(self) -> Actor:
        return Actor(name=f"user:{self.username}", role=self.role.value)


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.display_name, Role(row.role), row.daily_reveal_limit)


def create_user(
    store: Store,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    actor: Actor | None = None,
) -> User:
    if not _USERNAME.match(username):
        raise PeopleError("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
    try:
        role_ = Role(role)
    except ValueError:
        raise PeopleError(
            f"role {role!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"a password needs at least {MIN_PASSWORD} characters")
    with store.session() as s:
        if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
            raise PeopleError(f"user {username!r} already exists")
        row = UserRow(
            username=username,
            display_name=display_name or username,
            role=role_.value,
            password_hash=_hasher.hash(password),
            created_at=utcnow(),
            failed_logins=0,
        )
        s.add(row)
        s.flush()
        audit.append(
            s, (actor or Actor.cli()).event("user.create", "user", username, role=role_.value)
        )
        return _user(row)


def sign_in(
    store: Store, username: str, password: str, remote_addr: str | None = None
) -> tuple[User, str, str]:
    """(user, session token, csrf token), or LoginFailed / AccountLocked.

    Failures are committed (counter, lock, audit record) before the error is raised."""
    now = utcnow()
    refusal: PeopleError | None = None
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
        who = Actor(
            name=f"user:{username[:64]}",
            role=row.role if row else "unknown",
            remote_addr=remote_addr,
        )
        if row is None or row.disabled_at is not None:
            _hasher.hash(
                password
            )  # same work as a real check: no timing hint that the user is unknown
            audit.append(
                s,
                who.event("auth.login_failed", "user", username[:64], reason="unknown or disabled"),
            )
            refusal = LoginFailed("wrong username or password")
        elif row.locked_until is not None and row.locked_until > now:
            audit.append(s, who.event("auth.login_refused", "user", row.username, reason="locked"))
            refusal = AccountLocked(
                f"too many failed sign-ins; try again after {row.locked_until:%H:%M} UTC"
            )
        else:
            try:
                _hasher.verify(row.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                row.failed_logins += 1
                details: dict[str, object] = {"failures": row.failed_logins}
                if row.failed_logins >= MAX_FAILURES:
                    row.locked_until = now + LOCKOUT
                    row.failed_logins = 0
                    details["locked_until"] = row.locked_until
                audit.append(s, who.event("auth.login_failed", "user", row.username, **details))
                refusal = LoginFailed("wrong username or password")
        if refusal is None:
            row.failed_logins = 0
            row.locked_until = None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            s.add(
                WebSessionRow(
                    token_hash=_token_hash(token),
                    user_id=row.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                    remote_addr=remote_addr,
                )
            )
            audit.append(s, who.event("auth.login", "user", row.username))
            user = _user(row)
    if refusal is not None:
        raise refusal
    return user, token, csrf


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_user(store: Store, token: str) -> tuple[User, str] | None:
    """(user, csrf token) for a live session token, else None."""
    with store.session() as s:
        row = s.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.token_hash == _token_hash(token))
        ).first()
        if row is None:
            return None
        session, user = row
        if session.expires_at <= utcnow() or user.disabled_at is not None:
            return None
        return _user(user), session.csrf_token


def sign_out(store: Store, token: str) -> None:
    with store.session() as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _token_hash(token)))


def set_reveal_limit(
    store: Store, username: str, limit: int | None, actor: Actor | None = None
) -> User:
    """A reviewer's own daily reveal limit (None: the deployment's default)."""
    if limit is not None and limit < 0:
        raise PeopleError("a reveal limit is a number of reveals per day, 0 or more")
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise PeopleError(f"no user {username!r}")
        row.daily_reveal_limit = limit
        audit.append(
            s,
            (actor or Actor.cli()).event("user.reveal_limit", "user", username, limit=limit),
        )
        return _user(row)


def get_user(store: Store, username: str) -> User | None:
    with store.session() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        return _user(row) if row else None


def list_users(store: Store) -> list[User]:
    with store.session() as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]
