"""Benign synthetic exports for scan tests, built from the export writer's spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.sources.telegram_synthetic import write_export
from bastion.sources.telegram_synthetic.spec import Chat, Export, Media, Message, Person

OWNER = Person(6100000001, "Sam", "Rivera")
ALICE = Person(7100000002, "Alice", "Chen")
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def many_photos_export(
    folder: Path, photos: int, shared_every: int = 10, formats=("json",)
) -> None:
    """A group where the owner and Alice post `photos` pictures; every `shared_every`-th
    message re-posts the same server file (one file, several messages)."""

    def messages():
        for i in range(photos):
            sender = OWNER if i % 3 == 0 else ALICE
            share = "shared" if i % shared_every == 0 else None
            yield Message(
                id=1000 + i,
                date=START + timedelta(minutes=i),
                sender=sender,
                media=Media("photo", seed=5000 + i, pixels=(320, 240), share=share),
            )

    chats = (
        Chat(
            id=4400000001, type="private_supergroup", name="Test Harbour", messages=list(messages())
        ),
        Chat(
            id=ALICE.user_id,
            type="personal_chat",
            name="Alice",
            last_name="Chen",
            messages=[
                Message(
                    id=1,
                    date=START,
                    sender=ALICE,
                    media=Media("photo", seed=777, pixels=(320, 240)),
                ),
                Message(
                    id=2,
                    date=START + timedelta(hours=1),
                    sender=ALICE,
                    media=Media("photo", seed=778, state="not_included"),
                ),
                Message(
                    id=3,
                    date=START + timedelta(hours=2),
                    sender=OWNER,
                    media=Media("video", seed=779, state="too_large", declared_bytes=5_000_000_000),
                ),
            ],
        ),
    )
    write_export(Export(owner=OWNER, chats=chats), folder, formats=formats)
