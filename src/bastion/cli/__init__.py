"""The `bastion` command line."""

from bastion.cli import (  # noqa: F401  (modules register their commands)
    banks,
    bot,
    demo,
    hash,
    match,
    reports,
    scan,
    serve,
    sources,
    worker,
)
from bastion.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
