"""The lawful-request desk in a real browser (Debian's Chromium through Playwright) against a
real `bastion serve`: a legal officer records a court order, verifies it, reviews it against
the policy and approves; a second officer approves and produces the signed package; the package
verifies with `bastion legal verify`; delivery is recorded; an auditor sees the quarter's
transparency report count it, and cannot open the request. All account data is synthetic."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bastion import people
from bastion.legal import signing
from bastion.store import Store
from tests import test_ui_browser
from tests.legal_support import NAMED, PLATFORM, ip_for, phone_for, post_account_data
from tests.service_support import Service, start_service
from tests.test_ui_browser import PASSWORD, sign_in

browser = test_ui_browser.browser  # the same Chromium fixture, one browser for this module


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    home = tmp_path_factory.mktemp("legal-browser")
    key = home / "signing.pem"
    signing.generate(key)
    url = f"sqlite:///{home / 'bastion.db'}"
    store = Store.open(url)
    people.create_user(store, "lou", "legal", PASSWORD, "Lou Legal")
    people.create_user(store, "max", "legal", PASSWORD, "Max Legal")
    people.create_user(store, "audrey", "auditor", PASSWORD, "Audrey Auditor")
    store.close()
    svc = start_service(url, home, extra_env={"BASTION_LEGAL_SIGNING_KEY": str(key)})
    svc.key = key
    with svc.client("platform") as platform:
        post_account_data(platform.post, windows=("inside", "after"))
    yield svc
    svc.stop()


def new_page(browser, service):
    context = browser.new_context(
        base_url=service.url, viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    return context.new_page()


def shot(page, name: str) -> None:
    """With BASTION_SCREENSHOTS=DIR, keep a picture of the page for a person to look at."""
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"legal-{name}.png"), full_page=True)


def test_a_court_order_goes_from_intake_to_a_verified_disclosure_and_the_report(
    browser, service, tmp_path
) -> None:
    lou = new_page(browser, service)
    sign_in(lou, "lou", "/ui/legal/new")
    lou.wait_for_url("**/ui/legal/new")
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d")
    for name, value in {
        "reference": "CO/2026/0042",
        "authority": "Example Constabulary",
        "country": "GB",
        "officer": "DC Example",
        "contact": "dc.example@police.example",
        "platform": PLATFORM,
        "deadline": deadline,
        "date_from": "2026-07-01",
        "date_to": "2026-08-01",
    }.items():
        lou.fill(f"[name={name}]", value)
    lou.select_option("select[name=basis]", "court_order")
    lou.fill("textarea[name=accounts]", "\n".join(NAMED))
    lou.check("input[name=data_types][value=ip_addresses]")
    lou.check("input[name=data_types][value=phone_number]")
    lou.set_input_files(
        "input[name=document]",
        {"name": "order.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 synthetic order"},
    )
    shot(lou, "1-intake")
    lou.click("#intake-form button[type=submit]")
    lou.wait_for_selector("#step-done")
    request_path = lou.url.split("?")[0].removeprefix(service.url)

    for key in ("identity", "channel", "document"):
        lou.check(f"#verify-form input[value={key}]")
    lou.click("#verify-form button[type=submit]")
    lou.wait_for_selector("#review-form")
    lou.fill(
        "#review-form textarea[name=reasons]",
        "Valid court order; IP addresses and phone numbers only.",
    )
    lou.click("#review-form button[type=submit]")
    lou.wait_for_selector("#approve-form")
    lou.click("#approve-form button[type=submit]")
    lou.wait_for_selector("#approved-by-me")
    assert lou.locator("#produce-form").count() == 0  # one approval produces nothing

    max_ = new_page(browser, service)
    sign_in(max_, "max", request_path)
    max_.wait_for_url(f"**{request_path}")
    max_.click("#approve-form button[type=submit]")
    max_.wait_for_selector("#produce-form")
    max_.click("#produce-form button[type=submit]")
    max_.wait_for_selector("#package-link")
    shot(max_, "2-produced")
    with max_.expect_download() as download:
        max_.click("#package-link")
    package = tmp_path / "disclosure.zip"
    download.value.save_as(package)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "bastion",
            "legal",
            "verify",
            str(package),
            "--public-key",
            str(service.key.with_suffix(".pub.pem")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BASTION_HOME": str(tmp_path)},
    )
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr
    with zipfile.ZipFile(package) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("data.csv").decode())))
    assert {r["account_id"] for r in rows} == set(NAMED)
    assert {r["value"] for r in rows} == {ip_for(a, "inside") for a in NAMED} | {
        phone_for(a, "inside") for a in NAMED
    }

    max_.fill("#deliver-form input[name=method]", "the authority's disclosure portal")
    max_.click("#deliver-form button[type=submit]")
    max_.wait_for_selector("text=Closed: fulfilled")
    max_.goto("/ui/legal")
    shot(max_, "3-desk")
    assert "delivered" in max_.locator("#legal-requests").inner_text().lower()

    audrey = new_page(browser, service)
    sign_in(audrey, "audrey", "/ui/transparency")
    audrey.wait_for_url("**/ui/transparency")
    shot(audrey, "4-transparency")
    gb = audrey.locator("#country-GB").inner_text().split()
    assert gb == ["GB", "1", "1", "0", "0", "0", "3"]  # received, fulfilled, ..., accounts
    assert audrey.locator("svg.svg-chart rect.k-fulfilled").count() == 1
    audrey.goto(request_path)
    assert "Not available" in audrey.content()
    audrey.goto("/ui/audit?target_type=legal_request")
    trail = audrey.locator("table.audit-table").inner_text()
    for action in (
        "legal.receive",
        "legal.verify",
        "legal.review",
        "legal.approve",
        "legal.produce",
        "legal.deliver",
        "legal.package.read",
    ):
        assert action in trail, action
