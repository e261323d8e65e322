"""The one final state every reference in a scan ends in."""

from __future__ import annotations

from enum import StrEnum

from bastion.hashing import MediaHashes


class ItemState(StrEnum):
    MATCHED = "matched"  # hashed, and at least one bank entry matched
    HASHED = "hashed"  # hashed, no match
    MISSING = "missing"  # a placeholder in the export, or a file the export names but lacks
    UNDECODABLE = "undecodable"  # bytes read and digested, but the picture could not be decoded
    TOO_LARGE = "too_large"  # over the export's or Bastion's size limit
    REJECTED = "rejected"  # refused for safety (traversal, link out, archive bomb...)


# Source statuses (bastion.sources.model.ItemStatus) that never reach hashing.
SOURCE_STATES = {
    "not_included": (ItemState.MISSING, "not_included"),
    "unavailable": (ItemState.MISSING, "unavailable"),
    "missing": (ItemState.MISSING, "missing"),
    "too_large": (ItemState.TOO_LARGE, "export_limit"),
    "rejected": (ItemState.REJECTED, None),
}

UNDECODABLE_REASONS = ("empty", "truncated", "corrupt", "bomb", "unreadable", "timeout")


def file_state(hashed: MediaHashes, matched: bool) -> tuple[ItemState, str | None]:
    """The state of a hashed file, and a reason when it is not simply hashed."""
    reason = hashed.failure.reason if hashed.failure else None
    if matched:
        return ItemState.MATCHED, reason
    if reason is None:
        return ItemState.HASHED, None
    if reason == "too_large":
        return ItemState.TOO_LARGE, "bastion_limit"
    if reason == "unsupported":
        # Not media Bastion decodes (a document, an audio file): exact digests only.
        return ItemState.HASHED, "digests_only"
    return ItemState.UNDECODABLE, reason
