"""Every endpoint x every role: 401 without a key, 403 for a role not allowed, and through
for the roles that are. The allowed roles are read from the routes' own declarations."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bastion import keys
from bastion.keys import Role
from bastion.service.app import create_app
from bastion.service.settings import load_settings
from bastion.store import Store

OPEN = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("roles") / "roles.db"
    app = create_app(load_settings(database_url=f"sqlite:///{db}"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def secrets(client) -> dict[Role, str]:
    store = client.app.state.runtime.store
    return {
        role: keys.create_key(store, role.value, f"walk-{role.value}", "tests")[1] for role in Role
    }


def endpoints(app) -> list[tuple[str, str, frozenset[str]]]:
    """(method, path, allowed roles) of every operation, from the published OpenAPI schema."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            declared = operation.get("x-bastion-roles")
            assert declared is not None, f"{method.upper()} {path} declares no roles"
            if path in OPEN:
                continue
            found.append((method.upper(), path, frozenset(declared)))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_declares_its_roles_and_only_health_is_open(client) -> None:
    routes = endpoints(client.app)
    assert len(routes) >= 17
    for _, path, roles in routes:
        assert roles, f"{path} is open but is not a health endpoint"


def test_without_a_key_every_endpoint_answers_401(client) -> None:
    for method, path, _ in endpoints(client.app):
        r = client.request(method, concrete(path))
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "unauthenticated"


def test_every_role_is_refused_or_admitted_as_declared(client, secrets) -> None:
    for method, path, allowed in endpoints(client.app):
        for role, secret in secrets.items():
            r = client.request(
                method, concrete(path), headers={"Authorization": f"Bearer {secret}"}
            )
            if role.value in allowed:
                assert r.status_code not in (401, 403), (method, path, role, r.status_code, r.text)
            else:
                assert r.status_code == 403, (method, path, role, r.status_code)
                assert role.value in r.json()["error"]["message"]


def test_health_endpoints_are_open(client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)


def test_the_lookup_fast_path_answers_as_the_application_does_and_hands_over_the_rest(
    tmp_path,
) -> None:
    """POST /v1/lookup is answered outside FastAPI once a platform key is in the key cache:
    the same JSON as the route gives; anything unusual still gets the application's answer."""
    db = tmp_path / "fast.db"
    app = create_app(load_settings(database_url=f"sqlite:///{db}"))
    with TestClient(app, raise_server_exceptions=False) as c:
        store = Store.open(f"sqlite:///{db}")
        _, platform = keys.create_key(store, "platform", "fast", "tests")
        _, reviewer = keys.create_key(store, "reviewer", "not-platform", "tests")
        store.close()
        registry = app.state.runtime.metrics.registry

        def fast() -> float:
            return registry.get_sample_value("bastion_lookup_fast_path_total")

        body = {"items": [{"signals": {"pdq": "f" * 64, "md5": "0" * 32}}, {"signals": {}}]}
        auth = {"Authorization": f"Bearer {platform}"}
        first = c.post("/v1/lookup", json=body, headers=auth)  # key not cached yet: the route
        assert first.status_code == 200 and fast() == 0
        second = c.post("/v1/lookup", json=body, headers={"X-API-Key": platform})
        assert second.status_code == 200 and fast() == 1
        assert second.json() == first.json()
        assert second.headers["content-type"] == "application/json"
        handed_over = [
            (c.post("/v1/lookup", content=b'{"items": [', headers=auth), 422, "invalid_request"),
            (
                c.post("/v1/lookup", json={"items": [{"signals": {"pdq": "zz"}}]}, headers=auth),
                422,
                "invalid_signal",
            ),
            (
                c.post("/v1/lookup", json=body, headers={"Authorization": f"Bearer {reviewer}"}),
                403,
                "forbidden",
            ),
            (
                c.post("/v1/lookup", json=body, headers={"Authorization": "Bearer nope"}),
                401,
                "unauthenticated",
            ),
            (c.post("/v1/lookup", json=body), 401, "unauthenticated"),
        ]
        for response, status, code in handed_over:
            assert response.status_code == status, response.text
            assert response.json()["error"]["code"] == code
        assert fast() == 1


def test_a_key_in_use_is_re_read_ahead_of_expiry_by_one_caller(monkeypatch) -> None:
    """Past half its life an entry is handed out for refresh once, and stays served meanwhile:
    requests in flight never all find a busy key expired and all read the store at once."""
    from bastion.service import auth

    now = [100.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    cache = auth.KeyCache(ttl=4.0)
    key = object()
    assert cache.get("s") == (False, None, False)
    cache.put("s", key)
    assert cache.get("s") == (True, key, False)
    now[0] = 102.5  # past half its life: one caller refreshes, the others go on
    assert cache.get("s") == (True, key, True)
    assert cache.get("s") == (True, key, False)
    cache.refresh_failed("s")  # a failed re-read lets a later caller try again
    assert cache.get("s") == (True, key, True)
    now[0] = 104.0  # never re-read: it expires on time, revocation is not delayed
    assert cache.get("s") == (False, None, False)
    cache.put("s", None)  # an unknown or revoked key is cached as such
    assert cache.get("s") == (True, None, False)


def test_concurrent_requests_with_an_uncached_key_read_it_once(client, monkeypatch) -> None:
    """At start, or after a pause, every request in flight brings the same uncached key: one
    store read answers them all (a failed read fails them all, and the next one reads again)."""
    import asyncio
    import threading
    import time

    runtime = client.app.state.runtime
    _, secret = keys.create_key(runtime.store, "platform", "burst", "test")
    reads = []
    real = keys.find_key

    def slow_find(store, s):
        reads.append(threading.get_ident())
        time.sleep(0.2)
        if s == "bst_broken":
            raise RuntimeError("store unavailable")
        return real(store, s)

    monkeypatch.setattr(keys, "find_key", slow_find)

    async def burst(s: str):
        return await asyncio.gather(
            *(runtime.key_for(s) for _ in range(20)), return_exceptions=True
        )

    found = asyncio.run(burst(secret))
    assert len(reads) == 1
    assert {k.name for k in found} == {"burst"}
    failed = asyncio.run(burst("bst_broken"))
    assert len(reads) == 2 and all(isinstance(e, RuntimeError) for e in failed)
    asyncio.run(burst("bst_broken"))
    assert len(reads) == 3  # a failure is not cached
