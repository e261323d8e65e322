"""`bastion bot run`: the Telegram moderation bot."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import typer

from bastion.cli.app import app, err_console, fail

bot_app = typer.Typer(help="The Telegram moderation bot (docs/bot.md).", no_args_is_help=True)
app.add_typer(bot_app, name="bot")


@bot_app.command("run")
def bot_run(
    service: str = typer.Option(
        None,
        "--service",
        help="Match through this Bastion service (recommended; key in BASTION_BOT_SERVICE_KEY). "
        "Default: in-process against the local banks.",
    ),
    policy: Path = typer.Option(None, "--policy", help="In-process: JSON verdict policy file."),
    admin_chat: str = typer.Option(
        None, "--admin-chat", help="Chat id for review notices and problems (e.g. -100123...)."
    ),
    ban: bool = typer.Option(True, "--ban/--no-ban", help="Ban the sender of listed media."),
    notice: bool = typer.Option(
        False, "--notice/--no-notice", help="Post a neutral notice after a removal."
    ),
    notice_text: str = typer.Option(None, "--notice-text", help="The notice's text."),
    webhook_url: str = typer.Option(
        None,
        "--webhook-url",
        help="Receive updates at this public HTTPS URL instead of long polling "
        "(secret in BASTION_BOT_WEBHOOK_SECRET, else a random one per start).",
    ),
    webhook_listen: str = typer.Option(
        None, "--webhook-listen", help="HOST:PORT the webhook server binds (127.0.0.1:8090)."
    ),
    api_url: str = typer.Option(
        None, "--api-url", help="Bot API server (default https://api.telegram.org)."
    ),
    local_api: bool = typer.Option(
        False, "--local-api", help="The server runs telegram-bot-api --local: no 20 MB limit."
    ),
    local_files: str = typer.Option(
        None, "--local-files", help="SERVER_DIR=LOCAL_DIR when the server's files are mounted."
    ),
    max_download_mb: float = typer.Option(
        None, "--max-download-mb", help="Largest file to fetch (20 on the cloud Bot API)."
    ),
    state_dir: Path = typer.Option(
        None, "--state-dir", help="State and journal folder (BASTION_HOME/bot)."
    ),
    polling_timeout: int = typer.Option(30, "--polling-timeout", help="Long-poll seconds."),
    views: bool = typer.Option(
        True,
        "--views/--plain",
        help="In-process matching: also trimmed and zoom-out PDQ views (with --service, "
        "the service's BASTION_PDQ_VIEWS decides).",
    ),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Run the moderation bot (token in BASTION_BOT_TOKEN) until Ctrl-C or SIGTERM."""
    from bastion.telegram_bot.config import BotConfigError, load_config

    try:
        config = load_config(
            api_url=api_url,
            local_api=local_api,
            local_files=local_files,
            max_download_mb=max_download_mb,
            service_url=service,
            policy_file=policy,
            admin_chat=admin_chat,
            ban=ban,
            notice=notice,
            notice_text=notice_text,
            webhook_url=webhook_url,
            webhook_listen=webhook_listen,
            state_dir=state_dir,
            polling_timeout=polling_timeout,
            pdq_views=views,
        )
    except BotConfigError as exc:
        raise fail(str(exc)) from None
    try:
        from bastion.telegram_bot.runner import BotStartError, run
    except ImportError as exc:
        raise fail(
            f"the bot needs aiogram ({exc.name} is missing): pip install 'bastion[bot]'"
        ) from None
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiogram logs every update at INFO; Bastion's own lines say what matters.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)

    def ready(me, checker) -> None:
        where = (
            f"webhook {config.webhook.url} (listening on "
            f"{config.webhook.listen_host}:{config.webhook.listen_port})"
            if config.webhook
            else "long polling"
        )
        err_console.print(
            f"Bastion bot @{me.username} (id {me.id}): {where}; matching {config.matching}; "
            f"state in {config.state_dir}"
        )
        if config.admin_chat_id is None:
            err_console.print(
                "[yellow]no --admin-chat[/]: review verdicts and problems are only recorded "
                "(journal, /stats)"
            )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(config, stop=stop, on_ready=ready)

    try:
        asyncio.run(main())
    except BotStartError as exc:
        raise fail(str(exc), code=1) from None
    err_console.print("Bastion bot stopped.")
