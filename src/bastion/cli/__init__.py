"""The `bastion` command line."""

from bastion.cli import banks, demo, hash, match, serve, sources, worker  # noqa: F401  (modules register their commands)
from bastion.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
