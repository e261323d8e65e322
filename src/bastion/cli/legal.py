"""`bastion legal ...`: the lawful-request desk's command-line side: check a disclosure package,
make the signing key, purge old account data, print reminders and the transparency report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.app import app, console, fail

legal_app = typer.Typer(help="The lawful-request desk.", no_args_is_help=True)
app.add_typer(legal_app, name="legal")


@legal_app.command("verify")
def verify(
    package: Path = typer.Argument(..., help="The disclosure package (.zip)."),
    public_key: Path = typer.Option(
        None, "--public-key", help="The platform's public key, received separately (PEM)."
    ),
) -> None:
    """Check a package's signature, every file's SHA-256 and that every record is in scope."""
    from bastion.legal.verify import verify_package

    verdict = verify_package(package, public_key)
    if verdict.fingerprint:
        console.print(f"signing key {verdict.fingerprint} ({verdict.key_source})")
    if not verdict.ok:
        for problem in verdict.problems:
            console.print(f"[bold red]FAIL[/] {problem}")
        raise typer.Exit(1)
    m = verdict.manifest
    console.print(
        f"[bold green]OK[/] {package.name}: request {m['reference']} ({m['authority']}, "
        f"{m['country']}); {m['records']} records of {', '.join(m['scope']['accounts'])}; "
        f"{', '.join(m['scope']['data_types'])}; {m['scope']['date_from']} to "
        f"{m['scope']['date_to']}"
    )
    if public_key is None:
        console.print("check the key fingerprint with the platform, or pass --public-key")


@legal_app.command("keygen")
def keygen(
    path: Path = typer.Argument(..., help="Where to write the private key (PEM, mode 0600)."),
) -> None:
    """Make the Ed25519 key that signs packages; set BASTION_LEGAL_SIGNING_KEY to its path."""
    from bastion.legal import signing

    try:
        public = signing.generate(path)
    except signing.SigningError as exc:
        raise fail(str(exc)) from None
    key = signing.load_public(public.read_bytes(), str(public))
    console.print(
        f"private key {path}\npublic key  {public}\nfingerprint {signing.fingerprint(key)}"
    )
    console.print(f"set BASTION_LEGAL_SIGNING_KEY={path} and give {public.name} to authorities")


@legal_app.command("purge")
def purge(
    retention_days: int = typer.Option(
        None, "--retention-days", help="Default: BASTION_ACCOUNT_RETENTION_DAYS (365)."
    ),
) -> None:
    """Delete account identifiers and IP events older than the retention period (accounts named
    by an open request are kept)."""
    from bastion.audit import Actor
    from bastion.cli.store import open_store
    from bastion.legal import desk, records
    from bastion.service.settings import SettingsError, load_settings

    try:
        days = retention_days or load_settings().account_retention_days
    except SettingsError as exc:
        raise fail(str(exc)) from None
    store = open_store()
    try:
        done = records.purge(store, days, Actor.cli(), desk.open_accounts(store))
    except records.RecordError as exc:
        raise fail(f"--retention-days: {exc}") from None
    console.print(
        f"purged {done.ip_events} IP events and {done.identifiers} phone numbers older than "
        f"{days} days; cleared {done.sighting_ips} sender IPs of unmatched uploads; kept the data "
        f"of {done.preserved_accounts} accounts named by open requests"
    )


@legal_app.command("reminders")
def remind(
    hours: int = typer.Option(48, "--hours", help="Warn this many hours before a deadline."),
) -> None:
    """Requests near or past their deadline, and emergency disclosures awaiting review. Exits 1
    if any is overdue (for cron)."""
    from datetime import timedelta

    from bastion.cli.store import open_store
    from bastion.legal import desk
    from bastion.legal.reminders import reminders
    from bastion.store.types import utcnow

    found = reminders(desk.all_requests(open_store()), utcnow(), timedelta(hours=hours))
    if not found:
        console.print("no request is due within", f"{hours} hours")
        return
    table = Table(header_style="bold")
    for col in ("request", "reference", "state", "what", "due (UTC)", ""):
        table.add_column(col)
    for m in found:
        table.add_row(
            str(m.request_id),
            m.reference,
            m.state,
            m.what,
            m.due.strftime("%Y-%m-%d %H:%M"),
            "[bold red]OVERDUE[/]" if m.overdue else "soon",
        )
    console.print(table)
    if any(m.overdue for m in found):
        raise typer.Exit(1)


@legal_app.command("transparency")
def report(
    quarter: str = typer.Option(..., "--quarter", help="e.g. 2026Q3"),
    fmt: str = typer.Option("html", "--format", help="html, csv or json"),
    output: Path = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """The quarter's transparency report: requests per country by outcome, accounts affected."""
    from bastion.cli.store import open_store
    from bastion.legal import desk, transparency

    try:
        q = transparency.Quarter.parse(quarter)
        rep = transparency.report(q, desk.received_between(open_store(), q.start, q.end))
        text = transparency.render(rep, fmt)
    except transparency.QuarterError as exc:
        raise fail(str(exc)) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        console.print(f"wrote {output} ({rep.total.received} requests in {q})")
