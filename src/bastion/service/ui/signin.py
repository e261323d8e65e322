"""Sign-in and sign-out for people (the API's machines use keys instead)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bastion import audit, people
from bastion.service.ui import session
from bastion.service.ui.rendering import landing, render
from bastion.service.ui.session import ANYONE, Viewer, current_viewer, page, tokens_match

router = APIRouter(include_in_schema=False)

COOKIE_PATH = "/ui"


def _safe_next(value: str | None) -> str | None:
    """Only a path inside the UI: never another site ("//host", "https://...")."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _form(request: Request, message: str | None, next_path: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status,
        message=message,
        next_path=next_path or "",
        signin_token=token,
    )
    response.set_cookie(
        session.SIGNIN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/ui/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    viewer = await current_viewer(request)
    if viewer is not None:
        return RedirectResponse(_safe_next(next) or landing(viewer) or "/ui/", 303)
    return _form(request, None, _safe_next(next), 200)


@router.post("/ui/sign-in")
async def sign_in(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    signin_token: str = Form(""),
    next: str = Form(""),
) -> Response:
    if not tokens_match(request.cookies.get(session.SIGNIN_COOKIE), signin_token):
        return _form(
            request,
            "This sign-in form has expired or was not opened in this browser. Please try again.",
            _safe_next(next),
            403,
        )
    store = request.app.state.runtime.store
    remote = request.client.host if request.client else None
    try:
        user, token, _ = await run_in_threadpool(people.sign_in, store, username, password, remote)
    except people.AccountLocked as exc:
        return _form(request, f"This account is locked: {exc}.", _safe_next(next), 423)
    except people.PeopleError as exc:
        return _form(request, f"Sign-in failed: {exc}.", _safe_next(next), 401)
    viewer = Viewer(user, "", remote)
    response = RedirectResponse(_safe_next(next) or landing(viewer) or "/ui/", 303)
    response.set_cookie(
        session.SESSION_COOKIE,
        token,
        max_age=int(people.SESSION_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(session.SIGNIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/ui/sign-out")
async def sign_out(request: Request, viewer: Viewer = page(*ANYONE)) -> Response:
    store = request.app.state.runtime.store
    token = request.cookies.get(session.SESSION_COOKIE, "")
    await run_in_threadpool(people.sign_out, store, token)
    await run_in_threadpool(
        audit.record, store, viewer.actor.event("auth.logout", "user", viewer.user.username)
    )
    response = RedirectResponse("/ui/sign-in", 303)
    response.delete_cookie(session.SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/ui/")
async def home(request: Request, viewer: Viewer = page(*ANYONE)) -> Response:
    target = landing(viewer)
    if target is None:
        return render(request, "no_pages.html", viewer)
    return RedirectResponse(target, 303)
