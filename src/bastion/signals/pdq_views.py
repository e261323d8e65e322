"""Query-side views of a picture: extra PDQ hashes that catch copies plain PDQ misses.

Known pictures are re-shared altered. Hotline lists hold one PDQ hash of the original, so any
robustness has to come from the query side: Bastion hashes a few *views* of the picture it is
asked about and searches each of them at the bank's threshold. Measured on benign images
(bench/robustness.py, docs/robustness.md):

* the 8 dihedral variants of the plain hash (free: the same DCT) catch rotations by 90
  degrees and mirrors, which plain PDQ never matches;
* `trimmed`: the hash of the content rectangle once uniform or blurred bars and screenshot
  frames are cut away (`content_box`); a letterboxed copy shares no framing with the original,
  so plain PDQ misses every one;
* `zoom-out`: the picture padded back out on every side with its mirrored edge
  (`zoom_out`), so that a copy cropped by a few percent is framed roughly as the original was
  before PDQ's 64x64 downsample; plain PDQ misses nearly every crop beyond 3 percent.

Views never leave the process: hotline lists and the store keep plain PDQ, so nothing changes
for exchange or persistence. Everything here is pure and works on a luminance plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from bastion.signals.pdq import DIHEDRAL_NAMES, MIN_HASHABLE_DIM, PdqHash, pdq_from_luma

TRIMMED = "trimmed"
ZOOM_OUT = "zoom-out"
ZOOM_OUT_WIDE = "zoom-out-wide"
VIEW_NAMES: tuple[str, ...] = (*DIHEDRAL_NAMES, TRIMMED, ZOOM_OUT, ZOOM_OUT_WIDE)
MAX_VIEWS = 10

# How a row or column of a border looks: nearly every pixel differs from its neighbour by
# less than FLAT_STEP grey levels (a solid or a strongly blurred bar, after JPEG), or nearly
# every pixel sits within FLAT_STEP of the line's median (a solid bar carrying a few icons or
# a line of status text, as in a screenshot's frame).
FLAT_STEP = 3.0
FLAT_SHARE = 0.93
# A cut smaller than this share of a side is ignored (JPEG edge noise, a one-pixel frame);
# a content box smaller than this share of a side is not trusted (a mostly flat picture).
MIN_BORDER = 0.02
MIN_CONTENT = 0.25
MIN_DETAIL_RUN = 0.03
# The zoom-outs pad this share of the width (height) on each side: ZOOM_PAD frames a centre
# crop of about 5% (2.5% a side) back near where the original's 64x64 cells were, ZOOM_PAD_WIDE
# one of about 10%. Chosen by measurement (bench/robustness.py), not by theory.
ZOOM_PAD = 0.03
ZOOM_PAD_WIDE = 0.055


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle of a plane, rows [top, bottom) and columns [left, right)."""

    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True, slots=True)
class PdqView:
    """One view of a picture: `name` (a dihedral variant, `trimmed`, `zoom-out` or
    `zoom-out-wide`), the PDQ `hex` to search for it, and that hash's `quality` (matching
    skips a view below 50, as it skips any PDQ hash)."""

    name: str
    hex: str
    quality: int


