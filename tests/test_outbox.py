"""The outbox and worker: exactly-once effects with two workers, retries, dead letters,
signed webhooks received on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bastion import outbox
from bastion.actions import handlers
from bastion.webhooks import WebhookConfig, sign, verify_signature

SECRET = "s3cret-for-webhook-tests"


class Receiver:
    """A platform's webhook endpoint on 127.0.0.1: records deliveries, can fail on demand."""

    def __init__(self, fail_first: int = 0, status: int = 500) -> None:
        self.received: list[dict] = []
        self.fail_first = fail_first
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                receiver.received.append(
                    {
                        "delivery": self.headers["X-Bastion-Delivery"],
                        "event": self.headers["X-Bastion-Event"],
                        "valid": verify_signature(
                            SECRET, self.headers["X-Bastion-Signature"], body
                        ),
                        "body": json.loads(body),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def enqueue_webhooks(store, n: int) -> None:
    with store.session() as s:
        for i in range(n):
            outbox.enqueue(s, "webhook", {"event": "content.block", "data": {"n": i}}, f"k{i}")


def test_two_workers_deliver_every_job_exactly_once(store, receiver) -> None:
    enqueue_webhooks(store, 40)
    config = WebhookConfig(receiver.url, SECRET)
    workers = [outbox.Worker(store, handlers(config), name=f"w{i}") for i in range(2)]
    threads = [
        threading.Thread(
            target=w.run,
            kwargs={"poll": 0.05, "until": lambda: outbox.counts(store).get("done", 0) >= 40},
        )
        for w in workers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    deliveries = [r["delivery"] for r in receiver.received]
    assert len(deliveries) == 40 == len(set(deliveries))
    assert all(r["valid"] for r in receiver.received)
    assert outbox.counts(store) == {"done": 40}


def test_the_same_dedupe_key_is_enqueued_once(store) -> None:
    with store.session() as s:
        assert outbox.enqueue(s, "webhook", {"event": "e", "data": {}}, "same")
        assert not outbox.enqueue(s, "webhook", {"event": "e", "data": {}}, "same")
    assert outbox.counts(store) == {"pending": 1}


def test_failures_retry_with_backoff_then_succeed(store) -> None:
    receiver = Receiver(fail_first=1)
    try:
        enqueue_webhooks(store, 1)
        worker = outbox.Worker(store, handlers(WebhookConfig(receiver.url, SECRET)), name="w")
        worker.run_once()
        assert outbox.counts(store) == {"pending": 1}
        from sqlalchemy import update

        from bastion.store.models import OutboxRow
        from bastion.store.types import utcnow

        with store.session() as s:  # skip the backoff wait
            s.execute(update(OutboxRow).values(next_attempt_at=utcnow()))
        worker.run_once()
        assert outbox.counts(store) == {"done": 1}
        assert receiver.received[0]["delivery"] == "1"
    finally:
        receiver.close()


def test_a_job_is_dead_lettered_after_the_attempt_limit(store) -> None:
    receiver = Receiver(fail_first=100)
    try:
        enqueue_webhooks(store, 1)
        worker = outbox.Worker(
            store, handlers(WebhookConfig(receiver.url, SECRET)), name="w", max_attempts=2
        )
        from sqlalchemy import update

        from bastion.store.models import OutboxRow
        from bastion.store.types import utcnow

        for _ in range(2):
            with store.session() as s:
                s.execute(update(OutboxRow).values(next_attempt_at=utcnow()))
            worker.run_once()
        assert outbox.counts(store) == {"dead": 1}
    finally:
        receiver.close()


def test_a_refusing_receiver_is_dead_lettered_at_once(store) -> None:
    receiver = Receiver(fail_first=1, status=400)
    try:
        enqueue_webhooks(store, 1)
        outbox.Worker(store, handlers(WebhookConfig(receiver.url, SECRET)), name="w").run_once()
        assert outbox.counts(store) == {"dead": 1}
    finally:
        receiver.close()


def test_a_crashed_workers_lease_expires_and_the_job_is_redone(store, receiver) -> None:
    from datetime import timedelta

    enqueue_webhooks(store, 1)
    claimed = outbox.claim(store, "crashed", lease=timedelta(seconds=-1))
    assert len(claimed) == 1
    outbox.Worker(store, handlers(WebhookConfig(receiver.url, SECRET)), name="w2").run_once()
    assert outbox.counts(store) == {"done": 1} and len(receiver.received) == 1


def test_signatures_verify_only_with_the_secret_and_in_time() -> None:
    body = b'{"event":"x"}'
    header = sign(SECRET, body, timestamp=1_000_000)
    assert verify_signature(SECRET, header, body, now=1_000_100)
    assert not verify_signature("wrong-secret-000000", header, body, now=1_000_100)
    assert not verify_signature(SECRET, header, body + b" ", now=1_000_100)
    assert not verify_signature(SECRET, header, body, now=1_000_000 + 301)
    assert not verify_signature(SECRET, "garbage", body)


def test_backoff_doubles_and_is_capped() -> None:
    import random

    rng = random.Random(1)
    delays = [outbox.backoff(n, rng) for n in range(1, 15)]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8
    assert max(delays) <= 3600 * 1.2
