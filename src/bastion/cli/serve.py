"""`bastion serve`, `bastion keys ...` and `bastion audit ...`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.app import app, console, err_console, fail


@app.command("serve")
def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind (127.0.0.1 keeps it local)."
    ),
    port: int = typer.Option(8750, "--port"),
    workers: int = typer.Option(1, "--workers", help="API processes (share one database)."),
    config: Path = typer.Option(
        None, "--config", help="TOML settings file (BASTION_* variables win)."
    ),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """Run the HTTP API (FastAPI on uvicorn)."""
    import uvicorn

    from bastion.service.settings import SettingsError, load_settings

    if config is not None:
        if not config.is_file():
            raise fail(f"--config {config}: no such file")
        os.environ["BASTION_CONFIG"] = str(config.resolve())
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    from bastion.store import Store, StoreError

    try:
        store = Store.open(settings.database_url)  # migrate once, before workers start
        where = store.describe()
        store.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    if workers < 1:
        raise fail("--workers must be at least 1")
    err_console.print(
        f"Bastion API on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}; database {where})"
    )
    err_console.print(
        "Docs: /docs; create a key with `bastion keys create --role admin --name ops`."
    )
    err_console.print(
        f"Review UI: http://{host}:{port}/ui/ (accounts: `bastion users create NAME --role reviewer`)"
    )
    uvicorn.run(
        "bastion.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


keys_app = typer.Typer(help="API keys for the service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(
        ..., "--role", help="platform, reviewer, investigator, legal, admin or auditor"
    ),
    name: str = typer.Option(..., "--name", help="Who or what uses the key."),
    expires_days: int = typer.Option(None, "--expires-days", help="Expire after this many days."),
) -> None:
    """Create a key; its secret is printed once and never stored."""
    from bastion import audit, keys
    from bastion.audit import Actor
    from bastion.cli.store import open_store

    store = open_store()
    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    actor = Actor.cli()
    try:
        key, secret = keys.create_key(store, role, name, actor.name, expires)
    except keys.KeyError_ as exc:
        raise fail(str(exc)) from None
    audit.record(
        store, actor.event("key.create", "api_key", key.prefix, role=key.role.value, name=name)
    )
    err_console.print(
        f"Created {key.role.value} key {key.prefix} for {name!r}. Store the secret now; it is not shown again:"
    )
    print(secret)


@keys_app.command("list")
def keys_list() -> None:
    """Keys with role, status and last use (never secrets)."""
    from bastion import keys
    from bastion.cli.store import open_store

    table = Table(header_style="bold")
    for col in ("prefix", "role", "name", "status", "created", "expires", "last used"):
        table.add_column(col)
    for k in keys.list_keys(open_store()):
        fmt = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""  # noqa: E731
        table.add_row(
            k.prefix,
            k.role.value,
            k.name,
            k.status,
            fmt(k.created_at),
            fmt(k.expires_at),
            fmt(k.last_used_at),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, e.g. bst_1a2b3c4d"),
) -> None:
    """Revoke a key (the service stops accepting it within its key-cache time, 5 s by default)."""
    from bastion import audit, keys
    from bastion.audit import Actor
    from bastion.cli.store import open_store

    store = open_store()
    try:
        key = keys.revoke_key(store, prefix)
    except keys.KeyError_ as exc:
        raise fail(str(exc)) from None
    audit.record(store, Actor.cli().event("key.revoke", "api_key", prefix))
    console.print(f"Revoked {key.prefix} ({key.name}).")


audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the chain: detects any edited, deleted or reordered record."""
    from bastion import audit
    from bastion.cli.store import open_store

    report = audit.verify(open_store())
    if report.ok:
        console.print(f"[green]audit trail intact[/]: {report.checked:,} records verified")
        return
    for problem in report.problems:
        err_console.print(f"[red]broken:[/] {problem}")
    raise fail(
        f"audit trail broken: {len(report.problems)} problem(s) in {report.checked:,} records",
        code=1,
    )


@audit_app.command("tail")
def audit_tail(limit: int = typer.Option(20, "--limit", "-n")) -> None:
    """The newest audit records."""
    from bastion import audit
    from bastion.cli.store import open_store

    table = Table(header_style="bold")
    for col in ("id", "when (UTC)", "actor", "role", "action", "target", "details"):
        table.add_column(col, overflow="fold")
    for r in reversed(audit.tail(open_store(), limit)):
        target = f"{r.target_type}:{r.target_id}" if r.target_type else ""
        table.add_row(
            str(r.id),
            r.at.strftime("%Y-%m-%d %H:%M:%S"),
            r.actor,
            r.role,
            r.action,
            target,
            str(r.details or ""),
        )
    console.print(table)
