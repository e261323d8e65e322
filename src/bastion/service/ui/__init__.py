"""The review web UI, served by `bastion serve` under /ui: server-rendered Jinja2 with htmx.

Pages declare their roles (see session.py), every state-changing request carries the session's
CSRF token, every response carries no-store and a strict Content-Security-Policy, and evidence
is shown blurred unless a reviewer deliberately reveals it (see review_pages.py).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse, Response

from bastion.service.ui import (
    dashboard,
    legal_pages,
    operations,
    records,
    review_pages,
    signin,
)
from bastion.service.ui.rendering import HERE, SECURITY_HEADERS, is_htmx, render
from bastion.service.ui.session import CsrfRejected, Forbidden, SignInRequired

ROUTERS = (
    signin.router,
    dashboard.router,
    review_pages.router,
    records.router,
    operations.router,
    legal_pages.router,
)
STATIC_MAX_AGE = "public, max-age=3600"


async def _sign_in_required(request: Request, exc: SignInRequired) -> Response:
    from urllib.parse import quote

    target = f"/ui/sign-in?next={quote(exc.next_path)}"
    if request.method in ("GET", "HEAD") and not is_htmx(request):
        return RedirectResponse(target, 303)
    # htmx follows HX-Redirect; anything else gets a plain 401.
    return Response(
        "your session has ended; sign in again",
        401,
        media_type="text/plain",
        headers={"HX-Redirect": target},
    )


async def _forbidden(request: Request, exc: Forbidden) -> Response:
    return render(request, "forbidden.html", exc.viewer, status_code=403, message=str(exc))


async def _csrf(request: Request, exc: CsrfRejected) -> Response:
    return render(request, "forbidden.html", exc.viewer, status_code=403, message=str(exc))


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfRejected, _csrf)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/ui/", 303)

    app.add_middleware(UiHeaders)


class UiHeaders:
    """Security and caching headers on /ui responses. Plain ASGI, and only for /ui paths:
    an `@app.middleware("http")` wrapper costs every API request a task and a body copy."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/ui"):
            await self.app(scope, receive, send)
            return
        static = path.startswith("/ui/static/")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name.lower() not in headers:
                        headers[name] = value
                if static:
                    headers["Cache-Control"] = STATIC_MAX_AGE
                    if "pragma" in headers:
                        del headers["Pragma"]
            await send(message)

        await self.app(scope, receive, send_with_headers)
