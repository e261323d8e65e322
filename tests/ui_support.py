"""A Bastion app in-process for UI tests: people of every role and evidence uploaded through
the real API (benign synthetic pictures; a "category" on them is only a label)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from bastion import keys, people
from bastion.hashing import hash_bytes
from bastion.keys import Role
from bastion.synthetic import photo_like_jpeg

PASSWORD = "correct horse battery staple"


def create_people(store) -> dict[Role, str]:
    """One account per role, named after it."""
    for role in Role:
        people.create_user(
            store, f"{role.value}-1", role.value, PASSWORD, f"{role.value.title()} One"
        )
    return {role: f"{role.value}-1" for role in Role}


def api_key(store, role: str = "admin") -> dict[str, str]:
    _, secret = keys.create_key(store, role, f"ui-tests-{role}", "tests")
    return {"Authorization": f"Bearer {secret}"}


def list_and_upload(
    client: TestClient,
    headers: dict[str, str],
    seed: int,
    message: str,
    category: str = "A",
    bank: str = "iwf",
    sender: str = "u1",
) -> dict:
    """List a benign picture's MD5 in a hotline bank and upload it: a block verdict, so its
    bytes are preserved in the vault."""
    data = photo_like_jpeg(seed, 640, 480)
    md5 = hash_bytes(data, "x").digests.md5
    if client.get(f"/v1/banks/{bank}", headers=headers).status_code == 404:
        r = client.post("/v1/banks", json={"name": bank, "source": "iwf"}, headers=headers)
        assert r.status_code == 201, r.text
    r = client.post(
        f"/v1/banks/{bank}/entries",
        json={"entries": [{"signal_type": "md5", "value": md5, "category": category}]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    client.app.state.runtime.refresh()
    context = {
        "platform": "examplegram",
        "message_id": message,
        "chat_id": "chat-1",
        "chat_type": "public_channel",
        "member_count": 5000,
        "sender_account_id": sender,
    }
    r = client.post(
        "/v1/media",
        files={"file": ("m.jpg", data, "image/jpeg")},
        data={"context": json.dumps(context)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return {"data": data, **r.json()}


def session_for(store, username: str) -> tuple[str, str]:
    """(session token, csrf token) for a signed-in person."""
    _, token, csrf = people.sign_in(store, username, PASSWORD)
    return token, csrf


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"bastion_session={token}"}


def signin_token(html: str) -> str:
    return re.search(r'name="signin_token" value="([^"]+)"', html).group(1)
