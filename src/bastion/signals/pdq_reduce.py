"""The reference's blur-and-decimate step as one linear operator, applied at reduced size.

The reference PDQ (pdq/cpp/hashing/pdqhashing.cpp, downscaling.cpp) turns an H x W luminance
plane into a 64 x 64 buffer by running a centred box filter twice along rows and twice along
columns (window ceil(n / 128), a tent filter with shrinking windows at the edges) and then
sampling cell centres floor((i + 0.5) * n / 64). Every step is linear and separable, so the
whole thing is `Ay @ Y @ Ax.T` with two 64 x n matrices we can build once per dimension.

Decoding at full resolution and blurring there is what makes PDQ slow (about 40 ms for a
1024 x 768 image, 0.6 s for a 12-megapixel photo). Instead we decode at 1/k of the size
(JPEG DCT scaling or a box reduction, both close to area averaging) and fold the mapping from
reduced to full-resolution coordinates (linear interpolation at pixel centres) into the
operator: `A' = A @ U`. The filter the reference applies is wide (a tent of n/64 pixels), so
the reduced image carries everything it keeps.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

PDQ_BUFFER = 64


def jarosz_window(n: int) -> int:
    """computeJaroszFilterWindowSize(n, 64) = ceil(n / 128) (downscaling.cpp)."""
    return (n + 2 * PDQ_BUFFER - 1) // (2 * PDQ_BUFFER)


def _box_spans(n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive input span [lo, hi] averaged into each output of the reference's box1DFloat.

    box1DFloat centres the window with half = (window + 2) // 2 samples ahead, and shrinks
    it at both ends (dividing by the number of samples actually summed).
    """
    half = (window + 2) // 2
    out = np.arange(n)
    lo = np.maximum(0, out - (window - half))
    hi = np.minimum(n - 1, out + half - 1)
    return lo, hi


@lru_cache(maxsize=128)
def full_resolution_operator(n: int) -> np.ndarray:
    """64 x n matrix: decimate(box(box(.))) along one axis of length n, as the reference does."""
    window = jarosz_window(n)
    lo, hi = _box_spans(n, window)
    op = np.zeros((PDQ_BUFFER, n), dtype=np.float64)
    for row in range(PDQ_BUFFER):
        centre = int((row + 0.5) * n / PDQ_BUFFER)
        first = np.zeros(n, dtype=np.float64)
        first[lo[centre] : hi[centre] + 1] = 1.0 / (hi[centre] - lo[centre] + 1)
        for k in range(lo[centre], hi[centre] + 1):
            op[row, lo[k] : hi[k] + 1] += first[k] / (hi[k] - lo[k] + 1)
    op.flags.writeable = False
    return op


@lru_cache(maxsize=256)
def reduced_operator(n: int, m: int, scale: float) -> np.ndarray:
    """64 x m matrix for an axis of full length n decoded to m samples at 1/scale."""
    full = full_resolution_operator(n)
    if m == n and scale == 1.0:
        op = full.astype(np.float32)
    else:
        # Full-resolution pixel x (centre x + 0.5) sits at reduced coordinate (x + 0.5) / scale.
        x = np.clip((np.arange(n) + 0.5) / scale - 0.5, 0.0, m - 1)
        left = np.floor(x).astype(np.intp)
        right = np.minimum(left + 1, m - 1)
        t = x - left
        reduced = np.zeros((PDQ_BUFFER, m), dtype=np.float64)
        for row in range(PDQ_BUFFER):
            np.add.at(reduced[row], left, full[row] * (1.0 - t))
            np.add.at(reduced[row], right, full[row] * t)
        op = reduced.astype(np.float32)
    op.flags.writeable = False
    return op


def buffer64_from_luma(
    luma: np.ndarray, full_size: tuple[int, int], scale: tuple[float, float] = (1.0, 1.0)
) -> np.ndarray:
    """The reference's 64x64 buffer for a full_size (width, height) image given its luma plane
    decoded at reduced size (scale = full / reduced along x and y)."""
    width, height = full_size
    rows, cols = luma.shape
    ay = reduced_operator(height, rows, float(scale[1]))
    ax = reduced_operator(width, cols, float(scale[0]))
    plane = luma if luma.dtype == np.float32 else luma.astype(np.float32)
    return (ay @ plane) @ ax.T
