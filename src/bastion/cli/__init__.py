"""The `bastion` command line."""

from bastion.cli import demo, hash, sources  # noqa: F401  (modules register their commands)
from bastion.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
