"""The bot's own record, one JSON object per line: what it could not scan and why, what it did
about a verdict (deleted, banned, and every failure with Telegram's answer), and the Telegram
context the store has no column for yet (chat title, sender username, file_unique_id).

Hashes and ids only: never media bytes, never captions.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> None:
        line = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        line.update({k: v for k, v in fields.items() if v is not None})
        text = json.dumps(line, default=str, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(text + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
