"""The bot's settings: the token and secrets from the environment, the rest from the command line.

Validated before anything connects, so a typo stops the start with the setting's name rather
than at the first message.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bastion.config import bastion_home

TOKEN_ENV = "BASTION_BOT_TOKEN"
SERVICE_KEY_ENV = "BASTION_BOT_SERVICE_KEY"
WEBHOOK_SECRET_ENV = "BASTION_BOT_WEBHOOK_SECRET"

CLOUD_API = "https://api.telegram.org"
# The cloud Bot API refuses getFile above 20 MiB (MAX_DOWNLOAD_FILE_SIZE = 20 << 20 in
# tdlib/telegram-bot-api Client.h); a local server in --local mode has no limit.
CLOUD_DOWNLOAD_LIMIT = 20 << 20
# setWebhook's secret_token: 1-256 characters from A-Z, a-z, 0-9, _ and - (Bot API setWebhook).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN = re.compile(r"^\d+:\S+$")

DEFAULT_NOTICE = "A message was removed by this chat's moderation bot."


class BotConfigError(ValueError):
    """A setting is missing or wrong; the message names it and says what to do."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8090

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


@dataclass(frozen=True, slots=True)
class BotConfig:
    token: str
    state_dir: Path
    api_url: str = CLOUD_API
    # The server runs tdlib/telegram-bot-api with --local: no download limit, and getFile
    # answers an absolute path on the server's disk (mapped with local_files).
    local_api: bool = False
    local_files: tuple[Path, Path] | None = None  # (the server's --dir, the same folder here)
    download_limit: int | None = CLOUD_DOWNLOAD_LIMIT  # None: no limit
    service_url: str | None = None
    service_key: str | None = None
    database_url: str | None = None
    policy_file: Path | None = None
    admin_chat_id: int | None = None
    ban: bool = True
    notice: str | None = None  # text posted in the chat after a removal; None: no notice
    webhook: WebhookConfig | None = None
    polling_timeout: int = 30
    index_refresh_seconds: float = 5.0
    pdq_views: bool = True  # in-process matching: trimmed and zoom-out views too

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook else "polling"

    @property
    def matching(self) -> str:
        return f"service {self.service_url}" if self.service_url else "in-process"


def load_config(
    *,
    api_url: str | None = None,
    local_api: bool = False,
    local_files: str | None = None,
    max_download_mb: float | None = None,
    service_url: str | None = None,
    policy_file: Path | None = None,
    admin_chat: str | None = None,
    ban: bool = True,
    notice: bool = False,
    notice_text: str | None = None,
    webhook_url: str | None = None,
    webhook_listen: str | None = None,
    state_dir: Path | None = None,
    polling_timeout: int = 30,
    pdq_views: bool = True,
    environ: dict[str, str] | None = None,
) -> BotConfig:
    """The configuration from command-line values and the environment (token, keys, secret)."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise BotConfigError(
            f"{TOKEN_ENV} is not set: put the token BotFather gave you in it "
            "(see docs/bot.md, 'Create the bot')"
        )
    if not _TOKEN.match(token):
        raise BotConfigError(
            f"{TOKEN_ENV} does not look like a bot token (digits, a colon, then the secret)"
        )
    api = (api_url or CLOUD_API).rstrip("/")
    _check_url("--api-url", api)
    mapping = _local_files(local_files) if local_files else None
    if mapping and not local_api:
        raise BotConfigError("--local-files only applies with --local-api")
    if max_download_mb is not None:
        if max_download_mb <= 0:
            raise BotConfigError("--max-download-mb must be positive")
        limit: int | None = int(max_download_mb * 1024 * 1024)
    else:
        limit = None if local_api else CLOUD_DOWNLOAD_LIMIT
    if limit is not None and limit > CLOUD_DOWNLOAD_LIMIT and not local_api:
        raise BotConfigError(
            "--max-download-mb above 20 needs a local Bot API server (--api-url and "
            "--local-api): the cloud Bot API refuses larger downloads"
        )
    key = None
    if service_url:
        service_url = service_url.rstrip("/")
        _check_url("--service", service_url)
        key = env.get(SERVICE_KEY_ENV, "").strip()
        if not key:
            raise BotConfigError(
                f"--service needs a platform key in {SERVICE_KEY_ENV} "
                "(create one with `bastion keys create --role platform --name telegram-bot`)"
            )
        if policy_file is not None:
            raise BotConfigError(
                "--policy applies to in-process matching only; with --service the service's "
                "policy decides (BASTION_POLICY_FILE where the service runs)"
            )
    if policy_file is not None and not policy_file.is_file():
        raise BotConfigError(f"--policy {policy_file}: no such file")
    admin_chat_id = None
    if admin_chat:
        try:
            admin_chat_id = int(admin_chat)
        except ValueError:
            raise BotConfigError(
                f"--admin-chat {admin_chat!r} must be a numeric chat id such as -1001234567890 "
                "(send /status in that chat to see its id)"
            ) from None
    webhook = None
    if webhook_url:
        _check_url("--webhook-url", webhook_url)
        secret = env.get(WEBHOOK_SECRET_ENV, "").strip() or secrets.token_urlsafe(32)
        if not _SECRET.match(secret):
            raise BotConfigError(
                f"{WEBHOOK_SECRET_ENV} must be 1-256 characters from A-Z, a-z, 0-9, _ and -"
            )
        host, port = _listen(webhook_listen or "127.0.0.1:8090")
        webhook = WebhookConfig(webhook_url, secret, host, port)
    elif webhook_listen:
        raise BotConfigError("--webhook-listen only applies with --webhook-url")
    if polling_timeout < 0:
        raise BotConfigError("--polling-timeout must be 0 or more seconds")
    return BotConfig(
        token=token,
        state_dir=(state_dir or bastion_home() / "bot").expanduser(),
        api_url=api,
        local_api=local_api,
        local_files=mapping,
        download_limit=limit,
        service_url=service_url or None,
        service_key=key,
        policy_file=policy_file,
        admin_chat_id=admin_chat_id,
        ban=ban,
        notice=(notice_text or DEFAULT_NOTICE) if notice or notice_text else None,
        webhook=webhook,
        polling_timeout=polling_timeout,
        pdq_views=pdq_views,
    )


def _check_url(option: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BotConfigError(f"{option} {url!r} must be an http:// or https:// URL")


def _local_files(text: str) -> tuple[Path, Path]:
    server, sep, here = text.partition("=")
    if not sep or not server or not here:
        raise BotConfigError(
            f"--local-files {text!r} must look like SERVER_DIR=LOCAL_DIR (the Bot API server's "
            "--dir and where the same folder is mounted here)"
        )
    return Path(server), Path(here)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BotConfigError(f"--webhook-listen {text!r} must look like HOST:PORT")
    return host, int(port)
