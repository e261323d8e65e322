"""The `bastion` command line."""

from bastion.cli import (  # noqa: F401  (modules register their commands)
    assess,
    banks,
    bot,
    demo,
    hash,
    legal,
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
