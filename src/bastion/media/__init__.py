"""Safe decoding of media: sniffing, limits, colour and orientation rules, typed failures.

Video decoding (`bastion.media.video`, FFmpeg through PyAV) is imported on first use.
"""

from bastion.media.errors import (
    REASONS,
    CorruptMedia,
    DecodeTimeout,
    DecompressionBomb,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    TruncatedMedia,
    UnreadableMedia,
    UnsupportedMedia,
)
from bastion.media.image import (
    DEFAULT_LIMITS,
    ORIENTATION_TO_VARIANT,
    ImageInfo,
    Limits,
    decode_luma,
    decode_rgb,
    open_image,
    to_rgb,
)
from bastion.media.sniff import Sniffed, sniff

__all__ = [
    "DEFAULT_LIMITS",
    "ORIENTATION_TO_VARIANT",
    "REASONS",
    "CorruptMedia",
    "DecodeTimeout",
    "DecompressionBomb",
    "EmptyMedia",
    "ImageInfo",
    "Limits",
    "MediaError",
    "MediaTooLarge",
    "Sniffed",
    "TruncatedMedia",
    "UnreadableMedia",
    "UnsupportedMedia",
    "decode_luma",
    "decode_rgb",
    "open_image",
    "sniff",
    "to_rgb",
]
