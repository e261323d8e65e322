"""Safe relative paths: every name from an export or an archive passes through here before it is
looked up, so no input can name a file outside its root."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bastion.sources.model import RejectReason

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RejectReason
    detail: str


def normalise(name: str, traversal: RejectReason = RejectReason.PATH_TRAVERSAL) -> str | Refusal:
    """A clean POSIX relative path ("a/b.jpg"), or why the name is refused.

    Backslashes count as separators (a name written on Windows, or crafted to escape there).
    Any ".." component is refused outright rather than resolved: tdesktop never writes one and
    archivers never need one, so its presence is a sign of tampering.
    """
    if not name or "\x00" in name:
        return Refusal(RejectReason.INVALID_NAME, "empty name or NUL byte in the name")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        return Refusal(RejectReason.ABSOLUTE_PATH, f"absolute path {shorten(name)!r}")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if ".." in parts:
        return Refusal(traversal, f"{shorten(name)!r} climbs out of its root with '..'")
    if not parts:
        return Refusal(RejectReason.INVALID_NAME, f"{shorten(name)!r} names no file")
    return "/".join(parts)


def resolve_link(member: str, target: str) -> str | Refusal:
    """The archive member a link entry `member` -> `target` points at, resolved relative to the
    link's own folder; refused when it leaves the archive."""
    return resolve_relative(member, target, RejectReason.LINK_OUTSIDE, "link")


def resolve_relative(
    origin: str, target: str, outside: RejectReason, what: str = "reference"
) -> str | Refusal:
    """`target` written in the file `origin` (both relative to one root), resolved against
    origin's folder; refused when it is absolute or climbs above the root."""
    if not target or "\x00" in target:
        return Refusal(RejectReason.INVALID_NAME, f"{what} in {shorten(origin)!r} is empty")
    unified = target.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        reason = (
            RejectReason.LINK_OUTSIDE
            if outside is RejectReason.LINK_OUTSIDE
            else (RejectReason.ABSOLUTE_PATH)
        )
        return Refusal(reason, f"{what} in {shorten(origin)!r} is absolute: {shorten(target)!r}")
    stack = origin.split("/")[:-1]
    for part in unified.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not stack:
                return Refusal(
                    outside,
                    f"{what} in {shorten(origin)!r} climbs out of its root: {shorten(target)!r}",
                )
            stack.pop()
        else:
            stack.append(part)
    if not stack:
        return Refusal(RejectReason.INVALID_NAME, f"{what} in {shorten(origin)!r} names no file")
    return "/".join(stack)


def shorten(text: str, limit: int = 160) -> str:
    """Names in messages stay readable even when an input is hostile."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
