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
