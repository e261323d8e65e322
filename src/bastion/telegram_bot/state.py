"""What the bot must remember across restarts, in one small JSON file written atomically.

- the update ids handled lately: the Bot API redelivers every update not yet confirmed by the
  next getUpdates (and a webhook delivery not answered with 200), so an update handled just
  before a stop comes back after it; membership, not "<= last id", decides, because after a
  week without updates the next id is random (Bot API, Update.update_id);
- chats already told that the bot lacks admin rights (once per chat, not once per message);
- counters per chat for /stats (in service mode the bot cannot read the service's tables).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RECENT_UPDATES = 1000  # a getUpdates batch holds at most 100
COUNTERS = ("checked", "removed", "banned", "review", "unscanned", "failed")
TOTAL = "all"


class StateError(Exception):
    """The state file cannot be read or written; the message names it and what to do."""


@dataclass
class BotState:
    path: Path
    handled: deque[int] = field(default_factory=lambda: deque(maxlen=RECENT_UPDATES))
    last_update_at: datetime | None = None
    rights_warned: dict[str, str] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._handled_set = set(self.handled)

    @classmethod
    def load(cls, path: Path) -> BotState:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return cls(path)
        except (OSError, json.JSONDecodeError) as exc:
            raise StateError(
                f"bot state {path} cannot be read ({exc}); move it aside to start afresh "
                "(updates the Bot API still holds would then be checked again)"
            ) from None
        if not isinstance(raw, dict):
            raise StateError(f"bot state {path} is not a JSON object; move it aside")
        at = raw.get("last_update_at")
        return cls(
            path,
            handled=deque((int(i) for i in raw.get("handled", [])), maxlen=RECENT_UPDATES),
            last_update_at=datetime.fromisoformat(at) if at else None,
            rights_warned={str(k): str(v) for k, v in raw.get("rights_warned", {}).items()},
            counters={
                str(chat): {k: int(v) for k, v in values.items()}
                for chat, values in raw.get("counters", {}).items()
            },
        )

    # -- updates -----------------------------------------------------------------------------

    def seen(self, update_id: int) -> bool:
        return update_id in self._handled_set

    def mark_handled(self, update_id: int, when: datetime | None = None) -> None:
        if update_id in self._handled_set:
            return
        if len(self.handled) == self.handled.maxlen:
            self._handled_set.discard(self.handled[0])
        self.handled.append(update_id)
        self._handled_set.add(update_id)
        self.last_update_at = when or datetime.now(UTC)

    # -- rights warnings ---------------------------------------------------------------------

    def warned(self, chat_id: int) -> bool:
        return str(chat_id) in self.rights_warned

    def set_warned(self, chat_id: int, problem: str) -> None:
        self.rights_warned[str(chat_id)] = problem

    def clear_warned(self, chat_id: int) -> None:
        self.rights_warned.pop(str(chat_id), None)

    # -- counters ----------------------------------------------------------------------------

    def count(self, chat_id: int, name: str, n: int = 1) -> None:
        if name not in COUNTERS:
            raise ValueError(f"unknown counter {name!r}")
        for key in (str(chat_id), TOTAL):
            chat = self.counters.setdefault(key, {})
            chat[name] = chat.get(name, 0) + n

    def counts(self, chat_id: int | None = None) -> dict[str, int]:
        values = self.counters.get(TOTAL if chat_id is None else str(chat_id), {})
        return {name: values.get(name, 0) for name in COUNTERS}

    # -- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        """Write to a temporary file beside the state and rename it over: a crash leaves the
        old state or the new one, never half of either."""
        data = {
            "handled": list(self.handled),
            "last_update_at": self.last_update_at.isoformat() if self.last_update_at else None,
            "rights_warned": self.rights_warned,
            "counters": self.counters,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w") as out:
                    json.dump(data, out, separators=(",", ":"))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StateError(f"bot state {self.path} cannot be written: {exc}") from None
