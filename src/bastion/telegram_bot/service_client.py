"""Matching through a Bastion service: POST the file with its context to /v1/media and act on the
verdict. The service hashes, matches, records, keeps the review queue and the audit trail.

aiohttp rather than httpx: the bot's event loop already runs aiogram's aiohttp sessions, so the
service client shares one async HTTP stack with them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp

from bastion.decisions import Context
from bastion.telegram_bot.checking import CheckUnavailable, MatchInfo, Outcome
from bastion.telegram_bot.media import MediaItem

ATTEMPTS = 4
FIRST_DELAY = 0.5


class ServiceChecker:
    def __init__(self, url: str, key: str, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.policy_name = "?"

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self._key}"}, timeout=self._timeout
            )
        return self._session

    async def start(self) -> None:
        """Check the service answers and accepts the key (GET /v1/policy: every role may)."""
        status, body = await self._request("GET", "/v1/policy")
        if status in (401, 403):
            raise CheckUnavailable(
                "service_refused",
                f"the service at {self.url} refused the key in BASTION_BOT_SERVICE_KEY "
                f"({_message(body)}); create one with `bastion keys create --role platform`",
            )
        if status != 200:
            raise CheckUnavailable(
                "service_error", f"the service at {self.url} answered HTTP {status}"
            )
        self.policy_name = str(body.get("name", "?")) if isinstance(body, dict) else "?"

    async def check(self, path: Path, item: MediaItem, context: Context) -> Outcome:
        ctx = {k: v for k, v in asdict(context).items() if v is not None}
        if "upload_time" in ctx:
            ctx["upload_time"] = context.upload_time.isoformat()  # type: ignore[union-attr]

        opened = []

        def form() -> aiohttp.FormData:
            opened.append(path.open("rb"))  # a fresh handle per attempt
            data = aiohttp.FormData()
            data.add_field(
                "file",
                opened[-1],
                filename=item.source,
                content_type=item.mime_type or "application/octet-stream",
            )
            data.add_field("context", json.dumps(ctx))
            return data

        try:
            status, body = await self._request("POST", "/v1/media", form=form)
        finally:
            for handle in opened:
                handle.close()
        if status == 200 and isinstance(body, dict):
            return _outcome(body)
        message = _message(body)
        if status == 422 and _code(body).startswith("media_"):
            # Undecodable and no listed digest: the service records nothing and says why.
            return Outcome("allow", "not-decodable", message, notes=(f"service: {message}",))
        if status == 413:
            raise CheckUnavailable("too_large_for_service", f"the service refused it: {message}")
        if status in (401, 403):
            raise CheckUnavailable("service_refused", f"the service refused the key: {message}")
        raise CheckUnavailable("service_error", f"the service answered HTTP {status}: {message}")

    async def _request(self, method: str, path: str, form=None) -> tuple[int, Any]:
        """Retries what may pass (no connection, 5xx, 429), honouring Retry-After."""
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            try:
                data = form() if form else None
                async with self.session.request(method, self.url + path, data=data) as r:
                    try:
                        body = await r.json(content_type=None)
                    except (json.JSONDecodeError, aiohttp.ContentTypeError):
                        body = None
                    if (r.status == 429 or r.status >= 500) and attempt < ATTEMPTS:
                        await asyncio.sleep(_retry_after(r.headers.get("Retry-After"), delay))
                        delay *= 2
                        continue
                    return r.status, body
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == ATTEMPTS:
                    raise CheckUnavailable(
                        "service_unreachable",
                        f"the service at {self.url} did not answer after {ATTEMPTS} tries "
                        f"({type(exc).__name__})",
                    ) from None
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def loaded(self) -> list[str]:
        try:
            status, body = await self._request("GET", "/v1/banks")
        except CheckUnavailable as exc:
            return [f"service {self.url}: {exc}"]
        if status != 200 or not isinstance(body, list):
            return [f"service {self.url}: banks not readable (HTTP {status})"]
        lines = [
            f"{b['name']} ({b['source']}, {b['kind']}, {b['live_entries']:,} entries)" for b in body
        ]
        return [*lines, f"matching by the service at {self.url}; policy {self.policy_name}"]

    async def pending_review(self, chat_id: int | None) -> int | None:
        return None  # the review queue is the service's; a platform key may not read it

    async def record_action(self, outcome: Outcome, action: str, **details: object) -> None:
        return None  # no such call in the service yet: the bot's journal keeps it

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _outcome(body: dict[str, Any]) -> Outcome:
    hashes = {k: v for k, v in (body.get("hashes") or {}).items() if isinstance(v, str)}
    matches = tuple(
        MatchInfo(
            m["bank"],
            m["bank_source"],
            m["category"],
            m["signal_type"],
            m["distance"],
            m.get("query_percent"),
        )
        for m in body.get("matches", [])
    )
    return Outcome(
        verdict=body["verdict"],
        rule=body["rule"],
        reason=body.get("reason", ""),
        hashes=hashes,
        matches=matches,
        sighting_id=body.get("sighting_id"),
        duplicate=bool(body.get("duplicate")),
        notes=tuple(body.get("notes", [])),
    )


def _message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))
    return "no details"


def _code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code", ""))
    return ""


def _retry_after(header: str | None, fallback: float) -> float:
    try:
        return min(float(header), 60.0) if header else fallback
    except ValueError:
        return fallback
