"""`bastion demo`: a first run that needs nothing but Bastion itself."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.cli.app import app, err_console
from bastion.cli.hash import hash_command
from bastion.config import bastion_home
from bastion.synthetic import encode, photo_like


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(
        None, "--folder", help="Where to write the demo pictures (default: BASTION_HOME/demo)."
    ),
) -> None:
    """Generate a few benign synthetic pictures and hash them."""
    target = folder or bastion_home() / "demo" / "images"
    target.mkdir(parents=True, exist_ok=True)
    for seed, (fmt, ext, size) in enumerate(
        [("JPEG", "jpg", (1024, 768)), ("PNG", "png", (800, 600)), ("WEBP", "webp", (640, 480))] * 2
    ):
        (target / f"picture-{seed + 1}.{ext}").write_bytes(encode(photo_like(seed, *size), fmt))
    (target / "not-an-image.jpg").write_bytes(b"this is text, not a picture\n")
    err_console.print(
        f"Generated 7 benign demo files in [bold]{target}[/] (one is deliberately bad)."
    )
    hash_command(
        paths=[target],
        as_json=False,
        mode="fast",
        workers=0,
        dihedral=False,
        max_pixels=200_000_000,
        max_bytes=256 * 1024 * 1024,
    )
