"""Opening the store from the command line, with errors a user can act on."""

from __future__ import annotations

from bastion.cli.app import fail
from bastion.store import Store, StoreError


def open_store() -> Store:
    try:
        return Store.open()
    except StoreError as exc:
        raise fail(str(exc)) from None
