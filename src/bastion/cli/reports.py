"""`bastion reports ...`: hotline reports drafted from confirmed reviews."""

from __future__ import annotations

import typer
from rich.table import Table

from bastion.cli.app import app, console, fail

reports_app = typer.Typer(
    help="Hotline reports (NCMEC CyberTipline, NCA, IWF).", no_args_is_help=True
)
app.add_typer(reports_app, name="reports")


@reports_app.command("list")
def reports_list(
    status: str = typer.Option(None, "--status", help="Only reports in this state."),
) -> None:
    """Reports with their hotline, state and the hotline's id once acknowledged."""
    from bastion.cli.store import open_store
    from bastion.reports.filing import list_reports

    table = Table(header_style="bold")
    for col in (
        "id",
        "hotline",
        "status",
        "sighting",
        "created (UTC)",
        "filed (UTC)",
        "hotline id",
        "error",
    ):
        table.add_column(col, overflow="fold")
    for r in list_reports(open_store(), status):
        table.add_row(
            str(r.id),
            r.hotline,
            r.status,
            str(r.sighting_id),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "",
            r.remote_id or "",
            r.error or "",
        )
    console.print(table)


@reports_app.command("submit")
def reports_submit(report_id: int) -> None:
    """Queue a draft (or failed) report for filing by `bastion worker` (never filed twice)."""
    from bastion.audit import Actor
    from bastion.cli.store import open_store
    from bastion.reports.filing import FilingError, request_submission

    try:
        request_submission(open_store(), report_id, Actor.cli())
    except FilingError as exc:
        raise fail(str(exc)) from None
    console.print(f"Report {report_id} queued; `bastion worker` files it.")
