"""Recognise a file's format from its first bytes, never from its name.

Only formats on this list reach a decoder: Pillow supports dozens more (EPS would even start
Ghostscript), and a hostile file named .jpg must not pick its own parser.
"""

from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 64

# ISO base media brands (ftyp box): HEIF still images vs AVIF vs video containers.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
# QuickTime files from old cameras start straight with one of these atoms, without ftyp.
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str  # "image", "video" or "unknown"
    format: str  # Pillow format name for images ("JPEG", "PNG"...), container for video

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


UNKNOWN = Sniffed("unknown", "unknown")


def sniff(head: bytes) -> Sniffed:
    """Classify media from at least its first SNIFF_BYTES bytes."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "GIF")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "WEBP")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi")
    if head[:2] == b"BM" and len(head) >= 14:
        return Sniffed("image", "BMP")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "TIFF")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return Sniffed("image", "AVIF")
        if brand in _HEIF_BRANDS:
            return Sniffed("image", "HEIF")
        return Sniffed("video", "mov" if brand == b"qt  " else "mp4")
    if head[4:8] in _QUICKTIME_ATOMS:
        return Sniffed("video", "mov")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names its DocType ("webm" or "matroska") within the first bytes.
        return Sniffed("video", "webm" if b"webm" in head else "matroska")
    if head.startswith(b"FLV\x01"):
        return Sniffed("video", "flv")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed("video", "mpeg")
    return UNKNOWN
