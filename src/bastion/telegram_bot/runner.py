"""Running the bot: receive updates (long polling or a webhook), hand each to the dispatcher
exactly once, and remember it as handled only after it was.

The polling loop is the bot's own rather than aiogram's `start_polling`: aiogram confirms a
batch (the next getUpdates offset) before the tasks handling it finish, so a stop in between
loses those updates; here an update is confirmed only after it was handled and saved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.filters import Command
from aiogram.types import Message, Update, User
from aiohttp import web

from bastion.telegram_bot.actions import Notifier
from bastion.telegram_bot.botapi import RawGetUpdates, make_bot, redact
from bastion.telegram_bot.checking import Checker, CheckUnavailable
from bastion.telegram_bot.commands import Commands
from bastion.telegram_bot.config import BotConfig
from bastion.telegram_bot.journal import Journal
from bastion.telegram_bot.moderation import Moderation
from bastion.telegram_bot.state import BotState, StateError

log = logging.getLogger("bastion.telegram_bot")

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
]
EDITED = ("edited_message", "edited_channel_post")
MAX_BACKOFF = 30.0


class BotStartError(Exception):
    """The bot cannot start; the message says why and what to do."""


def build_dispatcher(moderation: Moderation, commands: Commands) -> Dispatcher:
    router = Router(name="bastion")
    # Commands only in plain text: a caption "/status" on a photo must not skip its check.
    for observer in (router.message, router.channel_post):
        observer.register(commands.status, Command("status"), F.text)
        observer.register(commands.stats, Command("stats"), F.text)

    async def on_message(message: Message, bot: Bot, edited: bool = False) -> None:
        await moderation.on_message(message, bot, edited)

    for observer in (
        router.message,
        router.edited_message,
        router.channel_post,
        router.edited_channel_post,
    ):
        observer.register(on_message)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


class UpdateProcessor:
    """One update at a time, in order: an edit is handled after the message it edits."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        moderation: Moderation,
        state: BotState,
        journal: Journal,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.moderation = moderation
        self.state = state
        self.journal = journal
        self._lock = asyncio.Lock()

    async def process(self, raw: Any) -> None:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            self.journal.write("malformed_update", detail="no integer update_id")
            return
        async with self._lock:  # webhook deliveries may overlap; handling stays sequential
            if self.state.seen(update_id):
                log.info("update %s was handled before; skipped", update_id)
                return
            try:
                await self._dispatch(raw)
            except Exception as exc:  # one bad update must never stop the bot
                detail = redact(f"{type(exc).__name__}: {exc}", self.bot.token)[:500]
                log.error("update %s could not be handled: %s", update_id, detail)
                log.debug("update %s traceback", update_id, exc_info=True)
                self.journal.write("update_failed", update_id=update_id, detail=detail)
            self.state.mark_handled(update_id)
            try:
                self.state.save()
            except StateError as exc:
                log.error("%s", exc)

    async def _dispatch(self, raw: dict[str, Any]) -> None:
        kind = next((k for k in ALLOWED_UPDATES if k in raw), None)
        if kind is None:
            return  # a type the bot did not ask for, or one newer than it knows
        if kind == "my_chat_member":
            # Read as plain JSON: rights fields differ between Bot API versions.
            await self.moderation.on_my_chat_member(raw[kind])
            return
        update = Update.model_validate(raw, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update, edited=kind in EDITED)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def poll(
    bot: Bot,
    processor: UpdateProcessor,
    timeout: int,
    stop: asyncio.Event,
    ready: Callable[[], None] = lambda: None,
) -> None:
    await bot.delete_webhook(drop_pending_updates=False)  # getUpdates fails while one is set
    ready()
    offset: int | None = None
    delay = 1.0
    while not stop.is_set():
        request = RawGetUpdates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
        fetch = asyncio.ensure_future(bot(request, request_timeout=timeout + 30))
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await fetch
            break
        stopped.cancel()
        try:
            updates = fetch.result()
        except TelegramUnauthorizedError:
            raise BotStartError(
                "the Bot API no longer accepts the token (401 Unauthorized): was it revoked "
                "in BotFather?"
            ) from None
        except TelegramRetryAfter as exc:
            await _sleep_or_stop(stop, exc.retry_after)
            continue
        except Exception as exc:  # the Bot API away, a proxy error, an unreadable answer
            log.warning(
                "getUpdates failed (%s); retrying in %.0f s",
                redact(f"{type(exc).__name__}: {exc}", bot.token)[:300],
                delay,
            )
            await _sleep_or_stop(stop, delay)
            delay = min(delay * 2, MAX_BACKOFF)
            continue
        delay = 1.0
        for raw in updates:
            if stop.is_set():
                break  # not confirmed: the Bot API delivers the rest again after a restart
            await processor.process(raw)
            if isinstance(raw, dict) and isinstance(raw.get("update_id"), int):
                offset = raw["update_id"] + 1


