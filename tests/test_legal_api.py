"""The desk over HTTP, in-process: a court order from intake to a signed, verified disclosure by
two legal officers; who may see what; errors that name the field; the platform's account data
and its purge; the transparency report in three formats; the CLI on the package."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bastion import keys
from bastion.cli import app as cli
from bastion.hashing import hash_bytes
from bastion.legal import signing
from bastion.legal.requests import CHECKS
from bastion.service.app import create_app
from bastion.service.settings import load_settings
from bastion.synthetic import photo_like_jpeg
from tests.legal_support import (
    NAMED,
    PLATFORM,
    ip_for,
    phone_for,
    post_account_data,
)

INTAKE = {
    "reference": "CO/2026/0042",
    "authority": "Example Constabulary",
    "country": "GB",
    "officer": "DC Example",
    "contact": "dc.example@police.example",
    "basis": "court_order",
    "platform": PLATFORM,
    "accounts": list(NAMED),
    "data_types": ["ip_addresses", "phone_number"],
    "date_from": "2026-07-01T00:00:00Z",
    "date_to": "2026-08-01T00:00:00Z",
    "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
}
ORDER = b"%PDF-1.4 synthetic court order for tests"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("legal-api")


@pytest.fixture(scope="module")
def client(home):
    key = home / "signing.pem"
    signing.generate(key)
    settings = load_settings(database_url=f"sqlite:///{home / 'api.db'}", legal_signing_key=key)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def auth(client):
    store = client.app.state.runtime.store

    def header(role: str, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys.create_key(store, role, name, 'tests')[1]}"}

    return {
        "platform": header("platform", "examplegram"),
        "lou": header("legal", "lou"),
        "max": header("legal", "max"),
        "auditor": header("auditor", "audrey"),
        "admin": header("admin", "ada"),
        "reviewer": header("reviewer", "rita"),
    }


@pytest.fixture(scope="module")
def recorded(client, auth):
    """The platform records a login inside, before and after July 2026 and a phone number for
    each of the four accounts."""
    post_account_data(lambda path, json: client.post(path, json=json, headers=auth["platform"]))


def receive(client, headers, **changes) -> dict:
    r = client.post(
        "/v1/legal/requests",
        data={"intake": json.dumps({**INTAKE, **changes})},
        files={"document": ("order.pdf", ORDER, "application/pdf")},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def take_to_review(client, auth, **review) -> int:
    rid = receive(client, auth["lou"])["id"]
    r = client.post(
        f"/v1/legal/requests/{rid}/verify", json={"checks": list(CHECKS)}, headers=auth["lou"]
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/v1/legal/requests/{rid}/review",
        json={"decision": "approve", "reasons": "valid order; within policy", **review},
        headers=auth["lou"],
    )
    assert r.status_code == 200, r.text
    return rid


def test_a_court_order_goes_from_intake_to_a_verified_disclosure_with_two_approvals(
    client, auth, recorded, tmp_path
) -> None:
    made = receive(client, auth["lou"])
    assert made["state"] == "received"
    assert made["document_sha256"] == hashlib.sha256(ORDER).hexdigest()
    rid = take_to_review(client, auth)

    r = client.post(f"/v1/legal/requests/{rid}/approve", json={}, headers=auth["lou"])
    assert r.status_code == 200 and r.json()["state"] == "reviewed"
    again = client.post(f"/v1/legal/requests/{rid}/approve", json={}, headers=auth["lou"])
    assert again.status_code == 409 and "already approved" in again.json()["error"]["message"]
    early = client.post(f"/v1/legal/requests/{rid}/produce", headers=auth["lou"])
    assert (
        early.status_code == 409 and "nothing may be produced" in early.json()["error"]["message"]
    )
    assert client.get(f"/v1/legal/requests/{rid}/package", headers=auth["lou"]).status_code == 404

    r = client.post(
        f"/v1/legal/requests/{rid}/approve", json={"note": "agreed"}, headers=auth["max"]
    )
    assert r.json()["state"] == "approved"
    r = client.post(f"/v1/legal/requests/{rid}/produce", headers=auth["max"])
    assert r.status_code == 200 and r.json()["state"] == "produced", r.text

    package = client.get(f"/v1/legal/requests/{rid}/package", headers=auth["lou"])
    assert package.status_code == 200 and package.headers["content-type"] == "application/zip"
    path = tmp_path / "disclosure.zip"
    path.write_bytes(package.content)
    public = client.app.state.runtime.settings.legal_signing_key.with_suffix(".pub.pem")
    checked = CliRunner().invoke(cli, ["legal", "verify", str(path), "--public-key", str(public)])
    assert checked.exit_code == 0 and "OK disclosure.zip" in checked.output, checked.output
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("data.csv").decode())))
    assert {r["account_id"] for r in rows} == set(NAMED)
    assert {r["value"] for r in rows} == {ip_for(a, "inside") for a in NAMED} | {
        phone_for(a, "inside") for a in NAMED
    }

    r = client.post(
        f"/v1/legal/requests/{rid}/deliver",
        json={"method": "authority's portal", "recipient": "DC Example"},
        headers=auth["lou"],
    )
    assert r.json()["state"] == "delivered" and r.json()["outcome"] == "fulfilled"
    trail = json.dumps(client.get("/v1/audit?limit=500", headers=auth["auditor"]).json())
    for secret in (*NAMED, *(ip_for(a, "inside") for a in NAMED), phone_for("acct-1", "inside")):
        assert secret not in trail  # the auditor sees every step, not the accounts or the data
    report = client.get("/v1/legal/transparency?quarter=" + _quarter_now(), headers=auth["auditor"])
    gb = next(c for c in report.json()["countries"] if c["country"] == "GB")
    assert gb["fulfilled"] >= 1 and gb["accounts_affected"] >= 3


def _quarter_now() -> str:
    now = datetime.now(UTC)
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


def test_only_the_legal_role_sees_requests_and_auditors_see_the_trail(client, auth) -> None:
    rid = receive(client, auth["lou"])["id"]
    for who in ("platform", "auditor", "admin", "reviewer"):
        for path in (
            "/v1/legal/requests",
            f"/v1/legal/requests/{rid}",
            f"/v1/legal/requests/{rid}/document",
        ):
            assert client.get(path, headers=auth[who]).status_code == 403, (who, path)
    r = client.get(f"/v1/legal/requests/{rid}/document", headers=auth["lou"])
    assert r.content == ORDER and r.headers["cache-control"] == "no-store"
    trail = client.get("/v1/audit?limit=200", headers=auth["auditor"]).json()
    mine = [(t["action"], t["actor"]) for t in trail if t["target_id"] == str(rid)]
    assert ("legal.receive", "key:" + _prefix(auth["lou"]) + " (lou)") in mine
    assert any(a == "legal.request.read" for a, _ in mine)
    assert client.get("/v1/audit", headers=auth["lou"]).status_code == 403


def _prefix(header: dict[str, str]) -> str:
    return keys.prefix_of(header["Authorization"].split()[1])


def test_a_bad_intake_names_the_field(client, auth) -> None:
    for changes, field in (
        ({"country": "Britain"}, "intake.country"),
        ({"basis": "letter"}, "intake.basis"),
        ({"date_from": "2026-07-01T00:00:00"}, "intake.date_from"),  # no timezone
        ({"accounts": []}, "intake.accounts"),
        ({"data_types": ["bank_details"]}, "data_types"),
        ({"date_to": "2026-06-01T00:00:00Z"}, "date_to"),
    ):
        r = client.post(
            "/v1/legal/requests",
            data={"intake": json.dumps({**INTAKE, **changes})},
            files={"document": ("order.pdf", ORDER, "application/pdf")},
            headers=auth["lou"],
        )
        assert r.status_code == 422, (changes, r.text)
        assert r.json()["error"]["field"] == field, (changes, r.json())
    r = client.post(
        "/v1/legal/requests",
        data={"intake": "{not json"},
        files={"document": ("o.pdf", ORDER, "application/pdf")},
        headers=auth["lou"],
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_intake"
    r = client.post(
        "/v1/legal/requests",
        data={"intake": json.dumps(INTAKE)},
        files={"document": ("o.pdf", b"", "application/pdf")},
        headers=auth["lou"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "document"


def test_steps_out_of_order_or_outside_policy_are_clear_errors(client, auth) -> None:
    rid = receive(client, auth["lou"], data_types=["ip_addresses", "messages"])["id"]
    r = client.post(
        f"/v1/legal/requests/{rid}/review",
        json={"decision": "approve", "reasons": "x"},
        headers=auth["lou"],
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "step_refused"
    r = client.post(
        f"/v1/legal/requests/{rid}/verify", json={"checks": ["identity"]}, headers=auth["lou"]
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "checks"
    client.post(
        f"/v1/legal/requests/{rid}/verify", json={"checks": list(CHECKS)}, headers=auth["lou"]
    )
    r = client.post(
        f"/v1/legal/requests/{rid}/review",
        json={"decision": "approve", "reasons": "x"},
        headers=auth["lou"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "data_types"
    assert "messages may not be disclosed" in r.json()["error"]["message"]
    r = client.post(
        f"/v1/legal/requests/{rid}/review",
        json={
            "decision": "approve",
            "reasons": "IP addresses only",
            "data_types": ["ip_addresses"],
        },
        headers=auth["lou"],
    )
    assert r.status_code == 200 and r.json()["steps"]["review"]["scope"]["data_types"] == [
        "ip_addresses"
    ]
    assert client.get("/v1/legal/requests/999999", headers=auth["lou"]).status_code == 404
    r = client.post(f"/v1/legal/requests/{rid}/reject", json={"reasons": " "}, headers=auth["lou"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "reasons"


def test_reminders_list_requests_near_their_deadline(client, auth) -> None:
    rid = receive(client, auth["lou"], reference="DUE-SOON")["id"]
    found = client.get("/v1/legal/reminders", headers=auth["lou"]).json()
    assert any(m["request_id"] == rid and m["what"] == "deadline" for m in found)


def test_the_platform_records_account_data_with_checked_fields(client, auth) -> None:
    r = client.post(
        "/v1/accounts/ip-events",
        json={
            "events": [
                {
                    "platform": PLATFORM,
                    "account_id": "x",
                    "ip": "not-an-ip",
                    "action": "login",
                    "at": "2026-07-01T00:00:00Z",
                }
            ]
        },
        headers=auth["platform"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "events.0.ip"
    r = client.post(
        "/v1/accounts/phone-numbers",
        json={"platform": PLATFORM, "account_id": "x", "phone_number": "12345"},
        headers=auth["platform"],
    )
    assert r.status_code == 422 and "E.164" in r.json()["error"]["message"]
    assert (
        client.post("/v1/accounts/ip-events", json={"events": []}, headers=auth["lou"]).status_code
        == 403
    )
    r = client.post("/v1/accounts/purge", headers=auth["admin"])
    assert r.status_code == 200 and r.json()["retention_days"] == 365


def test_the_transparency_report_comes_as_json_csv_and_html(client, auth) -> None:
    q = _quarter_now()
    for fmt, media in (("json", "application/json"), ("csv", "text/csv"), ("html", "text/html")):
        r = client.get(f"/v1/legal/transparency?quarter={q}&format={fmt}", headers=auth["lou"])
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert (
        "<svg"
        in client.get(f"/v1/legal/transparency?quarter={q}&format=html", headers=auth["admin"]).text
    )
    r = client.get("/v1/legal/transparency?quarter=Q9", headers=auth["lou"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "quarter"
    assert (
        client.get(f"/v1/legal/transparency?quarter={q}", headers=auth["platform"]).status_code
        == 403
    )


def _flow_to_package(client, auth, changes: dict, review: dict | None = None) -> tuple[int, list]:
    rid = receive(client, auth["lou"], **changes)["id"]
    client.post(
        f"/v1/legal/requests/{rid}/verify", json={"checks": list(CHECKS)}, headers=auth["lou"]
    )
    r = client.post(
        f"/v1/legal/requests/{rid}/review",
        json={"decision": "approve", "reasons": "within policy", **(review or {})},
        headers=auth["lou"],
    )
    assert r.status_code == 200, r.text
    for who in ("lou", "max"):
        client.post(f"/v1/legal/requests/{rid}/approve", headers=auth[who])
    r = client.post(f"/v1/legal/requests/{rid}/produce", headers=auth["max"])
    assert r.status_code == 200, r.text
    package = client.get(f"/v1/legal/requests/{rid}/package", headers=auth["lou"]).content
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return rid, json.loads(z.read("data.json"))["records"]


def test_the_sender_ip_of_a_matched_upload_is_disclosable_and_an_unmatched_ones_is_not(
    client, auth
) -> None:
    listed, unlisted = photo_like_jpeg(71), photo_like_jpeg(72)
    admin = auth["admin"]
    assert (
        client.post("/v1/banks", json={"name": "iwf", "source": "iwf"}, headers=admin).status_code
        == 201
    )
    md5 = hash_bytes(listed, "x").digests.md5
    r = client.post(
        "/v1/banks/iwf/entries",
        json={"entries": [{"signal_type": "md5", "value": md5, "category": "A"}]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    client.app.state.runtime.refresh()
    for data, message, ip in ((listed, "up-1", "192.0.2.50"), (unlisted, "up-2", "192.0.2.51")):
        context = {
            "platform": PLATFORM,
            "message_id": message,
            "sender_account_id": "acct-5",
            "sender_ip": ip,
        }
        r = client.post(
            "/v1/media",
            files={"file": ("m.jpg", data, "image/jpeg")},
            data={"context": json.dumps(context)},
            headers=auth["platform"],
        )
        assert r.status_code == 200, r.text
    now = datetime.now(UTC)
    _, found = _flow_to_package(
        client,
        auth,
        {
            "accounts": ["acct-5"],
            "data_types": ["ip_addresses"],
            "date_from": (now - timedelta(days=1)).isoformat(),
            "date_to": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert [(r["value"], r["source"]) for r in found] == [("192.0.2.50", "matched_upload")]


def test_a_narrower_approval_is_a_partial_fulfilment(client, auth) -> None:
    rid, found = _flow_to_package(
        client,
        auth,
        {"reference": "PART-1"},
        {"accounts": ["acct-1"], "data_types": ["ip_addresses"]},
    )
    assert {(r["account_id"], r["data_type"]) for r in found} == {("acct-1", "ip_addresses")}
    r = client.post(
        f"/v1/legal/requests/{rid}/deliver",
        json={"method": "portal", "recipient": "DC Example"},
        headers=auth["lou"],
    )
    assert r.json()["outcome"] == "partial"


def test_an_emergency_request_is_produced_by_one_officer_and_then_awaits_review(
    client, auth
) -> None:
    rid = receive(client, auth["lou"], basis="emergency", reference="EMERG-1")["id"]
    client.post(
        f"/v1/legal/requests/{rid}/verify", json={"checks": list(CHECKS)}, headers=auth["lou"]
    )
    r = client.post(f"/v1/legal/requests/{rid}/produce", headers=auth["lou"])
    assert r.status_code == 200 and r.json()["state"] == "produced", r.text
    assert r.json()["review_due"] is not None
    due = client.get("/v1/legal/reminders?hours=100", headers=auth["lou"]).json()
    assert any(m["request_id"] == rid and m["what"] == "emergency review" for m in due)
    client.post(
        f"/v1/legal/requests/{rid}/review",
        json={"decision": "approve", "reasons": "threat to life confirmed"},
        headers=auth["lou"],
    )
    client.post(f"/v1/legal/requests/{rid}/approve", headers=auth["lou"])
    r = client.post(f"/v1/legal/requests/{rid}/approve", headers=auth["max"])
    assert r.json()["review_due"] is None and r.json()["steps"]["review"]["retrospective"]
