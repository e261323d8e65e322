"""POST /v1/lookup without the web framework's per-request machinery.

A lookup is the platform's hot call: one or a few hashes, answered in well under a millisecond
of matching. FastAPI's routing, dependency solving, request validation and response
serialisation cost about as much again. This plain ASGI layer answers the ordinary lookup
itself, through the same code as the route (`routers.media.lookup`), and hands everything else
to the application unchanged: a key not already verified in this process's key cache, a key
whose role may not look up, a body that is not valid JSON for the schema, a bad signal, an
unusual content type or size. Those get the application's own answers and error bodies.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from bastion.service.auth import Principal, secret_from_headers
from bastion.service.errors import UNEXPECTED, ApiError, error_body
from bastion.service.routers.media import PLATFORM, lookup, lookup_queries
from bastion.service.schemas import LookupRequest

log = logging.getLogger(__name__)

MAX_FAST_BODY = 256 * 1024  # a lookup body is a few KB; bigger ones take the ordinary path
PATH = "/v1/lookup"


class LookupFastPath:
    def __init__(self, app, state) -> None:
        self.app = app
        self.state = state  # the FastAPI application's state, which holds the runtime

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if (
            not length.isdigit()
            or int(length) > MAX_FAST_BODY
            or not headers.get(b"content-type", b"").startswith(b"application/json")
        ):
            await self.app(scope, receive, send)
            return
        body, complete = await _read(receive, int(length))
        principal = self._principal(scope, headers) if complete else None
        request = queries = None
        if principal is not None:
            try:
                request = LookupRequest.model_validate_json(body)
                queries = lookup_queries(request)
            except (ValidationError, ApiError, ValueError):
                request = None  # the application names the problem in its own error body
        if request is None:
            await self.app(scope, _replay(body, complete, receive), send)
            return
        try:
            answer = await lookup(self.state.runtime, request, principal, queries)
            status, payload = 200, answer.model_dump_json().encode()
            self.state.runtime.metrics.fast_lookups.inc()
        except Exception:  # the same answer the application gives an unexpected error
            log.exception("lookup failed")
            status, payload = 500, error_body(*UNEXPECTED)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _principal(self, scope, headers: dict[bytes, bytes]) -> Principal | None:
        """A key this process verified within the key cache's lifetime, allowed to look up;
        anything else (unknown, uncached, expired, wrong role) is the application's to answer."""
        runtime = self.state.runtime
        secret = secret_from_headers(
            headers.get(b"authorization", b"").decode("latin-1"),
            headers.get(b"x-api-key", b"").decode("latin-1"),
        )
        if not secret:
            return None
        cached, key = runtime.cached_key(secret)
        if not cached or key is None or not key.usable() or key.role not in PLATFORM:
            return None
        client = scope.get("client")
        return Principal(key=key, remote_addr=client[0] if client else None)


async def _read(receive, length: int) -> tuple[bytes, bool]:
    """The body, and whether it arrived whole (a disconnect or an overlong body: not)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > length:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, complete: bool, receive):
    """A receive() that gives the application the body already read, then the rest."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay
