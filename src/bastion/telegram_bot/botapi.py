"""Talking to the Bot API through aiogram: the session (cloud, local server or a test fake),
retries, the raw calls whose answers the bot reads as plain JSON, and file downloads within
the download limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import SimpleFilesPathWrapper, TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetChatMember, GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bastion.telegram_bot.config import BotConfig
from bastion.telegram_bot.media import MediaItem

log = logging.getLogger("bastion.telegram_bot")

ATTEMPTS = 5
# A flood wait longer than this is not slept through inside one update: the call fails, the
# failure is recorded and reported, and the bot carries on with the next update.
MAX_RETRY_AFTER = 300
DOWNLOAD_ATTEMPTS = 3


class RawGetUpdates(GetUpdates):
    """getUpdates answered as plain dicts: each update is then parsed on its own, so one update
    aiogram's models cannot read is skipped and recorded instead of failing the whole batch
    (and every batch after it)."""

    __returning__ = list[dict[str, Any]]


class RawGetChatMember(GetChatMember):
    """getChatMember as a plain dict: the bot reads three fields, and aiogram's models require
    fields older servers do not send."""

    __returning__ = dict[str, Any]


class RetryMiddleware(BaseRequestMiddleware):
    """Honours 429 retry_after (Telegram refuses calls until then) and retries transient
    failures (5xx, no connection) with doubling delays. getUpdates is left to the polling
    loop, which backs off on its own."""

    def __init__(self, attempts: int = ATTEMPTS, max_retry_after: float = MAX_RETRY_AFTER):
        self.attempts = attempts
        self.max_retry_after = max_retry_after

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        delay = 0.5
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_retry_after:
                    raise
                log.warning(
                    "flood control on %s: waiting %s s as Telegram asks",
                    method.__api_method__,
                    exc.retry_after,
                )
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if (
                    isinstance(method, GetUpdates)
                    or isinstance(exc, TelegramEntityTooLarge)
                    or attempt == self.attempts
                ):
                    raise
                log.warning(
                    "%s failed (%s); retrying in %.1f s",
                    method.__api_method__,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def make_bot(config: BotConfig) -> Bot:
    if config.api_url == "https://api.telegram.org" and not config.local_api:
        session = AiohttpSession()
    else:
        wrapper = {}
        if config.local_files:
            server_dir, local_dir = config.local_files
            wrapper["wrap_local_file"] = SimpleFilesPathWrapper(server_dir, local_dir)
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(config.api_url, is_local=config.local_api, **wrapper)
        )
    session.middleware(RetryMiddleware())
    return Bot(config.token, session=session)


def redact(text: str, token: str) -> str:
    """Error texts can carry a URL, and Bot API URLs carry the token."""
    return text.replace(token, "<token>") if token else text


class Unscanned(Exception):
    """The file cannot be fetched for checking; `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def over_limit(size: int | None, limit: int | None) -> bool:
    return size is not None and limit is not None and size > limit


def too_big_message(size: int | None, limit: int | None) -> str:
    shown = f"{size / 1e6:.1f} MB" if size else "the file"
    cap = f"{limit / (1 << 20):.0f} MiB" if limit else "the limit"
    return (
        f"{shown} is over the Bot API's {cap} download limit; a local Bot API server "
        "(--api-url with --local-api) can fetch it: see docs/bot.md"
    )


@asynccontextmanager
async def fetched(
    bot: Bot, item: MediaItem, limit: int | None, tmp_dir: Path
) -> AsyncIterator[Path]:
    """The file on disk for the duration of the block: a private temporary copy (removed
    after), or with a local Bot API server the server's own file, read in place."""
    if over_limit(item.file_size, limit):
        raise Unscanned("too_large", too_big_message(item.file_size, limit))
    try:
        file = await bot.get_file(item.file_id)
    except TelegramBadRequest as exc:
        if "too big" in exc.message.lower():
            raise Unscanned("too_large", too_big_message(item.file_size, limit)) from None
        raise Unscanned("get_file_failed", f"getFile failed: {exc.message}") from None
    except TelegramAPIError as exc:
        raise Unscanned("get_file_failed", f"getFile failed: {exc.message}") from None
    if over_limit(file.file_size, limit):
        raise Unscanned("too_large", too_big_message(file.file_size, limit))
    if not file.file_path:
        raise Unscanned("get_file_failed", "getFile returned no file_path")
    api = bot.session.api
    if api.is_local:
        local = Path(api.wrap_local_file.to_local(file.file_path))
        if not local.is_file():
            raise Unscanned(
                "download_failed",
                f"the local Bot API server's file {local} is not readable here "
                "(map its --dir with --local-files SERVER_DIR=LOCAL_DIR)",
            )
        yield local
        return
    tmp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="media-", dir=tmp_dir)
    os.close(fd)
    path = Path(name)
    try:
        await _download(bot, api.file_url(bot.token, file.file_path), path, limit)
        yield path
    finally:
        path.unlink(missing_ok=True)


async def _download(bot: Bot, url: str, path: Path, limit: int | None) -> None:
    delay = 1.0
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            size = 0
            with path.open("wb") as out:
                async for chunk in bot.session.stream_content(url, timeout=300):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise Unscanned("too_large", too_big_message(size, limit))
                    out.write(chunk)
            return
        except aiohttp.ClientResponseError as exc:
            if exc.status < 500 or attempt == DOWNLOAD_ATTEMPTS:
                raise Unscanned(
                    "download_failed", f"the file download answered HTTP {exc.status}"
                ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise Unscanned(
                    "download_failed", f"the file download failed ({type(exc).__name__})"
                ) from None
        await asyncio.sleep(delay)
        delay *= 2
