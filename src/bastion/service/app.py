"""The FastAPI application: `create_app(settings)`; `bastion serve` runs it under uvicorn."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.responses import JSONResponse

import bastion
from bastion.hashing import limit_blas_threads
from bastion.service import errors
from bastion.service.fastpath import LookupFastPath
from bastion.service.routers import accounts, admin, banks, jobs, legal, matches, media, reports
from bastion.service.runtime import Runtime
from bastion.service.settings import Settings, load_settings
from bastion.service.ui import install as install_ui

DESCRIPTION = """
Bastion's platform API: hash and match uploads against hotline hash lists, record every
decision, and keep an audit trail of every change and every read of matches.

Authenticate with `Authorization: Bearer <key>` (create keys with `bastion keys create`).
Each endpoint lists the roles allowed in `x-bastion-roles`. Errors are
`{"error": {"code", "message", "field"}}`.
"""


class UploadLimit:
    """Refuse a declared body over the upload limit before reading it (plain ASGI: no
    per-request task or body buffering, unlike BaseHTTPMiddleware)."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit + 64 * 1024  # multipart framing and the context field

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                    response = JSONResponse(
                        {
                            "error": {
                                "code": "upload_too_large",
                                "message": f"the request exceeds the {self.limit - 64 * 1024:,}-byte upload limit",
                                "field": "file",
                            }
                        },
                        status_code=413,
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime = Runtime(settings)
        app.state.runtime = runtime
        runtime.start()
        if getattr(app.state, "freeze_gc", False):
            # Requests are hashed in parallel threads of several worker processes: more BLAS
            # threads per call only spin against each other (uploads' p99 was 0.8 s, now ~30 ms).
            limit_blas_threads()
            # Everything built at start-up (the web stack, the ORM, numba's kernels) lives as
            # long as the process: freezing it keeps full collections, which otherwise walk it
            # all and pause every request for tens of milliseconds, short (the p99 of lookups).
            gc.collect()
            gc.freeze()
        yield
        await runtime.stop()

    app = FastAPI(
        title="Bastion",
        version=bastion.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(UploadLimit, limit=settings.max_upload_bytes)
    app.add_middleware(LookupFastPath, state=app.state)  # outermost: added last
    for module in (media, matches, banks, jobs, reports, admin, accounts, legal):
        app.include_router(module.router)
    install_ui(app)  # the review UI under /ui; the /v1 API is unchanged
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory bastion.service.app:app_from_env` (`bastion serve`)."""
    app = create_app(load_settings())
    app.state.freeze_gc = True  # a serving process, not a test creating many apps
    return app
