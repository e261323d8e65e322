"""`bastion sources list PATH`: what a source yields, one item per line (for debugging sources)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import typer

from bastion.cli.app import app, err_console, fail
from bastion.sources import SourceError, open_source

sources_app = typer.Typer(help="Inspect sources: folders, archives, Telegram exports.")
app.add_typer(sources_app, name="sources")


@sources_app.command("list")
def list_command(
    path: Path = typer.Argument(..., help="A folder, .zip/.tar archive or Telegram export."),
    layout: str = typer.Option("auto", help="auto, files, json or html."),
) -> None:
    """Print every item as a JSON line (stdout) and a count per status (stderr)."""
    if layout not in ("auto", "files", "json", "html"):
        raise fail("--layout must be one of auto, files, json, html")
    counts: Counter[str] = Counter()
    try:
        with open_source(path, layout=layout) as source:  # type: ignore[arg-type]
            for item in source.items():
                counts[item.status.value] += 1
                typer.echo(json.dumps(asdict(item), default=_plain, ensure_ascii=False))
            problems = source.problems
    except SourceError as error:
        raise fail(str(error)) from error
    for problem in problems:
        err_console.print(f"[yellow]problem:[/] {problem.location}: {problem.message}")
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    err_console.print(f"{sum(counts.values())} items ({source.kind}): {summary or 'none'}")


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
