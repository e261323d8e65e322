"""`bastion worker`, `bastion vault ...` and `bastion users ...`."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from bastion.cli.app import app, console, err_console, fail


@app.command("worker")
def worker_command(
    once: bool = typer.Option(False, "--once", help="Process what is due now, then exit."),
    poll: float = typer.Option(1.0, "--poll", help="Seconds between polls when idle."),
    name: str = typer.Option(None, "--name", help="Worker name in the outbox (default host:id)."),
) -> None:
    """Process outbox jobs: webhooks, report drafts; purge expired evidence hourly."""
    from bastion import actions, outbox
    from bastion.audit import Actor
    from bastion.cli.store import open_store
    from bastion.vault import Vault, VaultError
    from bastion.webhooks import WebhookConfig

    store = open_store()
    try:
        webhooks = WebhookConfig.from_environment()
    except ValueError as exc:
        raise fail(str(exc)) from None
    worker = outbox.Worker(store, actions.handlers(webhooks), name=name)
    if once:
        total = 0
        while (n := worker.run_once()) > 0:
            total += n
        console.print(f"processed {total} job(s); outbox: {outbox.counts(store)}")
        return
    err_console.print(
        f"worker {worker.name}: webhooks {'to ' + webhooks.url if webhooks else 'not configured'}; Ctrl-C to stop"
    )
    next_purge = 0.0
    try:
        while True:
            if time.monotonic() >= next_purge:
                try:
                    purged = Vault.from_environment(store).purge_expired(
                        Actor(f"worker:{worker.name}", "system")
                    )
                    if purged:
                        err_console.print(f"purged {len(purged)} expired evidence item(s)")
                except VaultError as exc:
                    err_console.print(f"[yellow]vault purge skipped:[/] {exc}")
                next_purge = time.monotonic() + 3600
            if worker.run_once() == 0:
                time.sleep(poll)
    except KeyboardInterrupt:
        err_console.print("stopped")


vault_app = typer.Typer(help="The encrypted evidence vault.", no_args_is_help=True)
app.add_typer(vault_app, name="vault")


def _vault():
    from bastion.cli.store import open_store
    from bastion.vault import Vault, VaultError

    try:
        return Vault.from_environment(open_store())
    except VaultError as exc:
        raise fail(str(exc)) from None


@vault_app.command("verify")
def vault_verify() -> None:
    """Decrypt every held item and check its SHA-256 and MD5 against intake."""
    from bastion.audit import Actor

    report = _vault().verify(Actor.cli())
    if not report.problems:
        console.print(f"[green]vault intact[/]: {report.ok} of {report.checked} items verified")
        return
    for problem in report.problems:
        err_console.print(f"[red]problem:[/] {problem}")
    raise fail(f"{len(report.problems)} of {report.checked} items failed verification", code=1)


@vault_app.command("hold")
def vault_hold(
    content_id: int,
    reason: str = typer.Option(..., "--reason"),
    release: bool = typer.Option(False, "--release"),
) -> None:
    """Place (or release) a legal hold: held evidence is never purged or deleted."""
    from bastion.audit import Actor
    from bastion.vault import VaultError

    try:
        ev = _vault().hold(content_id, Actor.cli(), reason, on=not release)
    except VaultError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"evidence {ev.id} (content {content_id}): legal hold {'on' if ev.legal_hold else 'off'}"
    )


@vault_app.command("purge")
def vault_purge() -> None:
    """Delete the bytes of expired evidence without a legal hold (records are kept)."""
    from bastion.audit import Actor

    purged = _vault().purge_expired(Actor.cli())
    console.print(f"purged {len(purged)} item(s)")


users_app = typer.Typer(help="People who sign in to the web UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    username: str,
    role: str = typer.Option(..., "--role", help="reviewer, investigator, legal, admin or auditor"),
    name: str = typer.Option("", "--name", help="Display name."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 12 characters (prompted if not given).",
    ),
) -> None:
    """Create a web UI account."""
    from bastion.cli.store import open_store
    from bastion.people import PeopleError, create_user

    try:
        user = create_user(open_store(), username, role, password, name)
    except PeopleError as exc:
        raise fail(str(exc)) from None
    console.print(f"Created {user.role.value} account [bold]{user.username}[/].")


@users_app.command("reveal-limit")
def users_reveal_limit(
    username: str,
    limit: int = typer.Argument(None, help="Reveals per day; leave out for the default."),
) -> None:
    """Set a reviewer's own daily reveal limit (default: BASTION_REVEAL_LIMIT, 50)."""
    from bastion.cli.store import open_store
    from bastion.people import PeopleError, set_reveal_limit

    try:
        user = set_reveal_limit(open_store(), username, limit)
    except PeopleError as exc:
        raise fail(str(exc)) from None
    shown = "the default" if user.daily_reveal_limit is None else str(user.daily_reveal_limit)
    console.print(f"{user.username}: daily reveal limit {shown}.")


@users_app.command("list")
def users_list() -> None:
    from bastion.cli.store import open_store
    from bastion.people import list_users

    table = Table(header_style="bold")
    for col in ("username", "name", "role", "daily reveal limit"):
        table.add_column(col)
    for u in list_users(open_store()):
        limit = "default" if u.daily_reveal_limit is None else str(u.daily_reveal_limit)
        table.add_row(u.username, u.display_name, u.role.value, limit)
    console.print(table)
