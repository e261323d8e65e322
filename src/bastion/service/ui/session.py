"""Who is looking: the session cookie, the roles each page admits, and CSRF checks.

Every page declares its roles with `page(...)` (the same Role enum as the API's keys); the
declaration is kept on the dependency (`bastion_roles`) so a test can walk every page with every
role. Every state-changing request must carry the session's CSRF token, as the `X-CSRF-Token`
header (htmx sends it from the <body> element) or the `csrf_token` form field.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from bastion import people
from bastion.audit import Actor
from bastion.keys import Role
from bastion.people import User

SESSION_COOKIE = "bastion_session"
SIGNIN_COOKIE = "bastion_signin"  # binds the sign-in form to this browser (login CSRF)
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD")

# Who may open what. The matches, contents and accounts pages admit the API's match readers.
REVIEWERS = (Role.REVIEWER, Role.ADMIN)
READERS = (Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN)
OVERSIGHT = (Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN, Role.AUDITOR)
DELIVERIES = (Role.REVIEWER, Role.ADMIN, Role.AUDITOR)
REPORTS = (Role.REVIEWER, Role.INVESTIGATOR, Role.LEGAL, Role.ADMIN, Role.AUDITOR)
AUDITORS = (Role.AUDITOR,)
LEGAL_DESK = (Role.LEGAL,)
TRANSPARENCY = (Role.LEGAL, Role.AUDITOR, Role.ADMIN)
ANYONE = tuple(Role)


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    csrf: str
    remote_addr: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.user.actor.name, self.user.role.value, self.remote_addr)

    def may(self, roles: tuple[Role, ...]) -> bool:
        return self.user.role in roles


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to continue")
        self.next_path = next_path


class Forbidden(Exception):
    def __init__(self, viewer: Viewer, roles: frozenset[Role]) -> None:
        super().__init__(
            f"your role ({viewer.user.role.value}) cannot open this page; it is for "
            + ", ".join(sorted(r.value for r in roles))
        )
        self.viewer = viewer


class CsrfRejected(Exception):
    def __init__(self, viewer: Viewer | None) -> None:
        super().__init__(
            "the form's security token is missing or out of date; reload the page and try again"
        )
        self.viewer = viewer


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


async def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = request.app.state.runtime.store
    found = await run_in_threadpool(people.session_user, store, token)
    if found is None:
        return None
    user, csrf = found
    return Viewer(user, csrf, _remote(request))


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


async def check_csrf(request: Request, viewer: Viewer) -> None:
    given = request.headers.get(CSRF_HEADER)
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not tokens_match(given, viewer.csrf):
        raise CsrfRejected(viewer)


def page(*roles: Role):
    """A dependency admitting a signed-in person with one of `roles` (and, on anything but
    GET/HEAD, the session's CSRF token). The role is checked before the token, so a wrong role
    is always a 403 naming the roles."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Viewer:
        viewer = await current_viewer(request)
        if viewer is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if viewer.user.role not in allowed:
            raise Forbidden(viewer, allowed)
        if request.method not in SAFE_METHODS:
            await check_csrf(request, viewer)
        return viewer

    dependency.bastion_roles = allowed  # type: ignore[attr-defined]
    return Depends(dependency)
