"""The root `bastion` command. Each command group lives in its own module in this package."""

from __future__ import annotations

import typer
from rich.console import Console

import bastion

app = typer.Typer(
    name="bastion",
    help="Detect, act on, triage and report known child sexual abuse material by hash.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def version_callback(value: bool) -> None:
    if value:
        console.print(f"bastion {bastion.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Bastion recognises only known material, by hashes from hotline lists."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error for the user and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
