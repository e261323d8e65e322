"""`bastion banks ...`: hash lists from hotlines and police databases."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import typer
from rich.table import Table

from bastion.banks import formats
from bastion.banks.formats import FormatError
from bastion.banks.model import (
    BankSettingsError,
    CategoryMapError,
    Kind,
    Source,
    parse_category_map,
)
from bastion.cli.app import app, console, err_console, fail
from bastion.signals import UnknownSignalType
from bastion.signals.pdq import MATCH_THRESHOLD
from bastion.store.banks import (
    BankExists,
    BankNotFound,
    BankStore,
    ImportRejected,
    ImportReport,
    VersionConflict,
)

banks_app = typer.Typer(
    help="Hash lists (banks): import, list, show, export, remove, diff.", no_args_is_help=True
)
app.add_typer(banks_app, name="banks")

MAX_ERRORS_SHOWN = 50


def _bank_store() -> BankStore:
    from bastion.cli.store import open_store

    return BankStore(open_store())


def _sha256_of(path: Path) -> str:
    """The file's SHA-256; for a folder, the SHA-256 of its manifest (each file's relative
    name and SHA-256, sorted)."""
    if path.is_dir():
        manifest = "".join(
            f"{p.relative_to(path).as_posix()}\t{_sha256_of(p)}\n"
            for p in sorted(path.rglob("*"))
            if p.is_file()
        )
        return hashlib.sha256(manifest.encode()).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@banks_app.command("create")
def create(
    name: str = typer.Argument(..., help="Bank name (letters, digits, . _ -)."),
    source: str = typer.Option(
        ..., "--source", help=f"One of {', '.join(s.value for s in Source)}."
    ),
    kind: str = typer.Option(
        "block", "--kind", help="block (known material) or allow (known false positives)."
    ),
    threshold: int = typer.Option(
        MATCH_THRESHOLD, "--threshold", help="PDQ distance threshold (0-63)."
    ),
    description: str = typer.Option("", "--description"),
    vpdq_query_percent: float = typer.Option(
        80.0,
        "--vpdq-query-percent",
        help="vPDQ: share of the query video's frames that must be found (python-threatexchange: 80).",
    ),
    vpdq_listed_percent: float = typer.Option(
        0.0,
        "--vpdq-listed-percent",
        help="vPDQ: share of the listed video's frames that must be found (Meta's README example: 80).",
    ),
) -> None:
    """Create an empty bank."""
    store = _bank_store()
    try:
        bank = store.create(
            name,
            _source(source),
            _kind(kind),
            threshold,
            description,
            vpdq_query_percent,
            vpdq_listed_percent,
        )
    except (BankExists, BankSettingsError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"Created {bank.kind.value} bank [bold]{bank.name}[/] (source {bank.source.value}, PDQ threshold {bank.pdq_threshold})."
    )


def _source(text: str) -> str:
    try:
        return Source(text.lower()).value
    except ValueError:
        raise fail(
            f"--source {text!r} is not one of {', '.join(s.value for s in Source)}"
        ) from None


def _kind(text: str) -> str:
    try:
        return Kind(text.lower()).value
    except ValueError:
        raise fail(f"--kind {text!r} is not block or allow") from None


@banks_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The hash-list file."),
    bank: str = typer.Option(..., "--bank", "-b", help="Bank to import into (created if new)."),
    fmt: str = typer.Option(
        None,
        "--format",
        "-f",
        help=f"One of {', '.join(formats.FORMATS)} (default: from the file name).",
    ),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        help="CSV column mapping FIELD=COLUMN, repeatable (md5=MD5, category=Grade...).",
    ),
    category_map: str = typer.Option(
        None, "--category-map", help="Map source labels to categories, e.g. 1=A,2=B,3=C."
    ),
    signal_type: str = typer.Option(
        None, "--type", help="Signal type of every line of a plain-text list."
    ),
    category: str = typer.Option(
        None,
        "--category",
        help="Category label for rows that carry none (e.g. a folder of vPDQ files).",
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the good rows and list the bad ones."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="The bank becomes exactly this file (others tombstoned)."
    ),
    remove: bool = typer.Option(
        False, "--remove", help="Tombstone the hashes listed in this file."
    ),
    expect_version: int = typer.Option(
        None, "--expect-version", help="Refuse unless the bank is at this version (for deltas)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report what would change; change nothing."
    ),
    source: str = typer.Option(
        None, "--source", help="Source of a new bank (default: from the format)."
    ),
    kind: str = typer.Option("block", "--kind", help="Kind of a new bank: block or allow."),
    threshold: int = typer.Option(
        MATCH_THRESHOLD, "--threshold", help="PDQ threshold of a new bank."
    ),
) -> None:
    """Import a hash list: all or nothing unless --skip-invalid."""
    if not file.exists():
        raise fail(f"{file}: no such file or folder")
    fmt = (fmt or formats.guess_format(file)).lower()
    if fmt not in formats.FORMATS:
        raise fail(f"--format {fmt!r} is not one of {', '.join(formats.FORMATS)}")
    if replace and remove:
        raise fail("--replace and --remove cannot be combined")
    try:
        cmap = parse_category_map(category_map) if category_map else None
        col_map = formats.parse_mapping(mapping) if mapping else None
        if signal_type:
            from bastion import signals

            signal_type = signals.get(signal_type).name
    except (CategoryMapError, FormatError, UnknownSignalType) as exc:
        raise fail(str(exc)) from None

    store = _bank_store()
    if not store.exists(bank):
        try:
            store.create(
                bank, _source(source or formats.DEFAULT_SOURCE[fmt]), _kind(kind), threshold
            )
        except BankSettingsError as exc:
            raise fail(str(exc)) from None
        err_console.print(f"Created bank [bold]{bank}[/].")
    try:
        items = formats.read(file, fmt, mapping=col_map, signal_type=signal_type, label=category)
        with err_console.status(f"importing {file.name} ..."):
            report = store.import_items(
                bank,
                items,
                replace=replace,
                remove=remove,
                category_map=cmap,
                skip_invalid=skip_invalid,
                expect_version=expect_version,
                source_file=file.name,
                source_sha256=_sha256_of(file),
                dry_run=dry_run,
            )
    except ImportRejected as exc:
        _print_notices(exc.report)
        _print_row_errors(exc.report.errors, file, "bad rows")
        raise fail(str(exc), code=1) from None
    except (FormatError, VersionConflict, BankNotFound) as exc:
        raise fail(f"{file}: {exc}", code=1) from None
    _print_notices(report)
    _print_report(report, file)


def _print_notices(report: ImportReport) -> None:
    for notice in report.notices:
        err_console.print(f"[yellow]note:[/] {notice}")


def _print_row_errors(errors, file: Path, title: str) -> None:
    for error in errors[:MAX_ERRORS_SHOWN]:
        err_console.print(f"  {file}:{error.line} ({error.unit}): {error.reason}", highlight=False)
    if len(errors) > MAX_ERRORS_SHOWN:
        err_file = file.with_name(file.name + ".errors.txt")
        try:
            err_file.write_text(
                "".join(f"{file}:{e.line} ({e.unit}): {e.reason}\n" for e in errors)
            )
            err_console.print(
                f"  ... and {len(errors) - MAX_ERRORS_SHOWN} more {title}; all {len(errors)} listed in {err_file}"
            )
        except OSError:
            err_console.print(f"  ... and {len(errors) - MAX_ERRORS_SHOWN} more {title}")


def _print_report(report: ImportReport, file: Path) -> None:
    verb = "would change" if report.dry_run else "changed"
    head = f"[bold]{report.bank}[/]: {report.rows_read} rows read from {file.name}; "
    if report.changed:
        head += (
            f"{verb} to version {report.version}"
            if not report.dry_run
            else "dry run: nothing changed"
        )
    else:
        head += "no changes"
    console.print(head)
    parts = [
        f"{report.added} added",
        f"{report.removed} removed",
        f"{report.unchanged} already present",
    ]
    if report.regraded:
        parts.append(f"{report.regraded} regraded")
    if report.duplicates:
        parts.append(f"{report.duplicates} duplicate rows counted once")
    if report.not_present:
        parts.append(f"{report.not_present} to remove were not in the bank")
    console.print("  " + ", ".join(parts))
    if report.categories:
        cats = ", ".join(f"{c} {n}" for c, n in sorted(report.categories.items()))
        types = ", ".join(f"{t} {n}" for t, n in sorted(report.signal_types.items()))
        console.print(f"  categories: {cats}; signals: {types}")
    if report.skipped:
        err_console.print(f"[yellow]{len(report.skipped)} bad rows skipped[/] (--skip-invalid):")
        _print_row_errors(report.skipped, file, "skipped rows")


@banks_app.command("set")
def set_(
    name: str = typer.Argument(...),
    threshold: int = typer.Option(None, "--threshold", help="PDQ distance threshold (0-63)."),
    vpdq_query_percent: float = typer.Option(None, "--vpdq-query-percent"),
    vpdq_listed_percent: float = typer.Option(None, "--vpdq-listed-percent"),
    description: str = typer.Option(None, "--description"),
) -> None:
    """Change a bank's settings (a new version, audited)."""
    store = _bank_store()
    try:
        bank = store.update_settings(
            name,
            pdq_threshold=threshold,
            description=description,
            vpdq_query_percent=vpdq_query_percent,
            vpdq_listed_percent=vpdq_listed_percent,
        )
    except (BankNotFound, BankSettingsError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"[bold]{bank.name}[/]: PDQ threshold {bank.pdq_threshold}; vPDQ query >= {bank.vpdq_query_percent}%, listed >= {bank.vpdq_listed_percent}%; version {bank.version}"
    )


