"""The platform API end to end over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import pytest

from bastion.hashing import hash_bytes
from bastion.synthetic import encode, photo_like
from tests.service_support import Service, start_service


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request, tmp_path_factory) -> Service:
    """One live service per database for the whole module: tests keep apart by naming their
    own banks and message ids (see `unique`)."""
    home = tmp_path_factory.mktemp("service-home")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'svc.db'}"
    else:
        from bastion.store import Store
        from tests.conftest import _truncate_all

        url = request.getfixturevalue("postgres_url")
        _truncate_all(Store.open(url))
    svc = start_service(url, home)
    yield svc
    svc.stop()


_counter = iter(range(1_000_000))


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def jpeg(seed: int, size=(640, 480)) -> bytes:
    return encode(photo_like(seed, *size), "JPEG", 90)


def upload(client, data: bytes, **context):
    ctx = {"platform": "examplegram", **context}
    return client.post(
        "/v1/media",
        files={"file": ("m.jpg", data, "image/jpeg")},
        data={"context": json.dumps(ctx)},
    )


def listed_bank(admin, name: str, source: str, entries: list[dict], kind: str = "block") -> str:
    """Create a bank named after `name` (made unique in the module) listing `entries`."""
    name = unique(name)
    assert (
        admin.post("/v1/banks", json={"name": name, "source": source, "kind": kind}).status_code
        == 201
    )
    r = admin.post(f"/v1/banks/{name}/entries", json={"entries": entries})
    assert r.status_code == 200, r.text
    return name


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_listed_upload_is_blocked_with_category_and_a_retry_gets_the_same_answer(service) -> None:
    admin, platform = service.client("admin"), service.client("platform")
    data = jpeg(1)
    md5 = hash_bytes(data, "x").digests.md5
    bank = listed_bank(admin, "iwf", "iwf", [{"signal_type": "md5", "value": md5, "category": "A"}])
    time.sleep(0.6)  # every process applies bank changes within its refresh interval (0.2 s here)
    first = upload(
        platform,
        data,
        message_id="m1",
        chat_id="c1",
        chat_type="public_channel",
        member_count=5000,
        sender_account_id="u1",
        sender_ip="192.0.2.1",
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["verdict"] == "block" and body["rule"] == "hotline-exact"
    assert body["matches"][0]["category"] == "A" and body["matches"][0]["bank"] == bank
    assert body["hashes"]["md5"] == md5 and body["hashes"]["pdq_usable"]
    again = upload(platform, data, message_id="m1").json()
    assert again["duplicate"] and again["sighting_id"] == body["sighting_id"]
    assert again["verdict"] == "block" and again["matches"][0]["id"] == body["matches"][0]["id"]


def test_unlisted_upload_is_allowed_and_recorded(service) -> None:
    platform = service.client("platform")
    r = upload(platform, jpeg(2), message_id="m2")
    assert (
        r.status_code == 200 and r.json()["verdict"] == "allow" and r.json()["rule"] == "no-match"
    )
    assert r.json()["sighting_id"] is not None


def test_pdq_match_from_an_unverified_bank_goes_to_review(service) -> None:
    admin, platform = service.client("admin"), service.client("platform")
    data = jpeg(3)
    listed_bank(
        admin,
        "local",
        "local",
        [{"signal_type": "pdq", "value": hash_bytes(data, "x").pdq.hex, "category": "B"}],
    )
    time.sleep(0.6)
    reencoded = encode(photo_like(3, 640, 480), "JPEG", 60)
    body = upload(platform, reencoded, message_id="m3").json()
    assert body["verdict"] == "review" and body["matches"][0]["signal_type"] == "pdq"


def test_allow_list_suppresses_a_match(service) -> None:
    admin, platform, reviewer = (
        service.client("admin"),
        service.client("platform"),
        service.client("reviewer"),
    )
    data = jpeg(4)
    listed_bank(
        admin,
        "iwf",
        "iwf",
        [{"signal_type": "md5", "value": hash_bytes(data, "x").digests.md5, "category": "C"}],
    )
    time.sleep(0.6)
    first = upload(platform, data, message_id="m4").json()
    assert first["verdict"] == "block"
    r = reviewer.post(
        "/v1/allow-list", json={"match_id": first["matches"][0]["id"], "note": "reviewed: benign"}
    )
    assert r.status_code == 200, r.text
    time.sleep(0.6)
    second = upload(platform, data, message_id="m5").json()
    assert (
        second["verdict"] == "allow" and second["rule"] == "allow-list" and second["allow_listed"]
    )


def test_malformed_media_gets_a_4xx_naming_the_problem(service) -> None:
    platform = service.client("platform")
    data = jpeg(5)
    r = upload(platform, data[: len(data) // 2], message_id="bad1")
    assert r.status_code == 422 and r.json()["error"]["code"] == "media_truncated"
    r = upload(platform, b"", message_id="bad2")
    assert r.status_code == 422 and r.json()["error"]["code"] == "media_empty"
    r = upload(platform, b"plain text, not media", message_id="bad3")
    assert r.status_code == 200 and r.json()["verdict"] == "allow"
    assert "perceptual hashing skipped" in r.json()["notes"][0]


def test_bad_context_and_oversized_uploads_are_rejected_with_the_field(service) -> None:
    platform = service.client("platform")
    r = platform.post(
        "/v1/media",
        files={"file": ("m.jpg", jpeg(6), "image/jpeg")},
        data={"context": json.dumps({"message_id": "x"})},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "context.platform"
    r = platform.post(
        "/v1/media", files={"file": ("m.jpg", jpeg(6), "image/jpeg")}, data={"context": "{not json"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_context"
    r = platform.post("/v1/media", data={"context": json.dumps({"platform": "p"})})
    assert r.status_code == 422 and r.json()["error"]["field"] == "file"


def test_lookup_of_several_signals_and_a_bad_one(service) -> None:
    admin, platform = service.client("admin"), service.client("platform")
    data = jpeg(7)
    h = hash_bytes(data, "x")
    listed_bank(
        admin, "ncmec", "ncmec", [{"signal_type": "pdq", "value": h.pdq.hex, "category": "A"}]
    )
    time.sleep(0.6)
    r = platform.post(
        "/v1/lookup",
        json={
            "items": [
                {
                    "signals": {"pdq": h.pdq.hex, "md5": h.digests.md5},
                    "context": {"platform": "p", "message_id": "L1"},
                },
                {"signals": {"sha1": "0" * 40}},
            ]
        },
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["verdict"] == "block" and first["matches"][0]["distance"] == 0
    assert second["verdict"] == "allow" and second["sighting_id"] is None
    r = platform.post("/v1/lookup", json={"items": [{"signals": {"pdq": "xyz"}}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "items.0.signals.pdq"
    r = platform.post("/v1/lookup", json={"items": [{"signals": {"photodna": "abc"}}]})
    assert r.json()["error"]["code"] == "unknown_signal_type"


def test_a_matched_lookup_outwaits_a_held_audit_lock_without_stalling_other_lookups(
    service,
) -> None:
    """On PostgreSQL a single matched lookup is recorded on the event loop with a bounded lock
    wait; while another transaction holds the audit chain's head, it must fall back to the
    thread pool (answered, recorded once, chain intact) and other lookups must not wait."""
    if not service.database_url.startswith("postgresql"):
        pytest.skip("the bounded lock wait on the event loop is PostgreSQL's")
    import psycopg
    from sqlalchemy.engine import make_url

    admin, platform = service.client("admin"), service.client("platform")
    h = hash_bytes(jpeg(71), "x")
    listed_bank(admin, "held", "iwf", [{"signal_type": "pdq", "value": h.pdq.hex, "category": "A"}])
    time.sleep(0.6)
    url = make_url(service.database_url).set(drivername="postgresql").render_as_string(False)
    released = threading.Event()
    others: list[tuple[int, bool]] = []
    message = unique("held-msg")
    with psycopg.connect(url) as holder:
        holder.execute("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE")

        def release_later() -> None:
            time.sleep(2.0)
            released.set()
            holder.commit()

        def another_lookup() -> None:
            time.sleep(0.5)
            r = platform.post("/v1/lookup", json={"items": [{"signals": {"pdq": "f" * 64}}]})
            others.append((r.status_code, released.is_set()))

        threads = [threading.Thread(target=release_later), threading.Thread(target=another_lookup)]
        for t in threads:
            t.start()
        r = platform.post(
            "/v1/lookup",
            json={
                "items": [
                    {
                        "signals": {"pdq": h.pdq.hex},
                        "context": {"platform": "p", "message_id": message},
                    }
                ]
            },
        )
        for t in threads:
            t.join()
    assert r.status_code == 200, r.text
    first = r.json()["results"][0]
    assert first["verdict"] == "block" and first["sighting_id"] is not None
    assert released.is_set()  # it could only be recorded once the head was free
    assert others == [(200, False)]  # answered while the lock was still held
    again = platform.post(
        "/v1/lookup",
        json={
            "items": [
                {"signals": {"pdq": h.pdq.hex}, "context": {"platform": "p", "message_id": message}}
            ]
        },
    ).json()["results"][0]
    assert again["sighting_id"] == first["sighting_id"]
    verify = service.client("auditor").get("/v1/audit/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True, verify.text


def test_matches_list_filters_paginate_and_every_read_is_audited(service) -> None:
    admin, platform = service.client("admin"), service.client("platform")
    investigator, auditor = service.client("investigator"), service.client("auditor")
    pictures = [jpeg(100 + i) for i in range(5)]
    bank = listed_bank(
        admin,
        "iwf",
        "iwf",
        [
            {
                "signal_type": "md5",
                "value": hash_bytes(p, "x").digests.md5,
                "category": "A" if i < 3 else "C",
            }
            for i, p in enumerate(pictures)
        ],
    )
    time.sleep(0.6)
    for i, p in enumerate(pictures):
        upload(platform, p, message_id=f"p{i}", chat_id=f"{bank}-a" if i % 2 else f"{bank}-b")
    page1 = investigator.get("/v1/matches", params={"limit": 2, "bank": bank}).json()
    page2 = investigator.get(
        "/v1/matches", params={"limit": 2, "bank": bank, "cursor": page1["next_cursor"]}
    ).json()
    page3 = investigator.get(
        "/v1/matches", params={"limit": 2, "bank": bank, "cursor": page2["next_cursor"]}
    ).json()
    ids = [m["id"] for m in page1["matches"] + page2["matches"] + page3["matches"]]
    assert len(ids) == 5 == len(set(ids)) and ids == sorted(ids, reverse=True)
    assert page3["next_cursor"] is None
    cats = investigator.get("/v1/matches", params={"category": "C", "bank": bank}).json()["matches"]
    assert {m["category"] for m in cats} == {"C"} and len(cats) == 2
    chat = investigator.get("/v1/matches", params={"chat": f"{bank}-a"}).json()["matches"]
    assert {m["sighting"]["chat_id"] for m in chat} == {f"{bank}-a"} and len(chat) == 2
    one = investigator.get(f"/v1/matches/{ids[0]}").json()
    assert one["sighting"]["platform"] == "examplegram" and one["content"]["sha256"]
    assert investigator.get("/v1/matches/999999").status_code == 404
    trail = auditor.get("/v1/audit", params={"limit": 50}).json()
    actions = [r["action"] for r in trail]
    assert actions.count("matches.list") >= 5 and "matches.read" in actions
    assert auditor.get("/v1/audit/verify").json()["ok"]


def test_bank_import_job_reports_progress_and_raises_retroactive_matches(service, tmp_path) -> None:
    admin, platform, reviewer = (
        service.client("admin"),
        service.client("platform"),
        service.client("reviewer"),
    )
    data = jpeg(9)
    first = upload(platform, data, message_id="before", chat_id="c9", sender_account_id="u9").json()
    assert first["verdict"] == "allow"
    caid = unique("caid")
    assert admin.post("/v1/banks", json={"name": caid, "source": "caid"}).status_code == 201
    listing = (
        "md5,category\n"
        + f"{hash_bytes(data, 'x').digests.md5},B\n"
        + "".join(f"{i:032x},C\n" for i in range(1, 3000))
    )
    r = admin.post(
        f"/v1/banks/{caid}/import",
        files={"file": ("caid.csv", listing.encode())},
        data={"format": "csv"},
    )
    assert r.status_code == 202, r.text
    job = wait_for(
        lambda: (
            (j := admin.get(f"/v1/jobs/{r.json()['id']}").json())["status"] in ("done", "failed")
            and j
        )
    )
    assert job["status"] == "done", job
    assert job["result"]["added"] == 3000 and job["progress"] == 3000
    rematch = wait_for(
        lambda: (
            (j := admin.get(f"/v1/jobs/{job['result']['rematch_job']}").json())["status"] == "done"
            and j
        )
    )
    assert rematch["result"]["raised"] == 1
    (m,) = reviewer.get("/v1/matches", params={"bank": caid}).json()["matches"]
    assert (
        m["retroactive"]
        and m["sighting"]["message_id"] == "before"
        and m["sighting"]["sender_account_id"] == "u9"
    )


def test_two_uploads_of_the_same_message_at_once_answer_the_same_with_one_record(service) -> None:
    platform, investigator = service.client("platform"), service.client("investigator")
    admin = service.client("admin")
    data = jpeg(11)
    bank = listed_bank(
        admin,
        "iwf",
        "iwf",
        [{"signal_type": "md5", "value": hash_bytes(data, "x").digests.md5, "category": "A"}],
    )
    time.sleep(0.6)
    answers = []

    def go():
        answers.append(upload(platform, data, message_id="race").json())

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a["sighting_id"] for a in answers}) == 1
    assert {a["verdict"] for a in answers} == {"block"}
    assert len(investigator.get("/v1/matches", params={"bank": bank}).json()["matches"]) == 1


def test_keys_created_and_revoked_over_the_api(service) -> None:
    admin = service.client("admin")
    r = admin.post("/v1/keys", json={"role": "platform", "name": "edge"})
    assert r.status_code == 201
    secret, prefix = r.json()["key"], r.json()["prefix"]
    assert secret.startswith(prefix)
    import httpx

    edge = httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {secret}"})
    assert upload(edge, jpeg(12), message_id="k1").status_code == 200
    assert all("key" not in k for k in admin.get("/v1/keys").json())
    assert admin.delete(f"/v1/keys/{prefix}").json()["status"] == "revoked"
    time.sleep(1.5)  # the key cache holds verified keys for 1 s in these tests
    assert upload(edge, jpeg(12), message_id="k2").status_code == 401
    assert (
        admin.post("/v1/keys", json={"role": "wizard", "name": "x"}).json()["error"]["field"]
        == "role"
    )


def test_a_key_in_constant_use_is_refused_within_the_cache_lifetime_of_its_revocation(
    service,
) -> None:
    """Keys in use are re-read in the background before their cache entry expires: that must
    not keep a revoked key alive. Used without pause, it is refused within the cache's 1 s."""
    admin = service.client("admin")
    r = admin.post("/v1/keys", json={"role": "platform", "name": "busy"})
    import httpx

    edge = httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {r.json()['key']}"}
    )
    body = {"items": [{"signals": {"pdq": "f" * 64}}]}
    started = time.monotonic()
    while time.monotonic() - started < 2.5:  # several cache lifetimes, re-read ahead each time
        assert edge.post("/v1/lookup", json=body).status_code == 200
    assert admin.delete(f"/v1/keys/{r.json()['prefix']}").json()["status"] == "revoked"
    revoked = time.monotonic()
    codes = []
    while time.monotonic() - revoked < 2.0:
        codes.append((time.monotonic() - revoked, edge.post("/v1/lookup", json=body).status_code))
    refused = [t for t, code in codes if code == 401]
    assert refused and refused[0] < 1.5, codes[:3]  # the 1 s lifetime and one store read
    assert all(code == 401 for t, code in codes if t >= refused[0])


