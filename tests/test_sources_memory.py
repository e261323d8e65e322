"""A huge result.json streams in bounded memory: the reader never holds the file."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.sources import ItemStatus, open_source
from bastion.sources.telegram_synthetic import Chat, Media, Message, Person, write_chat_export

SENDERS = [Person(7000 + n, f"Walker{n}", "Example") for n in range(50)]
MESSAGES = 8_000
# Long texts make tens of megabytes from few messages, so tracing allocations stays quick.
NOTE = "Meet at the pier at seven, bring a coat and a torch; the tide turns late. " * 20


def _messages() -> Iterator[Message]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    shared = Media("photo", seed=9, pixels=(64, 48), share="one")
    for n in range(1, MESSAGES + 1):
        media = None
        if n % 100 == 0:
            media = shared
        elif n % 100 == 50:
            media = Media("video", state="too_large", declared_bytes=50_000_000)
        yield Message(
            n, start + timedelta(seconds=30 * n), SENDERS[n % 50],
            text=f"Walk {n}.\x01 {NOTE}",
            media=media,
        )  # fmt: skip


def test_tens_of_megabytes_of_result_json_stream_in_a_small_fraction_of_their_size(
    tmp_path: Path,
) -> None:
    chat = Chat(99, "public_supergroup", "Big Group", _messages())
    write_chat_export(chat, tmp_path, formats=("json",), record=False)
    size = (tmp_path / "result.json").stat().st_size
    assert size > 20_000_000
    tracemalloc.start()
    counts: dict[ItemStatus, int] = {}
    with open_source(tmp_path) as source:
        for item in source.items():
            counts[item.status] = counts.get(item.status, 0) + 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert counts == {
        ItemStatus.AVAILABLE: MESSAGES // 100,
        ItemStatus.TOO_LARGE: 2 * MESSAGES // 100,  # each video and its thumbnail
    }
    assert peak < size / 20, f"peak {peak:,} bytes for a {size:,}-byte file"
