"""The review UI in-process: every page x every role, sessions, CSRF, sign-in and lockout,
blurred previews, single-use reveals, the daily limit, decisions that advance the queue."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image, ImageFilter

from bastion import people, review
from bastion.keys import Role
from bastion.service import ui
from bastion.service.app import create_app
from bastion.service.settings import load_settings
from tests.ui_support import (
    PASSWORD,
    api_key,
    cookie,
    create_people,
    list_and_upload,
    session_for,
    signin_token,
)

OPEN_PAGES = {"/ui/sign-in"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp("ui-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BASTION_HOME", str(home))
        mp.delenv("BASTION_VAULT_KEY", raising=False)
        app = create_app(load_settings(database_url=f"sqlite:///{home / 'ui.db'}"))
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(scope="module")
def store(client):
    return client.app.state.runtime.store


@pytest.fixture(scope="module")
def users(store) -> dict[Role, str]:
    return create_people(store)


@pytest.fixture(scope="module")
def admin(store) -> dict[str, str]:
    return api_key(store)


@pytest.fixture(scope="module")
def listed(client, admin, users) -> dict:
    """A block verdict on a listed benign picture: its bytes are in the vault."""
    return list_and_upload(client, admin, 11, "walk-1")


def pages(app) -> list[tuple[str, str, frozenset[Role] | None]]:
    """(method, path, declared roles) for every UI route; None where none are declared."""
    found = []
    for route in (r for router in ui.ROUTERS for r in router.routes):
        assert isinstance(route, APIRoute) and route.path.startswith("/ui"), route
        roles = None
        for dependency in route.dependant.dependencies:
            roles = getattr(dependency.call, "bastion_roles", None) or roles
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, route.path, roles))
    return sorted(found, key=lambda p: p[1] == "/ui/sign-out")  # signing out last


def concrete(path: str, sighting: int) -> str:
    return (
        path.replace("{sighting_id}", str(sighting))
        .replace("{match_id}", "1")
        .replace("{content_id}", "1")
        .replace("{ticket}", "not-a-ticket")
        .replace("{platform}", "examplegram")
        .replace("{account_id:path}", "u1")
        .replace("{report_id}", "1")
        .replace("{request_id}", "1")
        .replace("{kind}", "request")
        .replace("{step}", "verify")
    )


def test_every_page_declares_its_roles_and_only_sign_in_is_open(client) -> None:
    walked = pages(client.app)
    assert len(walked) >= 18
    for method, path, roles in walked:
        if path in OPEN_PAGES:
            assert roles is None
        else:
            assert roles, f"{method} {path} declares no roles"


def test_without_a_session_pages_redirect_to_sign_in_and_posts_are_refused(client, listed) -> None:
    for method, path, roles in pages(client.app):
        if roles is None:
            continue
        r = client.request(method, concrete(path, listed["sighting_id"]), follow_redirects=False)
        if method == "GET":
            assert r.status_code == 303, (path, r.status_code)
            assert r.headers["location"].startswith("/ui/sign-in?next=/ui")
        else:
            assert r.status_code == 401, (path, r.status_code)


def test_every_role_is_refused_or_admitted_on_every_page_as_declared(
    client, store, users, listed
) -> None:
    sessions = {role: session_for(store, name) for role, name in users.items()}
    for method, path, allowed in pages(client.app):
        if allowed is None:
            continue
        for role, (token, csrf) in sessions.items():
            r = client.request(
                method,
                concrete(path, listed["sighting_id"]),
                headers={**cookie(token), "X-CSRF-Token": csrf},
                follow_redirects=False,
            )
            if role in allowed:
                assert r.status_code not in (401, 403, 500), (method, path, role, r.status_code)
            else:
                assert r.status_code == 403, (method, path, role, r.status_code)
                assert role.value in r.text


def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    client, store, users, admin
) -> None:
    sighting = list_and_upload(client, admin, 12, "csrf-1")["sighting_id"]
    token, csrf = session_for(store, users[Role.REVIEWER])
    for headers, data in (
        (cookie(token), {"choice": "confirm:A"}),
        ({**cookie(token), "X-CSRF-Token": "forged"}, {"choice": "confirm:A"}),
        (cookie(token), {"choice": "confirm:A", "csrf_token": csrf + "x"}),
    ):
        r = client.post(f"/ui/review/{sighting}/decide", data=data, headers=headers)
        assert r.status_code == 403 and "security token" in r.text
    assert {m.status for m in review.item(store, sighting).matches} == {"open"}
    r = client.post(
        f"/ui/review/{sighting}/decide",
        data={"choice": "escalate", "csrf_token": csrf},
        headers=cookie(token),
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert review.item(store, sighting).escalated


def test_sign_in_sets_a_strict_http_only_session_cookie_and_sign_out_ends_it(client, users) -> None:
    client.cookies.clear()
    form = client.get("/ui/sign-in")
    r = client.post(
        "/ui/sign-in",
        data={
            "username": users[Role.AUDITOR],
            "password": PASSWORD,
            "signin_token": signin_token(form.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/dashboard"
    set_cookie = r.headers["set-cookie"].lower()
    assert "bastion_session=" in set_cookie
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/ui" in set_cookie
    assert "secure" not in set_cookie  # plain http here; see the https test
    page = client.get("/ui/audit")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert (
        client.post("/ui/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/ui/audit", follow_redirects=False).status_code == 303
    client.cookies.clear()


def test_over_https_the_session_cookie_is_secure(client, users) -> None:
    secure = TestClient(client.app, base_url="https://testserver")
    form = secure.get("/ui/sign-in")
    r = secure.post(
        "/ui/sign-in",
        data={
            "username": users[Role.ADMIN],
            "password": PASSWORD,
            "signin_token": signin_token(form.text),
        },
        follow_redirects=False,
    )
    assert "secure" in r.headers["set-cookie"].lower()


def test_a_sign_in_form_not_opened_in_this_browser_is_refused(client, users) -> None:
    client.cookies.clear()
    r = client.post(
        "/ui/sign-in",
        data={"username": users[Role.ADMIN], "password": PASSWORD, "signin_token": "made-up"},
    )
    assert r.status_code == 403 and "not opened in this browser" in r.text


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(client, store) -> None:
    people.create_user(store, "lockme", "reviewer", PASSWORD)
    client.cookies.clear()
    for _ in range(people.MAX_FAILURES):
        form = client.get("/ui/sign-in")
        r = client.post(
            "/ui/sign-in",
            data={
                "username": "lockme",
                "password": "wrong password!",
                "signin_token": signin_token(form.text),
            },
        )
        assert r.status_code == 401 and "wrong username or password" in r.text
    form = client.get("/ui/sign-in")
    r = client.post(
        "/ui/sign-in",
        data={"username": "lockme", "password": PASSWORD, "signin_token": signin_token(form.text)},
    )
    assert r.status_code == 423 and "locked" in r.text and "too many failed sign-ins" in r.text
    client.cookies.clear()


def test_sign_in_never_redirects_off_the_ui(client, users) -> None:
    client.cookies.clear()
    form = client.get("/ui/sign-in")
    r = client.post(
        "/ui/sign-in",
        data={
            "username": users[Role.REVIEWER],
            "password": PASSWORD,
            "signin_token": signin_token(form.text),
            "next": "//evil.example/ui/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/ui/dashboard"
    client.cookies.clear()


def detail(img: Image.Image) -> float:
    """Fine detail: mean difference from a 2-pixel blur of itself, away from the borders."""
    grey = img.convert("L")
    sharp = np.asarray(grey, dtype=np.float64)
    soft = np.asarray(grey.filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    return float(np.abs(sharp - soft)[4:-4, 4:-4].mean())


def test_the_default_preview_is_greyscale_blurred_and_never_cached(
    client, store, users, listed
) -> None:
    token, _ = session_for(store, users[Role.REVIEWER])
    page = client.get(f"/ui/review/{listed['sighting_id']}", headers=cookie(token))
    assert f'src="/ui/review/{listed["sighting_id"]}/preview"' in page.text
    assert "/ui/reveal/" not in page.text
    r = client.get(f"/ui/review/{listed['sighting_id']}/preview", headers=cookie(token))
    assert r.headers["content-type"] == "image/jpeg" and r.headers["cache-control"] == "no-store"
    preview = Image.open(io.BytesIO(r.content)).convert("RGB")
    pixels = np.asarray(preview, dtype=np.int16)
    assert np.abs(pixels[..., 0] - pixels[..., 1]).max() <= 2  # grey
    original = Image.open(io.BytesIO(listed["data"]))
    assert detail(preview) < detail(original) / 10


def test_a_reveal_is_served_once_to_its_reviewer_and_recorded(client, store, users, listed) -> None:
    token, csrf = session_for(store, users[Role.REVIEWER])
    headers = {**cookie(token), "X-CSRF-Token": csrf, "HX-Request": "true"}
    r = client.post(f"/ui/review/{listed['sighting_id']}/reveal", headers=headers)
    src = re.search(r'src="(/ui/reveal/[^"]+)"', r.text).group(1)
    assert 'hx-trigger="load delay:5.0s"' in r.text  # swaps back to the preview after 5 s
    other, _ = session_for(store, users[Role.ADMIN])
    assert client.get(src, headers=cookie(other)).status_code == 410
    # another reviewer's attempt is refused without spending the owner's ticket
    first = client.get(src, headers=cookie(token))
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    revealed = Image.open(io.BytesIO(first.content))
    assert revealed.mode == "L" and not revealed.getexif()  # greyscale, no metadata
    again = client.get(src, headers=cookie(token))
    assert again.status_code == 410 and "already used" in again.text


def test_the_daily_reveal_limit_disables_reveal_and_says_why(client, store, admin) -> None:
    sighting = list_and_upload(client, admin, 13, "limit-1")["sighting_id"]
    people.create_user(store, "limited", "reviewer", PASSWORD)
    people.set_reveal_limit(store, "limited", 1)
    token, csrf = session_for(store, "limited")
    headers = {**cookie(token), "X-CSRF-Token": csrf, "HX-Request": "true"}
    assert "/ui/reveal/" in client.post(f"/ui/review/{sighting}/reveal", headers=headers).text
    refused = client.post(f"/ui/review/{sighting}/reveal", headers=headers).text
    assert "/ui/reveal/" not in refused and "Reveal limit reached" in refused
    page = client.get(f"/ui/review/{sighting}", headers=cookie(token)).text
    assert "Reveal unavailable" in page and "1 of 1" in page


def test_a_break_is_suggested_every_ten_reveals(client, store, admin) -> None:
    sighting = list_and_upload(client, admin, 14, "break-1")["sighting_id"]
    people.create_user(store, "steady", "reviewer", PASSWORD)
    token, csrf = session_for(store, "steady")
    headers = {**cookie(token), "X-CSRF-Token": csrf, "HX-Request": "true"}
    answers = [
        client.post(f"/ui/review/{sighting}/reveal", headers=headers).text for _ in range(10)
    ]
    assert not any("short break" in a for a in answers[:9])
    assert "Time for a short break" in answers[9]


def test_an_item_without_evidence_says_so_instead_of_showing_an_image(
    client, store, users, admin
) -> None:
    md5 = "ab" * 16
    client.post(
        "/v1/banks/iwf/entries",
        json={"entries": [{"signal_type": "md5", "value": md5, "category": "B"}]},
        headers=admin,
    )
    client.app.state.runtime.refresh()
    r = client.post(
        "/v1/lookup",
        json={
            "items": [
                {
                    "signals": {"md5": md5},
                    "context": {"platform": "examplegram", "message_id": "lookup-1"},
                }
            ]
        },
        headers=admin,
    )
    sighting = r.json()["results"][0]["sighting_id"]
    token, _ = session_for(store, users[Role.REVIEWER])
    page = client.get(f"/ui/review/{sighting}", headers=cookie(token)).text
    assert "No picture to show" in page and "Hash lookup" in page
    assert 'id="evidence-image"' not in page
    assert client.get(f"/ui/review/{sighting}/preview", headers=cookie(token)).status_code == 404


def test_a_decision_through_htmx_shows_the_next_item_and_pushes_its_url(
    client, store, users, admin
) -> None:
    first = list_and_upload(client, admin, 15, "next-1")["sighting_id"]
    second = list_and_upload(client, admin, 16, "next-2")["sighting_id"]
    token, csrf = session_for(store, users[Role.REVIEWER])
    ids = review.queue_ids(store)
    expected = ids[ids.index(first) + 1]
    r = client.post(
        f"/ui/review/{first}/decide",
        data={"choice": "confirm:B", "note": "listed"},
        headers={**cookie(token), "X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.headers["hx-push-url"] == f"/ui/review/{expected}"
    assert f"Sighting {first} confirmed as category B" in r.text
    assert f"<h1>Sighting {expected}</h1>" in r.text
    assert {m.status for m in review.item(store, first).matches} == {"confirmed"}
    assert second in ids


def test_pages_carry_a_strict_content_security_policy_and_no_store(client, store, users) -> None:
    token, _ = session_for(store, users[Role.INVESTIGATOR])
    r = client.get("/ui/dashboard", headers=cookie(token))
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "<svg" in r.text and "<script>" not in r.text and "style=" not in r.text


def test_the_root_leads_to_the_ui(client) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/"


def test_a_reviewer_submits_a_draft_report_once_from_the_reports_page(
    client, store, users, admin
) -> None:
    from bastion import outbox
    from bastion.actions import handlers
    from bastion.store.models import HotlineReportRow

    sighting = list_and_upload(client, admin, 17, "report-1")["sighting_id"]
    reviewer = people.get_user(store, users[Role.REVIEWER])
    review.decide(store, reviewer, sighting, "confirm", "A")
    outbox.Worker(store, handlers(None), name="ui-tests").run_once(50)
    with store.session() as s:
        report = s.query(HotlineReportRow).filter_by(sighting_id=sighting).one().id
    token, csrf = session_for(store, users[Role.REVIEWER])
    page = client.get("/ui/reports", headers=cookie(token)).text
    assert f'action="/ui/reports/{report}/submit"' in page
    r = client.post(
        f"/ui/reports/{report}/submit",
        headers={**cookie(token), "X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with store.session() as s:
        assert s.get(HotlineReportRow, report).status == "queued"
    again = client.post(
        f"/ui/reports/{report}/submit", headers={**cookie(token), "X-CSRF-Token": csrf}
    )
    assert "only a draft or a failed report can be submitted" in again.text
    auditor, _ = session_for(store, users[Role.AUDITOR])
    assert "/submit" not in client.get("/ui/reports", headers=cookie(auditor)).text
