"""`bastion match HASH_OR_FILE...`: match hashes or files against the banks."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.app import app, console, err_console, fail
from bastion.cli.paths import common_folder, shown
from bastion.cli.progress import item_progress
from bastion.hashing import MediaHashes, hash_files, iter_files
from bastion.index_snapshots import open_matcher
from bastion.matching import MatchResult, Query
from bastion.signals import SignalParseError
from bastion.store.banks import BankNotFound

_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")
_TYPES_BY_LENGTH = {32: ("md5",), 40: ("sha1",), 64: ("sha256", "pdq")}


def _queries_for_text(text: str, signal_type: str | None) -> list[Query] | None:
    """Queries for an argument that is a hash rather than a path (None if it is not a hash)."""
    if Path(text).exists() or not _HEX.match(text):
        return None
    value = text[2:] if text.lower().startswith("0x") else text
    types = (signal_type,) if signal_type else _TYPES_BY_LENGTH.get(len(value))
    if not types:
        return None
    return [Query.of_value(t, value.lower(), label=text) for t in types]


def _merge(results: list[MatchResult]) -> MatchResult:
    return MatchResult(
        matches=tuple(m for r in results for m in r.matches),
        suppressed=tuple(m for r in results for m in r.suppressed),
        allowed_by=tuple(m for r in results for m in r.allowed_by),
        notes=tuple(n for r in results for n in r.notes),
    )


@app.command("match")
def match_command(
    targets: list[str] = typer.Argument(..., help="Hashes (hex) and/or files and folders."),
    bank: list[str] = typer.Option(
        [], "--bank", "-b", help="Only these banks (repeatable); default all."
    ),
    signal_type: str = typer.Option(
        None, "--type", help="Signal type of hex arguments (else from length)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per item on stdout."),
    dihedral: bool = typer.Option(
        True, "--dihedral/--no-dihedral", help="Also match rotations and mirrors of images."
    ),
    views: bool = typer.Option(
        True,
        "--views/--plain",
        help="Also match trimmed (bars, frames) and zoom-out (crops) PDQ views; --plain "
        "--no-dihedral matches plain PDQ as HMA does (docs/robustness.md).",
    ),
    workers: int = typer.Option(0, "--workers", "-w", help="Hashing processes (0 = one per core)."),
) -> None:
    """Match hashes or files against the banks, with categories and distances."""
    from bastion.cli.store import open_store

    store = open_store()
    try:
        matcher = open_matcher(store, banks=bank or None)
    except BankNotFound as exc:
        raise fail(str(exc)) from None
    if not matcher.banks:
        err_console.print(
            "[yellow]No banks to match against.[/] Import one: bastion banks import FILE --bank NAME"
        )

    items: list[tuple[str, MatchResult, MediaHashes | None]] = []
    paths: list[str] = []
    for text in targets:
        try:
            queries = _queries_for_text(text, signal_type)
        except SignalParseError as exc:
            raise fail(str(exc)) from None
        if queries is None:
            paths.extend(iter_files([text]))
        else:
            items.append((text, _merge(matcher.match_many(queries)), None))

    if paths:
        with item_progress(err_console) as progress:
            task = progress.add_task("hashing and matching", total=len(paths), rate="")
            n_workers = min(workers or os.cpu_count() or 1, len(paths))
            for hashed in hash_files(paths, workers=n_workers):
                result = matcher.match(Query.of(hashed, dihedral=dihedral, views=views))
                items.append((hashed.source, result, hashed))
                progress.update(task, advance=1)

    if as_json:
        for label, result, hashed in items:
            print(json.dumps(_as_dict(label, result, hashed)))
    else:
        _print_table(items)
    _print_summary(items)


def _as_dict(label: str, result: MatchResult, hashed: MediaHashes | None) -> dict[str, object]:
    def m(match):
        return {
            "bank": match.bank,
            "bank_kind": match.bank_kind.value,
            "bank_source": match.bank_source,
            "entry_id": match.entry_id,
            "signal_type": match.signal_type,
            "value": match.value,
            "distance": match.distance,
            "threshold": match.threshold,
            "category": match.category.value,
            "source_label": match.source_label,
            "source_id": match.source_id,
            "variant": match.variant,
        }

    record: dict[str, object] = {
        "item": label,
        "matched": result.matched,
        "category": result.category.value if result.category else None,
        "matches": [m(x) for x in result.matches],
        "suppressed": [m(x) for x in result.suppressed],
        "allowed_by": [m(x) for x in result.allowed_by],
        "notes": list(result.notes),
    }
    if hashed is not None and hashed.failure:
        record["failure"] = {"reason": hashed.failure.reason, "message": hashed.failure.message}
    return record


def _print_table(items: list[tuple[str, MatchResult, MediaHashes | None]]) -> None:
    common = common_folder([label for label, _, hashed in items if hashed is not None])
    if common:
        console.print(f"[dim]files under {common}[/]")
    table = Table(header_style="bold", show_lines=True)
    for col in ("item", "verdict", "bank", "category", "signal", "distance", "source label"):
        table.add_column(col, overflow="fold")
    for full_label, result, hashed in items:
        label = shown(full_label, common) if hashed is not None else full_label
        if result.matched:
            for i, mt in enumerate(result.matches):
                signal = mt.signal_type + (
                    f" ({mt.variant})" if mt.variant and mt.variant != "original" else ""
                )
                table.add_row(
                    label if i == 0 else "",
                    "[bold red]match[/]" if i == 0 else "",
                    mt.bank,
                    f"[bold]{mt.category.value}[/]",
                    signal,
                    str(mt.distance),
                    mt.source_label or "",
                )
        elif result.suppressed:
            allow = result.allowed_by[0]
            table.add_row(
                label,
                "[yellow]allowed[/]",
                allow.bank,
                "",
                allow.signal_type,
                str(allow.distance),
                f"{len(result.suppressed)} block match(es) suppressed",
            )
        else:
            why = (
                hashed.failure.reason
                if hashed is not None and hashed.failure
                else "; ".join(result.notes)
            )
            table.add_row(label, "[green]no match[/]", "", "", "", "", why)
    console.print(table)


def _print_summary(items: list[tuple[str, MatchResult, MediaHashes | None]]) -> None:
    matched = [r for _, r, _ in items if r.matched]
    cats = Counter(r.category.value for r in matched if r.category)
    allowed = sum(1 for _, r, _ in items if r.suppressed)
    failed = sum(1 for _, _, h in items if h is not None and h.failure)
    line = f"{len(items)} items: [bold red]{len(matched)} matched[/]"
    if cats:
        line += " (" + ", ".join(f"category {c} {n}" for c, n in sorted(cats.items())) + ")"
    if allowed:
        line += f"; {allowed} suppressed by an allow-list"
    if failed:
        line += f"; {failed} could not be fully hashed"
    err_console.print(line)
