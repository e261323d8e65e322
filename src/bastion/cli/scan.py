"""`bastion scan` and `bastion case ...`: triage a Telegram export, a folder or an archive."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bastion.cli.app import app, console, err_console, fail


class RichProgress:
    """Files, bytes, matches and rate on one bar per phase (stderr)."""

    def __init__(self) -> None:
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self.task = None
        self.bytes = 0
        self.matches = 0
        self.files = 0
        self.started = time.perf_counter()

    def __enter__(self) -> RichProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.bar.update(
                self.task,
                completed=self.bar.tasks[self.task].completed,
                total=self.bar.tasks[self.task].completed,
            )
        self.task = self.bar.add_task(name, total=total, detail="")
        self.started = time.perf_counter()
        self.files = 0

    def advance(self, files: int, nbytes: int, matches: int) -> None:
        self.files += files
        self.bytes += nbytes
        self.matches += matches
        rate = self.files / max(time.perf_counter() - self.started, 1e-6)
        detail = f"{rate:,.0f}/s"
        if nbytes or self.bytes:
            detail = f"{self.bytes / 1e6:,.1f} MB  [bold red]{self.matches} matches[/]  " + detail
        self.bar.update(self.task, advance=files, detail=detail)


def _options(
    banks: list[str],
    workers: int,
    mode: str,
    dihedral: bool,
    accept: bool = False,
    dask: str | None = None,
    views: bool = True,
):
    from bastion.scan.pipeline import ScanOptions

    if mode not in ("fast", "exact"):
        raise fail("--mode must be fast or exact")
    return ScanOptions(
        banks=tuple(banks) or None,
        workers=workers,
        mode=mode,
        dihedral=dihedral,
        views=views,
        accept_bank_changes=accept,
        dask=dask,
    )


@app.command("scan")
def scan_command(
    source: Path = typer.Argument(
        None,
        help="A Telegram Desktop export folder (or result.json / messages.html), a folder, or a zip/tar archive.",
    ),
    case: str = typer.Option(None, "--case", "-c", help="Name of the new case."),
    resume: str = typer.Option(None, "--resume", help="Finish an interrupted scan of this case."),
    bank: list[str] = typer.Option(
        [], "--bank", "-b", help="Banks to match (repeatable; default all)."
    ),
    workers: int = typer.Option(0, "--workers", "-w", help="Hashing processes (0 = one per core)."),
    mode: str = typer.Option("fast", "--mode", help="PDQ mode: fast or exact."),
    dihedral: bool = typer.Option(
        True, "--dihedral/--no-dihedral", help="Match rotations and mirrors."
    ),
    views: bool = typer.Option(
        True,
        "--views/--plain",
        help="Also match trimmed (bars, frames) and zoom-out (crops) PDQ views; --plain "
        "--no-dihedral matches plain PDQ as HMA does (docs/robustness.md).",
    ),
    accept_bank_changes: bool = typer.Option(
        False, "--accept-bank-changes", help="Resume even though banks changed."
    ),
    dask: str = typer.Option(
        None,
        "--dask",
        help="Hash on a Dask cluster: a scheduler address (tcp://host:8786) or local:N.",
    ),
) -> None:
    """Hash every media item of a source once, match it, and record who sent what, where, when."""
    from bastion.audit import Actor
    from bastion.cli.store import open_store
    from bastion.scan.executors import ExecutorError
    from bastion.scan.pipeline import ScanError, case_id, create_case, mark_resumed, run_case
    from bastion.sources.errors import SourceError
    from bastion.store.banks import BankNotFound

    if resume and (source or case):
        raise fail(
            "--resume CASE takes no SOURCE or --case: the case remembers its source and banks"
        )
    if not resume and (source is None or case is None):
        raise fail("give a SOURCE and --case NAME (or --resume CASE)")
    store = open_store()
    options = _options(bank, workers, mode, dihedral, accept_bank_changes, dask, views)
    try:
        if resume:
            cid = case_id(store, resume)
            mark_resumed(store, cid)
            name = resume
        else:
            cid = create_case(store, case, source, options, Actor.cli().name)
            name = case
        with RichProgress() as progress:
            run_case(store, cid, options, progress)
    except (ScanError, SourceError, BankNotFound, ExecutorError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        err_console.print(f"[yellow]interrupted[/]: resume with `bastion scan --resume {name}`")
        raise typer.Exit(130) from None
    show_summary(store, name)


case_app = typer.Typer(help="Scanned cases: summaries and items.", no_args_is_help=True)
app.add_typer(case_app, name="case")


@case_app.command("list")
def case_list() -> None:
    """Every case with its status and source."""
    from sqlalchemy import select

    from bastion.cli.store import open_store
    from bastion.store.models import CaseRow

    store = open_store()
    table = Table(header_style="bold")
    for col in ("case", "status", "source", "started (UTC)", "finished (UTC)"):
        table.add_column(col, overflow="fold")
    with store.session() as s:
        for row in s.scalars(select(CaseRow).order_by(CaseRow.created_at)):
            table.add_row(
                row.name,
                row.status,
                row.source_path,
                row.started_at.strftime("%Y-%m-%d %H:%M"),
                row.finished_at.strftime("%Y-%m-%d %H:%M") if row.finished_at else "",
            )
    console.print(table)


@case_app.command("show")
def case_show(name: str = typer.Argument(..., help="Case name.")) -> None:
    """Per chat, per sender and per category: what matched, and when."""
    from bastion.cli.store import open_store
    from bastion.scan.pipeline import ScanError

    try:
        show_summary(open_store(), name)
    except ScanError as exc:
        raise fail(str(exc)) from None


def _cats(counter) -> str:
    return (
        "  ".join(
            f"[bold]{c}[/] {counter[c]}" for c in ("A", "B", "C", "unknown") if counter.get(c)
        )
        or "[dim]-[/]"
    )


def show_summary(store, name: str) -> None:
    from bastion.cases.summary import summarise

    s = summarise(store, name)
    console.print(f"[bold]Case {s.name}[/] ({s.status}): {s.source_kind} at {s.source_path}")
    banks = ", ".join(f"{b['name']} v{b['version']} ({b['entries']:,} entries)" for b in s.banks)
    console.print(f"banks: {banks}")
    states = ", ".join(f"{k} {v}" for k, v in sorted(s.states.items()))
    check = "[green]all accounted for[/]" if s.accounted else "[red]scan incomplete[/]"
    console.print(
        f"{s.references} references ({s.distinct_files} distinct files): {states}; {check}"
    )
    console.print(f"distinct matched files by category: {_cats(s.distinct_matched)}")
    chats = Table(title="per chat", header_style="bold")
    for col in ("chat", "type", "references", "matched"):
        chats.add_column(col, overflow="fold")
    for c in s.chats:
        chats.add_row(
            c.name or "",
            c.type or "",
            str(c.references),
            _cats(c.matched),
        )
    console.print(chats)
    senders = Table(title="per sender", header_style="bold")
    for col in ("sender", "id", "owner", "references", "matched"):
        senders.add_column(col, overflow="fold")
    for x in s.senders[:25]:
        owner = "yes" if x.is_owner else ("no" if x.is_owner is False else "?")
        senders.add_row(
            x.name or "(unknown)", x.sender_id or "", owner, str(x.references), _cats(x.matched)
        )
    console.print(senders)
    if s.first_last:
        dates = Table(title="matched items over time (UTC)", header_style="bold")
        for col in ("category", "first", "last"):
            dates.add_column(col)
        for cat in ("A", "B", "C", "unknown"):
            if cat in s.first_last:
                first, last = s.first_last[cat]
                dates.add_row(
                    cat, first.strftime("%Y-%m-%d %H:%M"), last.strftime("%Y-%m-%d %H:%M")
                )
        console.print(dates)
    if s.undated_matches:
        console.print(
            f"[yellow]{s.undated_matches} matched references have no exact date[/] (files no message names, or an export without unix times)"
        )
    console.print(
        "[dim]Hash matching finds only known material listed in the banks used; it does not show what else the source holds.[/]"
    )


@case_app.command("items")
def case_items(
    name: str = typer.Argument(...),
    as_json: bool = typer.Option(
        False, "--json", help="One JSON object per reference (for machines)."
    ),
    state: str = typer.Option(
        None, "--state", help="Only references in this state (matched, hashed, missing...)."
    ),
) -> None:
    """Every reference with its state, context, hashes and matches."""
    from dataclasses import asdict

    from bastion.cases.summary import case_row, references
    from bastion.cli.store import open_store
    from bastion.scan.pipeline import ScanError

    store = open_store()
    try:
        case = case_row(store, name)
    except ScanError as exc:
        raise fail(str(exc)) from None
    table = None if as_json else Table(header_style="bold")
    if table is not None:
        for col in ("state", "chat", "message", "date (UTC)", "sender", "file", "category"):
            table.add_column(col, overflow="fold")
    for ref in references(store, case.id):
        if state and (ref.state.value if ref.state else "pending") != state:
            continue
        if as_json:
            record = asdict(ref)
            record["state"] = ref.state.value if ref.state else "pending"
            print(json.dumps(record, default=str))
        else:
            table.add_row(
                ref.state.value if ref.state else "pending",
                ref.chat_name or "",
                str(ref.message_id or ""),
                ref.date.strftime("%Y-%m-%d %H:%M") if ref.date else "",
                ref.sender_name or "",
                ref.path or ref.key,
                ref.category or "",
            )
    if table is not None:
        console.print(table)