@banks_app.command("list")
def list_(retired: bool = typer.Option(False, "--retired", help="Include retired banks.")) -> None:
    """Every bank with its source, kind, threshold, version and live entries."""
    store = _bank_store()
    banks = store.list(include_retired=retired)
    if not banks:
        console.print(
            "No banks yet. Import one: bastion banks import FILE --bank NAME --format iwf"
        )
        return
    table = Table(header_style="bold")
    for col in (
        "bank",
        "source",
        "kind",
        "PDQ threshold",
        "version",
        "entries",
        "categories",
        "updated",
    ):
        table.add_column(
            col, justify="right" if col in ("PDQ threshold", "version", "entries") else "left"
        )
    for bank in banks:
        counts = store.category_counts(bank.name)
        by_cat: dict[str, int] = {}
        for (_, cat), n in counts.items():
            by_cat[cat] = by_cat.get(cat, 0) + n
        cats = " ".join(f"{c}:{n}" for c, n in sorted(by_cat.items()))
        name = bank.name if bank.active else f"{bank.name} [dim](retired)[/]"
        table.add_row(
            name,
            bank.source.value,
            bank.kind.value,
            str(bank.pdq_threshold),
            str(bank.version),
            f"{bank.live_entries:,}",
            cats,
            bank.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@banks_app.command("show")
def show(name: str = typer.Argument(...)) -> None:
    """A bank's settings, entries by signal type and category, and its version history."""
    store = _bank_store()
    try:
        bank = store.get(name)
    except BankNotFound as exc:
        raise fail(str(exc)) from None
    console.print(
        f"[bold]{bank.name}[/]  {bank.kind.value} bank from {bank.source.value}; PDQ threshold {bank.pdq_threshold}; version {bank.version}; {bank.live_entries:,} live entries"
    )
    if bank.description:
        console.print(bank.description)
    counts = store.category_counts(name)
    if counts:
        table = Table(title="live entries", header_style="bold")
        table.add_column("signal")
        for cat in ("A", "B", "C", "unknown"):
            table.add_column(cat, justify="right")
        for st in sorted({k[0] for k in counts}):
            table.add_row(st, *(f"{counts.get((st, c), 0):,}" for c in ("A", "B", "C", "unknown")))
        console.print(table)
    history = Table(title="versions", header_style="bold")
    for col in (
        "version",
        "when (UTC)",
        "operation",
        "added",
        "removed",
        "skipped",
        "file",
        "note",
    ):
        history.add_column(col)
    for v in store.versions(name):
        history.add_row(
            str(v.version),
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            v.operation,
            str(v.added),
            str(v.removed),
            str(v.skipped),
            v.source_file or "",
            v.note or "",
        )
    console.print(history)


@banks_app.command("export")
def export(
    name: str = typer.Argument(...),
    fmt: str = typer.Option(
        "csv", "--format", "-f", help="csv (re-importable) or text (values only)."
    ),
    signal_type: str = typer.Option(None, "--type", help="Only this signal type."),
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)."
    ),
    version: int = typer.Option(None, "--version", help="Entries as they were at this version."),
) -> None:
    """Write a bank's live entries as CSV or plain text."""
    from bastion.banks.formats.export import write_csv, write_text

    if fmt not in ("csv", "text", "vpdq"):
        raise fail("--format must be csv, text or vpdq")
    if fmt == "vpdq" and not output:
        raise fail("--format vpdq writes a folder: give it with --output")
    store = _bank_store()
    try:
        store.get(name)
    except BankNotFound as exc:
        raise fail(str(exc)) from None
    entries = store.entries(name, signal_type=signal_type, at_version=version)
    if fmt == "vpdq":
        from bastion.banks.formats.video import write_vpdq

        n = write_vpdq(entries, output)
        err_console.print(f"Wrote {n:,} vPDQ files of {name} to {output}.")
        return
    writer = write_csv if fmt == "csv" else write_text
    if output:
        tmp = output.with_name(output.name + ".partial")
        with open(tmp, "w", newline="") as f:
            n = writer(entries, f)
        tmp.replace(output)
        err_console.print(f"Wrote {n:,} entries of {name} to {output}.")
    else:
        writer(entries, sys.stdout)


