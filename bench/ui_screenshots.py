"""Screenshots of every main page of the review UI, for a person to look at (not a benchmark,
not a test): seeds a throw-away deployment with benign synthetic pictures, a month of
backdated activity and a webhook receiver that sometimes fails, then drives Debian's Chromium.

    .venv/bin/python bench/ui_screenshots.py            # PNGs in bench/out/ui/

Every picture is generated and benign; the categories on them are only labels.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bastion import keys, outbox, people, review  # noqa: E402
from bastion.actions import handlers  # noqa: E402
from bastion.banks.formats.base import Row  # noqa: E402
from bastion.hashing import hash_bytes  # noqa: E402
from bastion.store import Store  # noqa: E402
from bastion.store.banks import BankStore  # noqa: E402
from bastion.store.models import (  # noqa: E402
    DeliveryRow,
    HotlineReportRow,
    MatchRow,
    OutboxRow,
    ReviewDecisionRow,
    SightingRow,
)
from bastion.store.types import utcnow  # noqa: E402
from bastion.synthetic import photo_like_jpeg  # noqa: E402
from bastion.webhooks import WebhookConfig  # noqa: E402

OUT = ROOT / "bench" / "out" / "ui"
HOME = Path("/tmp/bastion-ui-shots")
PASSWORD = "correct horse battery staple"
SECRET = "screenshot-webhook-secret"
CHATS = [
    ("grp-3391", "public_group", 1240),
    ("chn-0087", "public_channel", 48210),
    ("grp-7702", "private_group", 36),
    ("chn-5540", "public_channel", 9120),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FlakyReceiver:
    """Answers 204, except every fifth delivery (500) and one receiver refusal (400)."""

    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.count += 1
                code = 204
                if receiver.count % 5 == 0:
                    code = 500
                if receiver.count == 7:
                    code = 400
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def seed(store: Store, url: str, receiver: FlakyReceiver) -> dict[str, int]:
    rng = random.Random(7)
    banks = BankStore(store)
    banks.create("iwf-2026-11", "iwf", description="IWF hash list")
    banks.create("ncmec-sharing", "ncmec", description="NCMEC industry hash sharing")
    banks.create("trust-local", "local", description="Platform's own list")
    seeds = list(range(100, 140))
    placement = {}
    rows: dict[str, list[Row]] = {"iwf-2026-11": [], "ncmec-sharing": [], "trust-local": []}
    for i, s in enumerate(seeds):
        bank = "iwf-2026-11" if i % 3 else ("ncmec-sharing" if i % 2 else "trust-local")
        category = rng.choices(["A", "B", "C"], weights=[2, 3, 5])[0]
        md5 = hash_bytes(photo_like_jpeg(s), "x").digests.md5
        rows[bank].append(Row(len(rows[bank]) + 1, "md5", md5, category))
        placement[s] = bank
    for bank, items in rows.items():
        banks.import_items(bank, items)
    for name, role, display in (
        ("rita", "reviewer", "Rita Okafor"),
        ("sam", "reviewer", "Sam Lindqvist"),
        ("ivan", "investigator", "Ivan Petrov"),
        ("audrey", "auditor", "Audrey Marsh"),
        ("ada", "admin", "Ada Admin"),
    ):
        people.create_user(store, name, role, PASSWORD, display)
    _, secret = keys.create_key(store, "platform", "examplegram-upload", "screenshots")
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    sightings = []
    for n in range(64):
        s = seeds[n % len(seeds)] if n < 52 else rng.choice(seeds[:6])
        chat, kind, members = rng.choice(CHATS)
        context = {
            "platform": "examplegram",
            "message_id": f"{chat}/{1000 + n}",
            "chat_id": chat,
            "chat_type": kind,
            "member_count": members,
            "sender_account_id": f"user-{rng.randint(1000, 1030)}",
        }
        r = client.post(
            "/v1/media",
            files={"file": ("m.jpg", photo_like_jpeg(s), "image/jpeg")},
            data={"context": json.dumps(context)},
        )
        r.raise_for_status()
        sightings.append(r.json()["sighting_id"])
    listed_md5 = hash_bytes(photo_like_jpeg(seeds[1]), "x").digests.md5
    lookup = client.post(  # hashes only: nothing to show, said so on the page
        "/v1/lookup",
        json={
            "items": [
                {
                    "signals": {"md5": listed_md5},
                    "context": {
                        "platform": "examplegram",
                        "message_id": "chn-0087/2001",
                        "chat_id": "chn-0087",
                        "chat_type": "public_channel",
                        "member_count": 48210,
                        "sender_account_id": "user-1009",
                    },
                }
            ]
        },
    )
    lookup.raise_for_status()
    lookup_sighting = lookup.json()["results"][0]["sighting_id"]
    for n in range(30):  # uploads that match nothing
        chat, kind, members = rng.choice(CHATS)
        client.post(
            "/v1/media",
            files={"file": ("m.jpg", photo_like_jpeg(500 + n, 320, 240), "image/jpeg")},
            data={
                "context": json.dumps(
                    {"platform": "examplegram", "message_id": f"x{n}", "chat_id": chat}
                )
            },
        ).raise_for_status()
    # Backdate a month of activity; the newest dozen stay recent and open for the queue.
    now = utcnow()
    with store.session() as s:
        for sid in sorted(sightings)[:-12]:
            at = now - timedelta(days=rng.uniform(1, 29), hours=rng.uniform(0, 23))
            s.execute(update(SightingRow).where(SightingRow.id == sid).values(received_at=at))
            s.execute(update(MatchRow).where(MatchRow.sighting_id == sid).values(created_at=at))
        for i, sid in enumerate(sorted(sightings)[-12:]):
            at = now - timedelta(hours=rng.uniform(0.2, 60 if i < 3 else 20))
            s.execute(update(SightingRow).where(SightingRow.id == sid).values(received_at=at))
            s.execute(update(MatchRow).where(MatchRow.sighting_id == sid).values(created_at=at))
    with store.session() as s:  # contents and evidence as old as their first sighting
        s.execute(
            text(
                "UPDATE contents SET first_seen = (SELECT MIN(received_at) FROM sightings "
                "WHERE content_id = contents.id), last_seen = (SELECT MAX(received_at) "
                "FROM sightings WHERE content_id = contents.id) "
                "WHERE id IN (SELECT content_id FROM sightings)"
            )
        )
        s.execute(
            text(
                "UPDATE evidence SET created_at = (SELECT first_seen FROM contents "
                "WHERE contents.id = evidence.content_id)"
            )
        )
    reviewers = [people.get_user(store, "rita"), people.get_user(store, "sam")]
    for sid in sorted(sightings)[:-12]:
        item = review.item(store, sid)
        if not any(m.status in review.OPEN for m in item.matches):
            continue
        roll = rng.random()
        who = rng.choice(reviewers)
        if roll < 0.78:
            review.decide(
                store, who, sid, "confirm", item.category if item.category in "ABC" else "C"
            )
        elif roll < 0.9:
            review.decide(store, who, sid, "false_positive", note="benign: listed in error")
        else:
            review.decide(store, who, sid, "escalate", note="needs a second opinion")
    with store.session() as s:
        for d in s.scalars(select(ReviewDecisionRow)):
            created = s.get(MatchRow, d.match_id).created_at
            d.at = created + timedelta(minutes=rng.uniform(8, 60 * 30))
    worker = outbox.Worker(store, handlers(WebhookConfig(receiver.url, SECRET)), name="shots")
    for _ in range(4):
        while worker.run_once(50):
            pass
        with store.session() as s:
            s.execute(
                update(OutboxRow)
                .where(OutboxRow.status == "pending")
                .values(next_attempt_at=utcnow())
            )
    with store.session() as s:  # deliveries and reports at their decision's time
        for job in s.scalars(select(OutboxRow)):
            sid = (job.payload.get("data") or {}).get("sighting_id", job.payload.get("sighting_id"))
            decided = s.scalar(
                select(ReviewDecisionRow.at)
                .join(MatchRow, MatchRow.id == ReviewDecisionRow.match_id)
                .where(MatchRow.sighting_id == sid)
            )
            if decided is None:
                continue
            job.created_at = decided
            for d in s.scalars(select(DeliveryRow).where(DeliveryRow.outbox_id == job.id)):
                d.at = decided + timedelta(seconds=rng.uniform(1, 90) * d.attempt)
            for report in s.scalars(
                select(HotlineReportRow).where(HotlineReportRow.sighting_id == sid)
            ):
                report.created_at = decided + timedelta(seconds=5)
                report.updated_at = report.created_at
    people.create_user(store, "lena", "reviewer", PASSWORD, "Lena Berg")
    people.set_reveal_limit(store, "lena", 10)
    return {"open": sorted(sightings)[-1], "first": sorted(sightings)[0], "lookup": lookup_sighting}


def main() -> None:
    from playwright.sync_api import sync_playwright

    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    OUT.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{HOME / 'bastion.db'}"
    receiver = FlakyReceiver()
    port = free_port()
    env = {
        **os.environ,
        "BASTION_HOME": str(HOME),
        "BASTION_DATABASE_URL": database,
        "BASTION_INDEX_REFRESH_SECONDS": "0.2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bastion", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        store = Store.open(database)
        time.sleep(0.5)
        ids = seed(store, url, receiver)
        with store.session() as s:
            first_match, content = s.execute(
                select(MatchRow.id, MatchRow.content_id).where(MatchRow.sighting_id == ids["first"])
            ).first()
        queue = review.queue_ids(store)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-sync",
                ],
            )
            context = browser.new_context(base_url=url, viewport={"width": 1440, "height": 960})
            page = context.new_page()
            page.goto("/ui/sign-in")
            page.screenshot(path=str(OUT / "01-sign-in.png"))
            page.fill("input[name=username]", "rita")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/ui/dashboard")
            page.screenshot(path=str(OUT / "02-dashboard.png"), full_page=True)
            page.goto("/ui/review")
            page.screenshot(path=str(OUT / "03-queue.png"), full_page=True)
            page.goto(f"/ui/review/{queue[0]}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / "04-item-blurred.png"), full_page=True)
            page.keyboard.press("r")
            page.wait_for_selector("#evidence-image.revealed")
            page.wait_for_timeout(600)
            page.screenshot(path=str(OUT / "05-item-revealed.png"), full_page=True)
            page.wait_for_selector("#evidence-image.blurred", timeout=15000)
            page.goto(f"/ui/matches/{first_match}")
            page.screenshot(path=str(OUT / "06-match.png"), full_page=True)
            page.goto(f"/ui/contents/{content}")
            page.screenshot(path=str(OUT / "07-content.png"), full_page=True)
            page.locator("table a[href^='/ui/accounts/']").first.click()
            page.screenshot(path=str(OUT / "08-account.png"), full_page=True)
            page.goto("/ui/deliveries")
            page.screenshot(path=str(OUT / "09-deliveries.png"), full_page=True)
            page.goto("/ui/reports")
            page.screenshot(path=str(OUT / "10-reports.png"), full_page=True)
            page.goto("/ui/audit")
            page.screenshot(path=str(OUT / "11-forbidden.png"))
            page.goto("/ui/matches")
            page.screenshot(path=str(OUT / "12-matches.png"), full_page=True)
            page.goto(f"/ui/review/{ids['lookup']}")
            page.screenshot(path=str(OUT / "14-no-evidence.png"))
            context.clear_cookies()
            page.goto("/ui/sign-in")
            page.fill("input[name=username]", "audrey")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto("/ui/audit")
            page.screenshot(path=str(OUT / "13-audit.png"), full_page=True)
            context.clear_cookies()
            page.goto("/ui/sign-in")
            page.fill("input[name=username]", "lena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"/ui/review/{queue[1]}")
            csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
            for _ in range(9):
                page.request.post(f"/ui/review/{queue[1]}/reveal", headers={"X-CSRF-Token": csrf})
            page.reload()
            page.keyboard.press("r")
            page.wait_for_selector(".break-prompt")
            page.screenshot(path=str(OUT / "15-break-prompt.png"))
            page.wait_for_selector("#evidence-image.blurred", timeout=15000)
            page.screenshot(path=str(OUT / "16-reveal-limit.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        receiver.server.shutdown()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
