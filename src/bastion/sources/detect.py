"""Pick the right source for a path: folder, zip/tar archive, Telegram JSON or HTML export."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path
from typing import Literal

from bastion.sources.archive import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, TarTree, ZipTree
from bastion.sources.errors import SourceNotFound, UnsupportedSource
from bastion.sources.model import ItemStatus
from bastion.sources.source import Source, TreeSource
from bastion.sources.telegram_html import TelegramHtmlSource
from bastion.sources.telegram_json import TelegramJsonSource
from bastion.sources.tree import FolderTree, Tree

Layout = Literal["auto", "files", "json", "html"]
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_MAIN_FILES = {"result.json": "json", "messages.html": "html", "export_results.html": "html"}


def open_source(
    path: str | os.PathLike[str],
    layout: Layout = "auto",
    limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    include_unreferenced: bool = True,
) -> Source:
    """Open `path` as the source it is.

    - a folder holding result.json is a Telegram JSON export (JSON wins in a "Both" export); one
      holding messages.html or export_results.html is an HTML export; any other folder is a
      folder of files;
    - result.json, messages.html or export_results.html themselves open their export folder;
    - a .zip or tar archive is read in place; an export at its root or in its single top-level
      folder (DataExport_2024-03-06/result.json) is read as that export.
    `layout` forces a reading: "files" (every file, no Telegram context), "json" or "html".
    """
    target = Path(path)
    if not target.exists():
        raise SourceNotFound(str(path), "no such file or folder")
    if target.is_file() and target.name in _MAIN_FILES:
        if layout == "auto":
            layout = _MAIN_FILES[target.name]  # type: ignore[assignment]
        target = target.parent
    if target.is_dir():
        tree: Tree = FolderTree(target)
        kind = "folder"
        found = _export_in(tree, deep=False)
    elif _is_zip(target):
        tree, kind = ZipTree(target, limits), "zip"
        found = _export_in(tree, deep=True)
    elif _is_tar(target):
        tree, kind = TarTree(target, limits), "tar"
        found = _export_in(tree, deep=True)
    else:
        raise UnsupportedSource(str(path), "not a folder or a readable archive")
    try:
        return _choose(tree, kind, found, layout, include_unreferenced)
    except Exception:
        tree.close()
        raise


def _choose(
    tree: Tree, kind: str, found: dict[str, str], layout: Layout, include_unreferenced: bool
) -> Source:
    if layout == "auto":
        layout = "json" if "json" in found else "html" if "html" in found else "files"
    if layout == "files":
        return TreeSource(tree, kind)
    if layout not in found:
        raise UnsupportedSource(tree.location, f"no Telegram {layout.upper()} export found here")
    base = found[layout]
    if layout == "json":
        return TelegramJsonSource(tree, base, include_unreferenced)
    return TelegramHtmlSource(tree, base, include_unreferenced)


def _export_in(tree: Tree, deep: bool) -> dict[str, str]:
    """{"json": base, "html": base} for the exports found at the root (or, when `deep`, in the
    single top-level folder holding one)."""
    found: dict[str, str] = {}
    for name, layout in _MAIN_FILES.items():
        if layout not in found and tree.lookup(name).status is ItemStatus.AVAILABLE:
            found[layout] = ""
    if found or not deep:
        return found
    candidates: dict[str, set[str]] = {"json": set(), "html": set()}
    for entry in tree.entries():
        if entry.path is None or entry.status is not ItemStatus.AVAILABLE:
            continue
        parts = entry.path.split("/")
        if len(parts) == 2 and parts[1] in _MAIN_FILES:
            candidates[_MAIN_FILES[parts[1]]].add(parts[0])
    return {layout: next(iter(bases)) for layout, bases in candidates.items() if len(bases) == 1}


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _is_tar(path: Path) -> bool:
    if path.name.lower().endswith(_TAR_SUFFIXES):
        return True
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError):
        return False
