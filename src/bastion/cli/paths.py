"""Show many paths compactly: relative to the folder they share."""

from __future__ import annotations

import os
from collections.abc import Sequence


def common_folder(paths: Sequence[str]) -> str:
    """The deepest folder holding every path ('' when they share none or there is one)."""
    real = [p for p in paths if os.path.sep in p or os.path.exists(p)]
    if len(real) < 2:
        return ""
    try:
        common = os.path.commonpath(real)
    except ValueError:
        return ""
    if common and os.path.isfile(common):
        common = os.path.dirname(common)
    return common


def shown(path: str, common: str) -> str:
    if common and (path == common or path.startswith(common.rstrip(os.path.sep) + os.path.sep)):
        return os.path.relpath(path, common)
    return path