async def serve_webhook(
    bot: Bot,
    processor: UpdateProcessor,
    config: BotConfig,
    stop: asyncio.Event,
    ready: Callable[[], None] = lambda: None,
) -> None:
    hook = config.webhook
    assert hook is not None

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(given.encode(), hook.secret.encode()):
            return web.Response(status=401, text="wrong secret token")
        try:
            raw = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        # Answer after handling: an unanswered delivery is retried by Telegram, and the
        # handled-update record makes the retry a no-op.
        await processor.process(raw)
        return web.Response(status=200)

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post(hook.path, receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, hook.listen_host, hook.listen_port)
        try:
            await site.start()
        except OSError as exc:
            raise BotStartError(
                f"cannot listen on {hook.listen_host}:{hook.listen_port} for the webhook: "
                f"{exc.strerror or exc}"
            ) from None
        try:
            await bot.set_webhook(
                url=hook.url,
                secret_token=hook.secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except TelegramAPIError as exc:
            raise BotStartError(
                f"Telegram refused the webhook {hook.url}: {redact(exc.message, bot.token)} "
                "(the cloud Bot API needs HTTPS on port 443, 80, 88 or 8443)"
            ) from None
        ready()
        await stop.wait()
    finally:
        await runner.cleanup()


def open_checker(config: BotConfig, database_url: str | None = None) -> Checker:
    if config.service_url:
        from bastion.telegram_bot.service_client import ServiceChecker

        return ServiceChecker(config.service_url, config.service_key or "")
    from bastion.policy import DEFAULT_POLICY, Policy, PolicyError
    from bastion.store import Store, StoreError
    from bastion.telegram_bot.local import InProcessChecker

    try:
        policy = Policy.load(config.policy_file) if config.policy_file else DEFAULT_POLICY
    except PolicyError as exc:
        raise BotStartError(str(exc)) from None
    try:
        store = Store.open(database_url or config.database_url)
    except StoreError as exc:
        raise BotStartError(str(exc)) from None
    return InProcessChecker(store, policy, config.index_refresh_seconds, views=config.pdq_views)


async def run(
    config: BotConfig,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[User, Checker], None] | None = None,
) -> None:
    """Run until `stop` is set. Raises BotStartError when the bot cannot start."""
    stop = stop or asyncio.Event()
    try:
        config.state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BotStartError(
            f"cannot create the bot's state folder {config.state_dir} ({exc.strerror}): choose "
            "another with --state-dir or BASTION_HOME"
        ) from None
    try:
        state = BotState.load(config.state_dir / f"state-{config.bot_id}.json")
    except StateError as exc:
        raise BotStartError(str(exc)) from None
    journal = Journal(config.state_dir / f"journal-{config.bot_id}.jsonl")
    checker = open_checker(config)
    bot = make_bot(config)
    try:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            raise BotStartError(
                "the Bot API refused the token in BASTION_BOT_TOKEN (401 Unauthorized): copy it "
                "again from BotFather (/mybots, API Token)"
            ) from None
        except TelegramAPIError as exc:
            raise BotStartError(
                f"cannot reach the Bot API at {config.api_url}: {redact(str(exc), bot.token)}"
            ) from None
        try:
            await checker.start()
        except CheckUnavailable as exc:
            raise BotStartError(str(exc)) from None
        notifier = Notifier(bot, config.admin_chat_id)
        moderation = Moderation(config, checker, state, journal, notifier)
        dispatcher = build_dispatcher(moderation, Commands(moderation, notifier))
        processor = UpdateProcessor(bot, dispatcher, moderation, state, journal)

        def ready() -> None:
            if on_ready is not None:
                on_ready(me, checker)

        if config.webhook:
            await serve_webhook(bot, processor, config, stop, ready)
        else:
            await poll(bot, processor, config.polling_timeout, stop, ready)
    finally:
        await checker.close()
        await bot.session.close()
