"""`bastion hash PATH...`: exact digests and PDQ for files and folders."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.app import app, console, err_console, fail
from bastion.cli.paths import common_folder, shown
from bastion.cli.progress import item_progress
from bastion.hashing import PDQ_MODES, MediaHashes, hash_files, iter_files
from bastion.media import Limits


def hashes_as_dict(
    item: MediaHashes, dihedral: bool = False, views: bool = False
) -> dict[str, object]:
    d = item.digests
    record: dict[str, object] = {
        "path": item.source,
        "status": "hashed" if item.ok else "failed",
        "size": d.size if d else None,
        "md5": d.md5 if d else None,
        "sha1": d.sha1 if d else None,
        "sha256": d.sha256 if d else None,
        "pdq": item.pdq.hex if item.pdq else None,
        "quality": item.pdq.quality if item.pdq else None,
        "pdq_usable": item.pdq.usable if item.pdq else False,
    }
    if item.pdq and not item.pdq.usable:
        record["pdq_unusable_reason"] = item.pdq.unusable_reason
    if item.image:
        record.update(
            format=item.image.format,
            width=item.image.width,
            height=item.image.height,
            orientation=item.image.orientation,
        )
    if item.video:
        record["video"] = {
            "container": item.video.container,
            "codec": item.video.codec,
            "width": item.video.width,
            "height": item.video.height,
            "fps": item.video.fps,
            "duration_s": item.video.duration_s,
        }
    if item.vpdq is not None:
        record["vpdq"] = item.vpdq.to_text()
        record["vpdq_frames"] = len(item.vpdq)
    if dihedral and item.pdq:
        record["pdq_dihedral"] = list(item.pdq.dihedral)
    if views and item.pdq_views:
        record["pdq_views"] = [
            {"view": v.name, "pdq": v.hex, "quality": v.quality} for v in item.pdq_views
        ]
    if item.failure:
        record["reason"] = item.failure.reason
        record["error"] = item.failure.message
    return record


def _quality_cell(item: MediaHashes) -> str:
    if not item.pdq:
        return ""
    if item.pdq.usable:
        return str(item.pdq.quality)
    return f"[yellow]{item.pdq.quality} (unusable)[/]"


@app.command("hash")
def hash_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders (folders are walked)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line on stdout."),
    mode: str = typer.Option(
        "fast",
        "--mode",
        help="PDQ mode: 'fast' (reduced decoding, within a few bits) or 'exact' (bit for bit "
        "with Meta's reference at full resolution).",
    ),
    workers: int = typer.Option(
        0, "--workers", "-w", help="Processes to hash with (0 = one per CPU core)."
    ),
    dihedral: bool = typer.Option(
        False, "--dihedral", help="With --json, include the 8 dihedral PDQ variants."
    ),
    views: bool = typer.Option(
        False,
        "--views",
        help="Show every PDQ view matching searches (dihedral, trimmed, zoom-out); "
        "see docs/robustness.md.",
    ),
    max_pixels: int = typer.Option(
        Limits().max_pixels, "--max-pixels", help="Reject images declaring more pixels."
    ),
    max_bytes: int = typer.Option(
        Limits().max_file_bytes, "--max-bytes", help="Digest but do not decode larger files."
    ),
) -> None:
    """Hash files: md5, sha1, sha256 of the bytes, and PDQ with its quality for images.

    Bad files are reported and counted, never fatal. The exit code is non-zero only for wrong
    arguments or when nothing at all could be hashed.
    """
    if mode not in PDQ_MODES:
        raise fail(f"--mode must be one of {', '.join(PDQ_MODES)}, not {mode!r}")
    if max_pixels <= 0 or max_bytes <= 0:
        raise fail("--max-pixels and --max-bytes must be positive")
    limits = Limits(max_file_bytes=max_bytes, max_pixels=max_pixels)
    files = list(iter_files(paths))
    if not files:
        raise fail("no files found under the given paths", code=1)
    workers = workers or os.cpu_count() or 1
    workers = min(workers, len(files))

    results: list[MediaHashes] = []
    started = time.perf_counter()
    with item_progress(err_console) as progress:
        task = progress.add_task("hashing", total=len(files), rate="")
        for item in hash_files(files, mode=mode, limits=limits, workers=workers):  # type: ignore[arg-type]
            results.append(item)
            if as_json:
                print(json.dumps(hashes_as_dict(item, dihedral, views)), flush=True)
            elapsed = time.perf_counter() - started
            progress.update(
                task, advance=1, rate=f"{len(results) / max(elapsed, 1e-9):.1f} files/s"
            )
    elapsed = time.perf_counter() - started

    if not as_json:
        _print_table(results, views)
    _print_summary(results, elapsed)
    if not any(item.digests for item in results):
        raise typer.Exit(1)


def _print_table(results: list[MediaHashes], views: bool = False) -> None:
    common = common_folder([r.source for r in results])
    table = Table(header_style="bold", show_lines=True)
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("signals", overflow="fold", ratio=3)
    table.add_column("quality", justify="right", no_wrap=True)
    for item in results:
        name = shown(item.source, common)
        lines = []
        if item.digests:
            d = item.digests
            lines += [
                f"[dim]md5[/]    {d.md5}",
                f"[dim]sha1[/]   {d.sha1}",
                f"[dim]sha256[/] {d.sha256}",
            ]
        if item.pdq:
            lines.append(f"[dim]pdq[/]    {item.pdq.hex}")
        if views:
            lines += [f"[dim]{v.name:<13}[/] {v.hex} q{v.quality}" for v in item.pdq_views]
        if item.vpdq is not None:
            usable = sum(1 for f in item.vpdq.frames if f.usable)
            lines.append(f"[dim]vpdq[/]   {len(item.vpdq)} frames ({usable} usable)")
        if item.failure:
            lines.append(f"[red]{item.failure.reason}[/]")
        table.add_row(name, "\n".join(lines), _quality_cell(item))
    if common:
        console.print(f"[dim]files under {common}[/]")
    console.print(table)


def _print_summary(results: list[MediaHashes], elapsed: float) -> None:
    hashed = sum(1 for r in results if r.ok)
    failures = Counter(r.failure.reason for r in results if r.failure)
    unusable = sum(1 for r in results if r.pdq and not r.pdq.usable)
    parts = [f"[bold]{len(results)}[/] files in {elapsed:.2f}s: [green]{hashed} hashed[/]"]
    if failures:
        detail = ", ".join(f"{reason} {n}" for reason, n in sorted(failures.items()))
        parts.append(f"[red]{sum(failures.values())} failed[/] ({detail})")
    if unusable:
        parts.append(
            f"[yellow]{unusable} with PDQ unusable for matching[/] (quality < 50 or blank)"
        )
    err_console.print("; ".join(parts))
    for r in results:
        if r.failure:
            err_console.print(f"  [red]{r.failure.reason}[/] {r.failure.message}", highlight=False)
