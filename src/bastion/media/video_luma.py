"""PDQ's luminance of a decoded video frame, read straight from its Y plane where possible.

The reference vPDQ hasher converts a frame to RGB24 with swscale and PDQ weighs it
0.299 R + 0.587 G + 0.114 B (pdqhashing.cpp). swscale uses the BT.601 matrix unless told
otherwise, so that luma is the Y plane itself, stretched from video range to 0-255.
"""

from __future__ import annotations

import av
import numpy as np

# swscale's video-range YUV -> RGB -> PDQ luma, per 8-bit Y value: (Y - 16) * 255 / 219,
# clipped as the RGB channels are.
_VIDEO_RANGE = np.clip((np.arange(256, dtype=np.float32) - 16) * (255 / 219), 0, 255).astype(
    np.float32
)
_FULL_RANGE = np.arange(256, dtype=np.float32)
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # pdqhashing.cpp
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def pdq_luma(frame: av.VideoFrame) -> np.ndarray:
    """PDQ's luminance (0.299 R + 0.587 G + 0.114 B of the frame as RGB24) as float32."""
    fmt = frame.format
    name = fmt.name
    planar_yuv = name.startswith(("yuv", "nv12", "nv21")) and not fmt.is_rgb
    full = name.startswith("yuvj") or frame.color_range == _JPEG_RANGE
    if planar_yuv or name == "gray":
        plane = frame.planes[0]
        bits = fmt.components[0].bits
        if bits == 8:
            y = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
            table = _FULL_RANGE if (full or name == "gray") else _VIDEO_RANGE
            return table[y[:, : frame.width]]
        if name.endswith("le") and bits <= 16:
            y16 = np.frombuffer(plane, "<u2").reshape(frame.height, plane.line_size // 2)
            y = y16[:, : frame.width].astype(np.float32) / (1 << (bits - 8))
            if not full:
                y = (y - 16) * (255 / 219)
            return np.clip(y, 0, 255)
    rgb = frame.to_ndarray(format="rgb24")
    return rgb.astype(np.float32) @ _LUMA_WEIGHTS
