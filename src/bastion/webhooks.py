"""Signed webhooks to the platform (block content, suspend account).

Each delivery is a JSON POST with:
  X-Bastion-Event: content.block
  X-Bastion-Delivery: <outbox job id>   (the same on every retry: receivers deduplicate on it)
  X-Bastion-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

`verify_signature` is what a receiver runs (also used by Bastion's tests). Every attempt is
recorded in `webhook_deliveries` with its status code or error and duration.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bastion.outbox import GiveUp, Job
from bastion.store.db import Store
from bastion.store.models import DeliveryRow
from bastion.store.types import utcnow

SIGNATURE_TOLERANCE = 300


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    timeout: float = 10.0

    @classmethod
    def from_environment(cls) -> WebhookConfig | None:
        url = os.environ.get("BASTION_WEBHOOK_URL")
        if not url:
            return None
        secret = os.environ.get("BASTION_WEBHOOK_SECRET", "")
        if len(secret) < 16:
            raise ValueError(
                "BASTION_WEBHOOK_SECRET must be set to at least 16 characters when BASTION_WEBHOOK_URL is"
            )
        return cls(url=url, secret=secret)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: int | None = None,
) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((int(time.time()) if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def body_of(event: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {"event": event, "data": data}, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def deliver(store: Store, job: Job, config: WebhookConfig) -> dict[str, Any]:
    """POST the job's event; raise on anything but 2xx so the outbox retries it."""
    event = job.payload["event"]
    body = body_of(event, job.payload["data"])
    headers = {
        "Content-Type": "application/json",
        "X-Bastion-Event": event,
        "X-Bastion-Delivery": str(job.id),
        "X-Bastion-Signature": sign(config.secret, body),
        "User-Agent": "Bastion-Webhooks/1",
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = httpx.post(config.url, content=body, headers=headers, timeout=config.timeout)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.perf_counter() - started) * 1000)
    with store.session() as s:
        s.add(
            DeliveryRow(
                outbox_id=job.id,
                url=config.url,
                event=event,
                attempt=job.attempts,
                at=utcnow(),
                status_code=status,
                error=error,
                duration_ms=duration,
            )
        )
    if error is not None:
        if status is not None and 400 <= status < 500 and status not in (408, 409, 425, 429):
            raise GiveUp(f"the receiver refused the webhook: {error}")
        raise RuntimeError(f"webhook delivery failed: {error}")
    return {"status": status, "duration_ms": duration}