@banks_app.command("remove")
def remove(
    name: str = typer.Argument(...),
    values: list[str] = typer.Argument(
        None, help="Hashes to remove (type from length, or --type)."
    ),
    signal_type: str = typer.Option(None, "--type", help="Signal type of the values."),
    retire: bool = typer.Option(
        False, "--retire", help="Retire the whole bank (all entries tombstoned)."
    ),
) -> None:
    """Tombstone entries (or retire a bank). Past matches stay explainable."""
    store = _bank_store()
    try:
        if retire:
            if values:
                raise fail("give either values or --retire, not both")
            bank = store.retire(name)
            console.print(
                f"Retired bank [bold]{bank.name}[/]; its entries are tombstoned, its history kept."
            )
            return
        if not values:
            raise fail(
                "name hashes to remove, or use --retire; to remove a file of hashes use `banks import FILE --remove`"
            )
        import io

        from bastion.banks.formats.plain import read_text

        items = read_text(io.BytesIO("\n".join(values).encode()), signal_type)
        report = store.import_items(name, items, remove=True, source_file="(command line)")
    except ImportRejected as exc:
        _print_row_errors(exc.report.errors, Path("(arguments)"), "bad values")
        raise fail(str(exc), code=1) from None
    except (BankNotFound, VersionConflict) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"[bold]{name}[/]: {report.removed} removed, {report.not_present} not in the bank; version {report.version}."
    )


@banks_app.command("diff")
def diff(
    name: str = typer.Argument(...),
    from_version: int = typer.Option(
        None, "--from", help="Older version (default: the previous one)."
    ),
    to_version: int = typer.Option(None, "--to", help="Newer version (default: the current one)."),
) -> None:
    """Entries added and removed between two versions of a bank."""
    store = _bank_store()
    try:
        bank = store.get(name)
        to_v = to_version or bank.version
        from_v = from_version if from_version is not None else max(1, to_v - 1)
        added, removed = store.diff(name, from_v, to_v)
    except (BankNotFound, VersionConflict) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"[bold]{name}[/] version {from_v} -> {to_v}: {len(added)} added, {len(removed)} removed"
    )
    for sign, entries, style in (("+", added, "green"), ("-", removed, "red")):
        for e in entries:
            console.print(
                f"[{style}]{sign} {e.signal_type} {e.value} {e.category.value}[/] {e.source_label or ''}",
                highlight=False,
            )
