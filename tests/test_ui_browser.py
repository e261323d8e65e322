"""The review UI in a real browser (Debian's Chromium driven by Playwright) against a real
`bastion serve`, with a webhook receiver on 127.0.0.1 and `bastion worker --once`.

A reviewer signs in, sees a blurred item, reveals it, confirms it as category A; the signed
webhooks arrive, the evidence is preserved, the hotline report is drafted and shown, and every
step is in the audit trail. Every picture is a benign synthetic one; "category A" is a label.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image, ImageFilter

from bastion import audit, people, review
from bastion.banks.formats.base import Row
from bastion.hashing import hash_bytes
from bastion.store import Store
from bastion.store.banks import BankStore
from bastion.synthetic import photo_like_jpeg
from bastion.vault import evidence_for
from tests.service_support import Service, start_service
from tests.test_outbox import SECRET, Receiver

CHROMIUM = Path(os.environ.get("BASTION_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
SEEDS = {"flow": 21, "limit": 22, "csrf": 23}
REVEAL_SECONDS = "1.5"  # the default is 5 s; shorter here only to keep the test quick


def _playwright():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("BASTION_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    return sync_playwright()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, receiver) -> Service:
    home = tmp_path_factory.mktemp("ui-browser")
    url = f"sqlite:///{home / 'bastion.db'}"
    store = Store.open(url)
    banks = BankStore(store)
    banks.create("iwf", "iwf")
    banks.import_items(
        "iwf",
        [
            Row(i + 1, "md5", hash_bytes(photo_like_jpeg(seed), "x").digests.md5, "A")
            for i, seed in enumerate(SEEDS.values())
        ],
    )
    people.create_user(store, "rita", "reviewer", PASSWORD, "Rita Reviewer")
    people.create_user(store, "lena", "reviewer", PASSWORD, "Lena Limited")
    people.set_reveal_limit(store, "lena", 1)
    people.create_user(store, "alex", "reviewer", PASSWORD)
    people.create_user(store, "audrey", "auditor", PASSWORD, "Audrey Auditor")
    store.close()
    env = {
        "BASTION_WEBHOOK_URL": receiver.url,
        "BASTION_WEBHOOK_SECRET": SECRET,
        "BASTION_REVEAL_SECONDS": REVEAL_SECONDS,
    }
    svc = start_service(url, home, extra_env=env)
    svc.env = env
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def store(service):
    s = Store.open(service.database_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    with _playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, service):
    context = browser.new_context(base_url=service.url, viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def upload(service: Service, seed: int, message: str) -> dict:
    data = photo_like_jpeg(seed)
    context = {
        "platform": "examplegram",
        "message_id": message,
        "chat_id": "chat-42",
        "chat_type": "public_group",
        "member_count": 1200,
        "sender_account_id": f"sender-{seed}",
    }
    with service.client("platform") as client:
        r = client.post(
            "/v1/media",
            files={"file": ("m.jpg", data, "image/jpeg")},
            data={"context": json.dumps(context)},
        )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["verdict"] == "block"
    return {"data": data, **answer}


def sign_in(page, username: str, path: str = "/ui/") -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def detail(data: bytes) -> float:
    """Fine detail: mean difference from a 2-pixel blur of itself, away from the borders."""
    grey = Image.open(io.BytesIO(data)).convert("L")
    sharp = np.asarray(grey, dtype=np.float64)
    soft = np.asarray(grey.filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    return float(np.abs(sharp - soft)[4:-4, 4:-4].mean())


def run_worker(service: Service) -> None:
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": service.database_url,
        "BASTION_HOME": str(service.home),
        **service.env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bastion", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_a_reviewer_confirms_a_blurred_match_and_the_webhooks_evidence_report_and_audit_follow(
    page, service, store, receiver
) -> None:
    item = upload(service, SEEDS["flow"], "flow-1")
    sighting = item["sighting_id"]
    sign_in(page, "rita", f"/ui/review/{sighting}")
    page.wait_for_url(f"**/ui/review/{sighting}")

    # Blurred before any reveal: the page asks for the server-side preview, and it has lost
    # the picture's detail.
    image = page.locator("#evidence-image")
    assert image.get_attribute("src") == f"/ui/review/{sighting}/preview"
    assert "blurred" in image.get_attribute("class")
    preview = page.context.request.get(f"/ui/review/{sighting}/preview")
    assert preview.headers["cache-control"] == "no-store"
    assert detail(preview.body()) < detail(item["data"]) / 10
    assert page.locator("#reveal-count").inner_text() == "0 of 50"

    # A deliberate reveal shows the item for a moment, then the preview comes back.
    with page.expect_response(lambda r: "/ui/reveal/" in r.url) as shown:
        page.keyboard.press("r")
    revealed = shown.value
    assert revealed.status == 200 and revealed.headers["cache-control"] == "no-store"
    assert detail(revealed.body()) > 5 * detail(preview.body())
    assert page.locator("#reveal-count").inner_text() == "1 of 50"
    page.wait_for_selector("#evidence-image.blurred", timeout=15_000)
    assert page.context.request.get(revealed.url).status == 410  # the ticket was single-use

    # Confirm as category A with the keyboard: the queue moves on.
    page.keyboard.press("1")
    page.wait_for_selector(f"text=Sighting {sighting} confirmed as category A")
    assert {m.status for m in review.item(store, sighting).matches} == {"confirmed"}

    # The worker delivers the signed webhooks and drafts the report.
    run_worker(service)
    events = {
        r["event"]: r for r in receiver.received if r["body"]["data"].get("sighting_id") == sighting
    }
    assert set(events) == {"content.block", "account.suspend"}
    assert all(r["valid"] for r in events.values())
    assert events["content.block"]["body"]["data"]["category"] == "A"
    assert events["account.suspend"]["body"]["data"]["account_id"] == f"sender-{SEEDS['flow']}"

    page.goto("/ui/reports")
    row = page.locator("tr", has_text=f"{sighting}").filter(has_text="NCMEC")
    assert "draft" in row.inner_text().lower()
    page.goto("/ui/deliveries")
    assert page.locator("text=HTTP 204").count() >= 2
    page.goto(f"/ui/review/{sighting}")
    assert "This item has been decided" in page.content()

    # Evidence preserved, encrypted, with its intake hash.
    held = evidence_for(store, review.item(store, sighting).content_id)
    assert held is not None and held.sha256 == hashlib.sha256(item["data"]).hexdigest()

    # Every step audited: the reveal, the evidence reads, the decision.
    actions = [
        (r.action, r.target_id, (r.details or {}).get("purpose", ""))
        for r in audit.tail(store, 500)
        if r.actor == "user:rita"
    ]
    assert ("review.reveal", str(sighting), "") in actions
    assert ("review.confirm", str(sighting), "") in actions
    assert any(a == "evidence.read" and "reveal" in p for a, _, p in actions)

    # ... and an auditor sees them in the audit page; a reviewer cannot open it.
    page.goto("/ui/audit")
    assert "Not available" in page.content()
    page.context.clear_cookies()
    sign_in(page, "audrey", f"/ui/audit?target_type=sighting&target_id={sighting}")
    page.wait_for_url("**/ui/audit**")
    trail = page.locator("table.audit-table").inner_text()
    assert "review.reveal" in trail and "review.confirm" in trail


def test_the_daily_reveal_limit_disables_reveal_in_the_browser(page, service) -> None:
    sighting = upload(service, SEEDS["limit"], "limit-1")["sighting_id"]
    sign_in(page, "lena", f"/ui/review/{sighting}")
    page.wait_for_url(f"**/ui/review/{sighting}")
    assert page.locator("#reveal-count").inner_text() == "0 of 1"
    page.keyboard.press("r")
    page.wait_for_selector("#evidence-image.revealed")
    page.wait_for_selector("#evidence-image.blurred", timeout=15_000)
    assert page.locator("text=Reveal limit reached").is_visible()
    assert page.locator("button.btn-reveal").is_disabled()
    page.keyboard.press("r")  # nothing happens
    assert page.locator("#evidence-image.blurred").is_visible()


def test_a_forged_csrf_token_is_refused_in_the_browser(page, service, store) -> None:
    sighting = upload(service, SEEDS["csrf"], "csrf-1")["sighting_id"]
    sign_in(page, "rita", f"/ui/review/{sighting}")
    page.wait_for_url(f"**/ui/review/{sighting}")
    page.evaluate(
        """() => {
            document.body.setAttribute('hx-headers', '{"X-CSRF-Token": "forged"}');
            document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged');
        }"""
    )
    with page.expect_response(lambda r: r.url.endswith("/decide")) as answer:
        page.keyboard.press("e")
    assert answer.value.status == 403
    assert not review.item(store, sighting).escalated


def test_repeated_wrong_passwords_show_the_lockout_message(page) -> None:
    for _ in range(people.MAX_FAILURES):
        page.goto("/ui/sign-in")
        page.fill("input[name=username]", "alex")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        assert "wrong username or password" in page.locator(".alert").inner_text()
    sign_in(page, "alex", "/ui/sign-in")
    message = page.locator(".alert").inner_text()
    assert "locked" in message and "too many failed sign-ins" in message


def test_the_service_answers_health_checks_with_the_ui_mounted(service) -> None:
    assert httpx.get(service.url + "/healthz").status_code == 200
    assert httpx.get(service.url + "/ui/static/htmx.min.js").status_code == 200
