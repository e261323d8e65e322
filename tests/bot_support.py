"""Running the real bot (bastion.telegram_bot.run) in a thread against the fake Bot API, with a
real store holding real banks."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bastion.banks.formats.base import Row
from bastion.hashing import hash_bytes
from bastion.store import Store
from bastion.store.banks import BankStore
from bastion.store.models import SightingRow
from bastion.telegram_bot.config import BotConfig
from bastion.telegram_bot.journal import Journal
from bastion.telegram_bot.runner import run
from tests.fake_telegram import FakeTelegram

SUPERGROUP = -1001000000001
CHANNEL = -1002000000002
GROUP = -3000001
ADMIN_CHAT = -1009999999999


class RunningBot:
    def __init__(self, config: BotConfig) -> None:
        self.config = config
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="bot", daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await run(self.config, stop=self._stop, on_ready=lambda me, checker: self.ready.set())

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by start() / stop()
            self.error = exc
            self.ready.set()

    def start(self) -> RunningBot:
        self._thread.start()
        self.ready.wait(30)
        if self.error is not None:
            raise self.error
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)
        assert not self._thread.is_alive(), "the bot did not stop"
        if self.error is not None:
            raise self.error


@dataclass
class World:
    fake: FakeTelegram
    home: Path
    db_url: str
    store: Store
    bots: list[RunningBot] = field(default_factory=list)

    def config(self, **overrides: Any) -> BotConfig:
        base = BotConfig(
            token=self.fake.token,
            state_dir=self.home / "bot",
            api_url=self.fake.url,
            database_url=self.db_url,
            admin_chat_id=ADMIN_CHAT,
            polling_timeout=5,
            index_refresh_seconds=0.0,
        )
        return replace(base, **overrides)

    def bot(self, **overrides: Any) -> RunningBot:
        bot = RunningBot(self.config(**overrides))
        self.bots.append(bot)
        return bot.start()

    def stop_bots(self) -> None:
        for bot in self.bots:
            if bot.running:
                bot.stop()

    def list_hash(
        self, signal_type: str, value: str, bank: str = "iwf", source: str = "iwf"
    ) -> None:
        banks = BankStore(self.store)
        if not banks.exists(bank):
            banks.create(bank, source)
        banks.import_items(bank, [Row(line=1, signal_type=signal_type, value=value, label="A")])

    def list_md5(self, data: bytes, **kw: Any) -> None:
        self.list_hash("md5", hash_bytes(data, "listed").digests.md5, **kw)

    def list_pdq(self, data: bytes, **kw: Any) -> None:
        self.list_hash("pdq", hash_bytes(data, "listed").pdq.hex, **kw)

    def sightings(self) -> list[dict[str, Any]]:
        with self.store.session() as s:
            rows = s.scalars(select(SightingRow).order_by(SightingRow.id)).all()
            return [
                {
                    c: getattr(r, c)
                    for c in (
                        "message_id",
                        "chat_id",
                        "chat_type",
                        "member_count",
                        "sender_account_id",
                        "verdict",
                        "rule",
                        "kind",
                    )
                }
                for r in rows
            ]

    def journal(self, event: str | None = None) -> list[dict[str, Any]]:
        lines = Journal(self.home / "bot" / f"journal-{self.fake.bot_id}.jsonl").read()
        return [line for line in lines if event is None or line["event"] == event]
