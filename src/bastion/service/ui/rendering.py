"""Templates, the filters they use, the navigation each role sees, and the headers every UI
response carries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

import bastion
from bastion.service.ui import session
from bastion.service.ui.session import Viewer
from bastion.store.types import utcnow

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Pages are private and short-lived; nothing about a case belongs in a browser or proxy cache.
# No inline script or style anywhere, so the policy can forbid both.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

NAV = (
    ("Dashboard", "/ui/dashboard", session.OVERSIGHT),
    ("Review", "/ui/review", session.REVIEWERS),
    ("Matches", "/ui/matches", session.READERS),
    ("Deliveries", "/ui/deliveries", session.DELIVERIES),
    ("Legal desk", "/ui/legal", session.LEGAL_DESK),
    ("Reports", "/ui/reports", session.REPORTS),
    ("Transparency", "/ui/transparency", session.TRANSPARENCY),
    ("Audit", "/ui/audit", session.AUDITORS),
)


def landing(viewer: Viewer) -> str | None:
    """The first page the viewer's role may open."""
    return next((path for _, path, roles in NAV if viewer.may(roles)), None)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes} min" if hours < 10 and minutes else f"{hours} h"
    return f"{seconds / 86400:.1f} d"


def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    return duration((utcnow() - value).total_seconds()) + " ago"


def age_seconds(value: datetime | None) -> float:
    return (utcnow() - value).total_seconds() if value else 0.0


def brief(value: object, n: int = 160) -> str:
    """A detail value short enough for a table cell (the audit page)."""
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= n else text[:n] + f"… ({len(text):,} characters)"


def short(value: str | None, n: int = 12) -> str:
    if not value:
        return ""
    return value if len(value) <= n + 1 else value[:n] + "…"


def number(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def size(value: int | None) -> str:
    if value is None:
        return ""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)


templates.env.filters.update(
    when=when,
    duration=duration,
    ago=ago,
    age_seconds=age_seconds,
    brief=brief,
    short=short,
    number=number,
    size=size,
)
templates.env.globals.update(version=bastion.__version__, csrf_field=session.CSRF_FIELD)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    viewer: Viewer | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    nav = [(label, path) for label, path, roles in NAV if viewer is not None and viewer.may(roles)]
    return templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "nav": nav,
            "path": request.url.path,
            "can_find": viewer is not None and viewer.may(session.READERS),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )
