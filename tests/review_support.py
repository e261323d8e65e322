"""Recorded sightings of benign synthetic pictures matched against a listed bank."""

from __future__ import annotations

from bastion.banks.formats.base import Row
from bastion.decisions import Context, Signals, record
from bastion.hashing import hash_bytes
from bastion.matching import Matcher, Query
from bastion.policy import DEFAULT_POLICY
from bastion.store.banks import BankStore
from bastion.synthetic import photo_like_jpeg


def listed_picture(store, seed: int, category: str = "A", bank: str = "iwf") -> bytes:
    """A benign picture whose MD5 is listed in `bank` (a "category" here is only a label)."""
    data = photo_like_jpeg(seed, 320, 240)
    banks = BankStore(store)
    if not banks.exists(bank):
        banks.create(bank, "iwf")
    banks.import_items(bank, [Row(1, "md5", hash_bytes(data, "x").digests.md5, category)])
    return data


def sight(
    store,
    data: bytes,
    message: str,
    sender: str = "u1",
    chat: str = "chat1",
    platform: str = "examplegram",
) -> int:
    """Record an upload of `data` as the service does (matching, verdict, content)."""
    hashed = hash_bytes(data, message)
    result = Matcher(store).match(Query.of(hashed))
    return record(
        store,
        Context(platform, message, chat, "public_channel", 5000, sender),
        Signals.of(hashed),
        result,
        DEFAULT_POLICY.decide(result),
        kind="media",
        hashed=hashed,
    ).sighting_id
