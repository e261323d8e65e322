"""Two API processes and two `bastion worker` processes over one PostgreSQL, under concurrent
load: idempotency, exactly-once webhook effects, index freshness, an intact audit chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bastion import audit, outbox, people, review
from bastion.hashing import hash_bytes
from bastion.store import Store
from bastion.synthetic import photo_like_jpeg
from tests.service_support import start_service
from tests.test_outbox import SECRET, Receiver


@pytest.fixture
def database(postgres_url):
    from tests.conftest import _truncate_all

    store = Store.open(postgres_url)
    _truncate_all(store)
    yield postgres_url, store
    store.close()


def upload(client, data: bytes, message_id: str, sender: str):
    ctx = {
        "platform": "examplegram",
        "message_id": message_id,
        "chat_id": "c",
        "chat_type": "public_channel",
        "member_count": 900,
        "sender_account_id": sender,
    }
    return client.post(
        "/v1/media",
        files={"file": ("m.jpg", data, "image/jpeg")},
        data={"context": json.dumps(ctx)},
    ).json()


def test_two_api_processes_and_two_workers_keep_every_guarantee(database, tmp_path) -> None:
    url, store = database
    receiver = Receiver()
    env = {"BASTION_WEBHOOK_URL": receiver.url, "BASTION_WEBHOOK_SECRET": SECRET}
    homes = [tmp_path / n for n in ("a", "b", "w")]
    for h in homes:
        h.mkdir()
    vault_key = {"BASTION_VAULT_KEY_FILE": str(tmp_path / "vault.key")}
    api = [start_service(url, homes[i], extra_env={**env, **vault_key}) for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bastion", "worker", "--poll", "0.2", "--name", f"w{i}"],
            env={
                **os.environ,
                "BASTION_DATABASE_URL": url,
                "BASTION_HOME": str(homes[2]),
                **env,
                **vault_key,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        admin, platforms = api[0].client("admin"), [a.client("platform") for a in api]
        pictures = [photo_like_jpeg(8000 + i, 320, 240) for i in range(16)]
        assert admin.post("/v1/banks", json={"name": "iwf", "source": "iwf"}).status_code == 201
        changed = time.monotonic()
        admin.post(
            "/v1/banks/iwf/entries",
            json={
                "entries": [
                    {"signal_type": "md5", "value": hash_bytes(p, "x").digests.md5, "category": "B"}
                    for p in pictures
                ]
            },
        )
        # Freshness: the other API process matches the new entries within 5 s.
        while upload(platforms[1], pictures[0], "probe", "p")["verdict"] != "block":
            assert time.monotonic() - changed < 5
            time.sleep(0.1)

        # Idempotency under load: every message is posted to both processes at once, 3 times.
        jobs = [
            (platforms[k % 2], pictures[i], f"m{i}", f"user{i}")
            for i in range(16)
            for k in range(6)
        ]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda job: upload(*job), jobs))
        by_message: dict[str, set[int]] = {}
        for (_, _, message, _), answer in zip(jobs, answers, strict=True):
            assert answer["verdict"] == "block", answer
            by_message.setdefault(message, set()).add(answer["sighting_id"])
        assert all(len(ids) == 1 for ids in by_message.values())

        # Exactly-once effects: confirm every sighting; two worker processes drain the outbox.
        reviewer = people.create_user(store, "rev", "reviewer", "correct horse battery")
        for ids in by_message.values():
            review.decide(store, reviewer, next(iter(ids)), "confirm", "B", hotlines=())
        deadline = time.monotonic() + 60
        while outbox.counts(store).get("done", 0) < 32:
            assert time.monotonic() < deadline, outbox.counts(store)
            time.sleep(0.2)
        deliveries = [r["delivery"] for r in receiver.received]
        assert len(deliveries) == 32 == len(set(deliveries))
        assert all(r["valid"] for r in receiver.received)
        assert audit.verify(store).ok
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)
        for a in api:
            a.stop()
        receiver.close()