def test_health_readiness_metrics_and_policy(service) -> None:
    anon = service.anonymous()
    assert anon.get("/healthz").json() == {"status": "ok"}
    ready = anon.get("/readyz").json()
    assert ready["status"] == "ready" and ready["index_age_seconds"] < 5
    assert anon.get("/metrics").status_code == 401
    metrics = service.client("admin").get("/metrics")
    assert metrics.status_code == 200 and "bastion_index_pdq_entries" in metrics.text
    policy = service.client("platform").get("/v1/policy").json()
    assert [r["name"] for r in policy["rules"]] == [
        "hotline-exact",
        "hotline-pdq",
        "hotline-video",
        "other-match",
    ]


def test_unknown_keys_are_rejected(service) -> None:
    import httpx

    r = httpx.get(service.url + "/v1/banks", headers={"Authorization": "Bearer bst_00000000_nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_a_listed_video_upload_is_matched_by_vpdq(service) -> None:
    from tests.video_factory import video

    admin, platform = service.client("admin"), service.client("platform")
    clip = video(seconds=4, fps=10, seed=77)
    listed = hash_bytes(clip, "clip.mp4").vpdq.to_text()
    listed_bank(
        admin, "videos", "local", [{"signal_type": "vpdq", "value": listed, "category": "C"}]
    )
    time.sleep(0.6)
    r = platform.post(
        "/v1/media",
        files={"file": ("c.mp4", clip, "video/mp4")},
        data={"context": json.dumps({"platform": "examplegram", "message_id": "v1"})},
    )
    assert r.status_code == 200, r.text
    (m,) = r.json()["matches"]
    assert (
        m["signal_type"] == "vpdq"
        and m["query_percent"] == 100.0
        and r.json()["verdict"] == "review"
    )
