"""Match, content and account pages: everything seen about them, linked both ways.

Opening any of them is a read of match data and is audited, as the API's reads are."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bastion import audit, history
from bastion.service.ui.rendering import render
from bastion.service.ui.session import READERS, Viewer, page

router = APIRouter(include_in_schema=False)

CATEGORIES = ("A", "B", "C", "unknown")
STATUSES = ("open", "escalated", "confirmed", "false_positive")


def _not_found(request: Request, viewer: Viewer, what: str) -> Response:
    return render(request, "not_found.html", viewer, status_code=404, what=what)


@router.get("/ui/matches")
def matches_page(
    request: Request,
    category: str | None = None,
    status: str | None = None,
    bank: str | None = None,
    before: int | None = None,
    viewer: Viewer = page(*READERS),
) -> Response:
    store = request.app.state.runtime.store
    category = category if category in CATEGORIES else None
    status = status if status in STATUSES else None
    rows = history.matches(store, category, status, bank or None, 100, before)
    audit.record(
        store,
        viewer.actor.event(
            "matches.list",
            filters={
                k: v for k, v in {"category": category, "status": status, "bank": bank}.items() if v
            },
            ids=[r.match.id for r in rows],
        ),
    )
    return render(
        request,
        "matches.html",
        viewer,
        rows=rows,
        category=category,
        status=status,
        bank=bank or "",
        categories=CATEGORIES,
        statuses=STATUSES,
        older=rows[-1].match.id if len(rows) == 100 else None,
    )


@router.get("/ui/matches/{match_id}")
def match_page(request: Request, match_id: int, viewer: Viewer = page(*READERS)) -> Response:
    store = request.app.state.runtime.store
    try:
        record = history.match_record(store, match_id)
    except history.NotFound:
        return _not_found(request, viewer, f"match {match_id}")
    audit.record(store, viewer.actor.event("matches.read", "match", str(match_id), via="ui"))
    return render(request, "match.html", viewer, record=record)


@router.get("/ui/contents/{content_id}")
def content_page(request: Request, content_id: int, viewer: Viewer = page(*READERS)) -> Response:
    store = request.app.state.runtime.store
    try:
        record = history.content_record(store, content_id)
    except history.NotFound:
        return _not_found(request, viewer, f"content {content_id}")
    audit.record(store, viewer.actor.event("content.read", "content", str(content_id), via="ui"))
    return render(request, "content.html", viewer, record=record)


@router.get("/ui/accounts/{platform}/{account_id:path}")
def account_page(
    request: Request, platform: str, account_id: str, viewer: Viewer = page(*READERS)
) -> Response:
    store = request.app.state.runtime.store
    try:
        record = history.account_record(store, platform, account_id)
    except history.NotFound:
        return _not_found(request, viewer, f"account {account_id} on {platform}")
    audit.record(
        store, viewer.actor.event("account.read", "account", f"{platform}:{account_id}", via="ui")
    )
    return render(request, "account.html", viewer, record=record)


@router.get("/ui/find")
def find(request: Request, q: str = "", viewer: Viewer = page(*READERS)) -> Response:
    found = history.find(request.app.state.runtime.store, q)
    if found is None:
        return render(request, "not_found.html", viewer, status_code=404, what=f"“{q[:80]}”")
    kind, _, rest = found.partition(":")
    if kind == "content":
        return RedirectResponse(f"/ui/contents/{rest}", 303)
    platform, _, account = rest.partition(":")
    return RedirectResponse(f"/ui/accounts/{platform}/{account}", 303)
