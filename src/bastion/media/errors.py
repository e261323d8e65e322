"""Typed decode failures. Each carries a stable `reason` code (counted in summaries, stored in
journals) and a message that names the input and says what to do. Messages never contain
media bytes."""

from __future__ import annotations

from typing import ClassVar


class MediaError(Exception):
    reason: ClassVar[str] = "undecodable"
    advice: ClassVar[str] = ""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        message = f"{source}: {detail}"
        if self.advice:
            message += f" ({self.advice})"
        super().__init__(message)


class EmptyMedia(MediaError):
    reason = "empty"
    advice = "the file has no content; check that it was copied or downloaded completely"


class TruncatedMedia(MediaError):
    reason = "truncated"
    # A cut video still yields the hashes of the frames before the cut (set by the hasher).
    partial: object | None = None
    advice = "the file ends early; re-acquire it if possible (exact digests were still computed)"


class CorruptMedia(MediaError):
    reason = "corrupt"
    advice = "the data does not decode as its format says it should"


class UnsupportedMedia(MediaError):
    reason = "unsupported"
    advice = (
        "exact digests were still computed; perceptual hashing needs a supported image or "
        "video format"
    )


class MediaTooLarge(MediaError):
    reason = "too_large"
    advice = (
        "raise the file-size limit if this file is expected (exact digests were still computed)"
    )


class DecompressionBomb(MediaError):
    reason = "bomb"
    advice = "the declared dimensions exceed the pixel limit; raise it only for trusted input"


class UnreadableMedia(MediaError):
    reason = "unreadable"
    advice = "check the path and its permissions"


class DecodeTimeout(MediaError):
    reason = "timeout"
    advice = (
        "decoding took longer than the per-file time limit; raise it for long videos "
        "(exact digests were still computed)"
    )


REASONS: tuple[str, ...] = tuple(
    cls.reason
    for cls in (
        EmptyMedia,
        TruncatedMedia,
        CorruptMedia,
        UnsupportedMedia,
        MediaTooLarge,
        DecompressionBomb,
        UnreadableMedia,
        DecodeTimeout,
    )
)
