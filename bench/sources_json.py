"""Enumerating a large Telegram result.json: Bastion's streaming reader against the baseline
most export tools use (json.load of the whole file, then a walk over its messages).

    python bench/sources_json.py [messages]

Prints seconds and peak Python memory (tracemalloc, measured in a second pass) for both, and
the ratios. The export is generated once into bench/out/.
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bastion.sources import open_source
from bastion.sources.json_stream import XEscapeReader
from bastion.sources.telegram_synthetic import Chat, Media, Message, Person, write_chat_export

OUT = Path(__file__).parent / "out"


def _messages(count: int) -> Iterator[Message]:
    senders = [Person(7000 + n, f"Walker{n}", "Example") for n in range(50)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    shared = Media("photo", seed=9, pixels=(64, 48), share="one")
    for n in range(1, count + 1):
        media = shared if n % 20 == 0 else None
        text = f"Walk {n}: meet at the pier at {n % 24:02d}:00, bring a coat.\x01"
        yield Message(n, start + timedelta(seconds=30 * n), senders[n % 50], text, media)


def bastion_reader(root: Path) -> int:
    with open_source(root) as source:
        return sum(1 for _ in source.items())


def baseline(root: Path) -> int:
    with XEscapeReader(open(root / "result.json", "rb")) as stream:
        document = json.load(stream)
    return sum(1 for message in document["messages"] if "photo" in message or "file" in message)


def measure(function, root: Path) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function(root)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    function(root)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    root = OUT / f"sources-json-{count}"
    if not (root / "result.json").exists():
        chat = Chat(99, "public_supergroup", "Big Group", _messages(count))
        write_chat_export(chat, root, formats=("json",), record=False)
    size = (root / "result.json").stat().st_size
    print(f"result.json: {count:,} messages, {size / 1e6:.1f} MB")
    base_seconds, base_peak = measure(baseline, root)
    ours_seconds, ours_peak = measure(bastion_reader, root)
    print(f"{'reader':<28}{'seconds':>10}{'MB/s':>8}{'peak MB':>10}")
    for name, seconds, peak in (
        ("baseline json.load + walk", base_seconds, base_peak),
        ("bastion streaming", ours_seconds, ours_peak),
    ):
        print(f"{name:<28}{seconds:>10.2f}{size / 1e6 / seconds:>8.1f}{peak / 1e6:>10.1f}")
    print(
        f"time ratio (bastion / baseline): {ours_seconds / base_seconds:.2f}x; "
        f"peak memory ratio: {ours_peak / base_peak:.4f}x"
    )


if __name__ == "__main__":
    main()
