"""`bastion demo`: a first run that needs nothing but Bastion itself.

It writes a benign synthetic Telegram Desktop export (generated pictures only), a demo hash list
that lists some of those pictures under test categories (the labels mean nothing about the
pictures), scans the export on the embedded default and prints the case summary.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import typer
from PIL import Image, ImageOps

from bastion.cli.app import app, console, err_console, fail
from bastion.config import bastion_home

DEMO_BANK = "demo-hotline"

# Files of the synthetic export (bastion.sources.telegram_synthetic.demo_export) listed in the
# demo bank, and why each was chosen.
DEMO_LISTING = (
    ("chats/chat_2/photos/photo_1@04-03-2024_21-00-00.jpg", "md5", "A", "received from a contact"),
    (
        "chats/chat_3/photos/photo_5@06-03-2024_09-45-12.jpg",
        "sha256",
        "B",
        "forwarded by the owner into a group",
    ),
    (
        "chats/chat_3/photos/photo_1@02-03-2024_10-20-00.jpg",
        "md5",
        "C",
        "posted by the owner into a group",
    ),
)
# A perceptual entry: the PDQ of a mirrored copy of this picture, so the scan finds the
# original through its dihedral variant.
DEMO_PERCEPTUAL = (
    "chats/chat_4/photos/photo_1@03-03-2024_12-30-00.jpg",
    "C",
    "mirrored copy (PDQ)",
)


def _write_bank_list(export: Path, target: Path) -> None:
    from bastion.hashing import hash_bytes, hash_file

    lines = ["md5,sha256,pdq,category,label"]
    for rel, signal, category, why in DEMO_LISTING:
        d = hash_file(export / rel).digests
        value = d.md5 if signal == "md5" else d.sha256
        cells = {"md5": "", "sha256": "", "pdq": ""} | {signal: value}
        lines.append(f"{cells['md5']},{cells['sha256']},,{category},test label {category}: {why}")
    rel, category, why = DEMO_PERCEPTUAL
    with Image.open(export / rel) as im:
        mirrored = ImageOps.mirror(im.convert("RGB"))
    buf = io.BytesIO()
    mirrored.save(buf, "JPEG", quality=80)
    pdq = hash_bytes(buf.getvalue(), "mirrored").pdq.hex
    lines.append(f",,{pdq},{category},test label {category}: {why}")
    target.write_text("\n".join(lines) + "\n")


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(
        None, "--folder", help="Where to write the demo export (default: BASTION_HOME/demo)."
    ),
) -> None:
    """Scan a benign synthetic Telegram export against a demo hash list, end to end."""
    from bastion.audit import Actor
    from bastion.banks import formats
    from bastion.cli.scan import RichProgress, show_summary
    from bastion.cli.store import open_store
    from bastion.scan.pipeline import ScanError, ScanOptions, create_case, run_case
    from bastion.sources.telegram_synthetic import demo_export, write_export
    from bastion.store.banks import BankStore

    root = folder or bastion_home() / "demo"
    export = root / "telegram-export"
    if not (export / "result.json").is_file():
        err_console.print(
            f"Writing a benign synthetic Telegram Desktop export to [bold]{export}[/] ..."
        )
        write_export(demo_export(), export)
    listing = root / "demo-hotline.csv"
    _write_bank_list(export, listing)

    store = open_store()
    banks = BankStore(store)
    if not banks.exists(DEMO_BANK):
        banks.create(
            DEMO_BANK, "local", description="Demo list: benign synthetic pictures with test labels"
        )
    report = banks.import_items(
        DEMO_BANK, formats.read(listing, "csv"), replace=True, source_file=listing.name
    )
    err_console.print(
        f"Demo bank [bold]{DEMO_BANK}[/]: {sum(report.categories.values())} entries (test labels only)."
    )

    name = "demo-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    options = ScanOptions(banks=(DEMO_BANK,))
    try:
        case = create_case(store, name, export, options, Actor.cli().name)
        with RichProgress() as progress:
            run_case(store, case, options, progress)
    except ScanError as exc:
        raise fail(str(exc)) from None
    show_summary(store, name)
    console.print()
    console.print(f"Results are in [bold]{store.describe()}[/] as case [bold]{name}[/]. Next:")
    console.print(
        f"  bastion case items {name} --state matched      # every matched reference with its context"
    )
    console.print(f"  bastion case items {name} --json               # everything, for machines")
    console.print("  bastion banks list                               # the hash lists loaded")
