"""Where Bastion keeps its data, from the environment."""

from __future__ import annotations

import os
from pathlib import Path


def bastion_home() -> Path:
    """BASTION_HOME, or the XDG data folder (~/.local/share/bastion)."""
    explicit = os.environ.get("BASTION_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "bastion"