def _flat_lines(plane: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `plane`: is it solid (nearly every pixel within FLAT_STEP of the row's
    median: a bar, perhaps with a few icons) and is it smooth (nearly every second difference
    below FLAT_STEP: a blurred bar, which may climb steeply but never bends sharply)?"""
    # The median of 64-odd samples a line is as good a "bar colour" and 8x cheaper.
    median = np.median(plane[:, :: max(1, plane.shape[1] // 64)], axis=1)
    solid, smooth = _line_shares(
        np.ascontiguousarray(plane, dtype=np.float32), median.astype(np.float32)
    )
    return solid, solid | smooth


@nb.njit(cache=True, nogil=True)
def _line_shares(plane: np.ndarray, median: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One pass over each row counting what `_flat_lines` tests, in the same float32
    arithmetic as numpy's `abs(plane - median)` and `diff(plane, n=2)` (a whole-plane numpy
    version took about 2 ms of a 640x480 picture's 8)."""
    rows, cols = plane.shape
    solid = np.zeros(rows, dtype=np.bool_)
    smooth = np.zeros(rows, dtype=np.bool_)
    step = np.float32(FLAT_STEP)
    for r in range(rows):
        line = plane[r]
        level = median[r]
        near = 0
        for c in range(cols):
            if abs(line[c] - level) < step:
                near += 1
        solid[r] = near / cols >= FLAT_SHARE
        if cols > 2:
            calm = 0
            for c in range(cols - 2):
                first = line[c + 1] - line[c]
                second = line[c + 2] - line[c + 1]
                if abs(second - first) < step:
                    calm += 1
            smooth[r] = calm / (cols - 2) >= FLAT_SHARE
    return solid, smooth


def _edge(plane: np.ndarray, depth: int) -> int:
    """The depth moved to the strongest change between neighbouring lines nearby: JPEG rings
    a line or two either side of a bar's edge, and a line off moves the hash several bits."""
    reach = max(2, round(len(plane) * 0.01))
    lo, hi = max(1, depth - reach), min(len(plane) - 1, depth + reach)
    if lo > hi:
        return depth
    change = np.abs(plane[lo : hi + 1] - plane[lo - 1 : hi]).mean(axis=1)
    return lo + int(np.argmax(change))


def _depth(plane: np.ndarray, solid: np.ndarray, flat: np.ndarray) -> int:
    """How many lines at the start of `plane` are border. Solid bars are trusted first (they
    stop exactly at the picture); only without them are blurred bars looked for, since a
    picture's own smooth sky or wall looks like one."""
    depth = _border_depth(solid)
    if depth < MIN_BORDER * len(plane):
        depth = _border_depth(flat)
    return _edge(plane, depth) if depth >= MIN_BORDER * len(plane) else 0


def _span(plane: np.ndarray) -> tuple[int, int]:
    """The first and last-plus-one lines of `plane` that are picture, not border."""
    solid, flat = _flat_lines(plane)
    start = _depth(plane, solid, flat)
    end = len(plane) - _depth(plane[::-1], solid[::-1], flat[::-1])
    return start, end


def _border_depth(flat: np.ndarray) -> int:
    """Where the picture starts: the first run of MIN_DETAIL_RUN (share of the side) lines
    that are not flat. Thinner detail nearer the edge (a status bar's clock and icons, a
    caption line) is part of the frame."""
    run = max(2, round(len(flat) * MIN_DETAIL_RUN))
    detail = (~flat).astype(np.int32)
    if len(detail) < run:
        return 0
    full = np.flatnonzero(np.convolve(detail, np.ones(run, dtype=np.int32), "valid") == run)
    return int(full[0]) if full.size else len(flat)


def content_box(luma: np.ndarray) -> Box | None:
    """The picture inside bars or a frame, or None when there is no border worth cutting.

    Rows are tested first (letterbox, status and navigation bars), then columns within the
    remaining rows (pillarbox, side margins), so a frame on all four sides is found.
    """
    plane = np.asarray(luma, dtype=np.float32)
    rows, cols = plane.shape
    if rows < MIN_HASHABLE_DIM or cols < MIN_HASHABLE_DIM:
        return None
    top, bottom = _span(plane)
    if bottom - top < MIN_CONTENT * rows:
        return None
    left, right = _span(np.ascontiguousarray(plane[top:bottom].T))
    if right - left < MIN_CONTENT * cols:
        return None
    cut_rows = max(top, rows - bottom) >= MIN_BORDER * rows
    cut_cols = max(left, cols - right) >= MIN_BORDER * cols
    if not (cut_rows or cut_cols):
        return None
    return Box(top, bottom, left, right)


def zoom_out(luma: np.ndarray, pad: float = ZOOM_PAD) -> np.ndarray:
    """The plane with `pad` of its width (height) added on the left and right (top and
    bottom), repeating the edge pixels: a guess at what a crop cut away that puts the crop's
    content back where the original's framing had it. (Measured: repeating the edge beats
    mirroring it, 0.80 against 0.60 recall on 5% crops at a 4% pad.)"""
    if not 0 < pad < 0.5:
        raise ValueError(f"zoom-out pad must be between 0 and 0.5 of a side, got {pad}")
    plane = np.asarray(luma, dtype=np.float32)
    rows, cols = plane.shape
    dy = max(1, round(rows * pad))
    dx = max(1, round(cols * pad))
    return np.pad(plane, ((dy, dy), (dx, dx)), mode="edge")


def _hash_plane(plane: np.ndarray, scale: tuple[float, float]) -> PdqHash:
    """PDQ of a (cut or padded) reduced plane standing for a picture `scale` times larger."""
    rows, cols = plane.shape
    full = (max(cols, round(cols * scale[0])), max(rows, round(rows * scale[1])))
    return pdq_from_luma(plane, full, scale)


def views_of_luma(
    luma: np.ndarray,
    plain: PdqHash,
    scale: tuple[float, float] = (1.0, 1.0),
) -> tuple[PdqView, ...]:
    """Every view Bastion searches for a picture, at most MAX_VIEWS lookups: the 8 dihedral
    variants of `plain` (the hash already computed for the whole picture); then, when a border
    was found, `trimmed` and `zoom-out` of the trimmed content (a letterboxed copy is seldom
    also cropped); otherwise `zoom-out` and `zoom-out-wide` of the whole picture."""
    views = [
        PdqView(name, hex_, plain.quality)
        for name, hex_ in zip(DIHEDRAL_NAMES, plain.dihedral, strict=False)
    ]
    plane = np.asarray(luma, dtype=np.float32)
    if min(plane.shape) < MIN_HASHABLE_DIM:
        return tuple(views)
    box = content_box(plane)
    if box is not None:
        plane = plane[box.top : box.bottom, box.left : box.right]
        views.append(_view(TRIMMED, plane, scale))
        views.append(_view(ZOOM_OUT, zoom_out(plane, ZOOM_PAD), scale))
    else:
        views.append(_view(ZOOM_OUT, zoom_out(plane, ZOOM_PAD), scale))
        views.append(_view(ZOOM_OUT_WIDE, zoom_out(plane, ZOOM_PAD_WIDE), scale))
    return tuple(views)


def _view(name: str, plane: np.ndarray, scale: tuple[float, float]) -> PdqView:
    hashed = _hash_plane(plane, scale)
    return PdqView(name, hashed.hex, hashed.quality)
