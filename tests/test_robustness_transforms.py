"""The edits bench/robustness.py measures PDQ against: each does what its name says, on a
generated benign picture, and refuses a strength that makes no sense."""

from __future__ import annotations

import numpy as np
import pytest
from bench import transforms as t
from bench.robustness_corpus import scene
from PIL import Image


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    return scene(7, (200, 100))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_jpeg_round_trip_keeps_size_and_stays_close(picture) -> None:
    out = t.jpeg(picture, 30)
    assert out.size == picture.size
    assert 0 < np.abs(pixels(out) - pixels(picture)).mean() < 20
    with pytest.raises(ValueError, match="quality"):
        t.jpeg(picture, 0)


def test_resize_scales_both_sides(picture) -> None:
    assert t.resize(picture, 0.25).size == (50, 25)
    with pytest.raises(ValueError):
        t.resize(picture, 0)


def test_centre_crop_cuts_half_the_share_from_each_side(picture) -> None:
    out = t.centre_crop(picture, 0.1)
    assert out.size == (180, 90)
    assert (pixels(out) == pixels(picture)[5:95, 10:190]).all()
    with pytest.raises(ValueError, match="crop share"):
        t.centre_crop(picture, 0.95)


def test_side_crop_keeps_the_top_left_corner(picture) -> None:
    out = t.side_crop(picture, 0.1)
    assert out.size == (180, 90)
    assert (pixels(out) == pixels(picture)[:90, :180]).all()


@pytest.mark.parametrize("colour, value", [("black", 0), ("white", 255)])
def test_letterbox_adds_solid_bars_above_and_below(picture, colour, value) -> None:
    out = t.letterbox(picture, 0.2, colour)
    assert out.size == (200, 125)
    top = (125 - 100) // 2
    assert (pixels(out)[:top] == value).all() and (pixels(out)[top + 100 :] == value).all()
    assert (pixels(out)[top : top + 100] == pixels(picture)).all()


def test_blurred_bars_are_smooth_and_pillarbox_goes_sideways(picture) -> None:
    out = t.pillarbox(picture, 0.2, "blurred")
    assert out.size == (250, 100)
    bar = pixels(out)[:, :20]
    assert np.abs(np.diff(bar, axis=1)).mean() < 3  # no detail: a blurred copy
    with pytest.raises(ValueError, match="bar colour"):
        t.letterbox(picture, 0.2, "purple")


def test_quarter_turns_are_exact_and_small_angles_are_cut_upright(picture) -> None:
    assert (pixels(t.rotate(picture, 90)) == np.rot90(pixels(picture))).all()
    small = t.rotate(picture, 5)
    assert small.width < 200 and small.height < 100
    corners = pixels(small)[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.sum(axis=1).min() > 0  # no black corner left by the turn
    with pytest.raises(ValueError, match="45 degrees"):
        t.rotate(picture, 60)


def test_mirror_swaps_left_and_right(picture) -> None:
    assert (pixels(t.mirror(picture)) == pixels(picture)[:, ::-1]).all()


def test_overlay_covers_about_the_share_asked(picture) -> None:
    changed = (pixels(t.overlay(picture, 0.15)) != pixels(picture)).any(axis=2).mean()
    assert 0.10 < changed < 0.18


def test_tone_edits_move_pixels_the_stated_way(picture) -> None:
    mean = pixels(picture).mean()
    assert pixels(t.brightness(picture, 1.3)).mean() > mean
    assert pixels(t.gamma(picture, 1.6)).mean() < mean
    assert pixels(t.contrast(picture, 0.6)).std() < pixels(picture).std()
    grey = pixels(t.greyscale(picture))
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    assert (
        np.abs(np.diff(pixels(t.blur(picture, 0.015)), axis=1)).mean()
        < np.abs(np.diff(pixels(picture), axis=1)).mean()
    )
    with pytest.raises(ValueError, match="gamma"):
        t.gamma(picture, 0)


def test_screenshot_puts_the_picture_inside_a_portrait_frame(picture) -> None:
    out = t.screenshot(picture)
    assert out.height > 2 * out.width
    assert out.width == 360  # the screen is at least a phone's width


def test_the_standard_set_covers_every_family_of_the_issue() -> None:
    families = {x.family for x in t.standard_transforms()}
    assert families >= {
        "jpeg",
        "resize",
        "crop centre",
        "crop one side",
        "letterbox",
        "pillarbox",
        "rotate",
        "rotate small",
        "mirror",
        "overlay",
        "brightness",
        "contrast",
        "gamma",
        "greyscale",
        "blur",
        "screenshot",
    }
