"""The `bastion` command line."""

from bastion.cli import banks, bot, demo, hash, match, serve  # noqa: F401  (modules register their commands)
from bastion.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
