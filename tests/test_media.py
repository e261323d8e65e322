"""The safe decoder: every failure class, every colour rule, orientation, formats."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from bastion.hashing import compute_pdq, hash_bytes, hash_file
from bastion.media import (
    CorruptMedia,
    DecompressionBomb,
    EmptyMedia,
    Limits,
    TruncatedMedia,
    UnsupportedMedia,
    decode_luma,
    decode_rgb,
    sniff,
)
from bastion.media.image import ORIENTATION_TO_VARIANT
from bastion.signals.pdq import DIHEDRAL_NAMES, hamming, pdq_exact
from bastion.synthetic import encode, photo_like
from tests.media_factory import (
    animated_gif,
    cmyk_jpeg,
    grey16_png,
    jpeg,
    palette_with_transparency,
    png_declaring,
)


@pytest.mark.parametrize("decode", [decode_rgb, decode_luma])
def test_zero_bytes_is_empty(decode) -> None:
    with pytest.raises(EmptyMedia, match="empty.jpg: file is empty"):
        decode(b"", "empty.jpg")


@pytest.mark.parametrize("decode", [decode_rgb, decode_luma])
def test_truncated_jpeg_is_truncated(decode) -> None:
    data = jpeg()
    with pytest.raises(TruncatedMedia, match="cut.jpg"):
        decode(data[: len(data) // 2], "cut.jpg")


@pytest.mark.parametrize("decode", [decode_rgb, decode_luma])
def test_tiny_png_declaring_40000_squared_is_a_bomb_rejected_before_decoding(decode) -> None:
    data = png_declaring(40000, 40000)
    assert len(data) < 1000
    with pytest.raises(DecompressionBomb, match="40000x40000"):
        decode(data, "bomb.png")


def test_pixel_limit_is_configurable() -> None:
    data = jpeg(size=(640, 480))
    with pytest.raises(DecompressionBomb, match="640x480"):
        decode_rgb(data, "x.jpg", Limits(max_pixels=640 * 480 - 1))
    rgb, _ = decode_rgb(data, "x.jpg", Limits(max_pixels=640 * 480))
    assert rgb.shape == (480, 640, 3)


@pytest.mark.parametrize("decode", [decode_rgb, decode_luma])
def test_text_named_jpg_is_unsupported_by_content(decode) -> None:
    with pytest.raises(UnsupportedMedia, match="not a recognised image format"):
        decode(b"Dear diary, this is plain text.\n" * 4, "letter.jpg")


def test_garbage_after_a_jpeg_signature_is_corrupt() -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    with pytest.raises((CorruptMedia, TruncatedMedia)):
        decode_rgb(data, "fake.jpg")


def test_video_container_is_sent_to_the_video_hasher() -> None:
    data = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64
    assert sniff(data).kind == "video"
    with pytest.raises(UnsupportedMedia, match="video"):
        decode_rgb(data, "clip.mp4")


def test_file_size_limit_still_digests(tmp_path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(jpeg())
    result = hash_file(path, limits=Limits(max_file_bytes=1000))
    assert result.failure and result.failure.reason == "too_large"
    assert result.digests and result.digests.size == path.stat().st_size
    assert result.pdq is None


def test_missing_file_and_directory_are_unreadable(tmp_path) -> None:
    missing = hash_file(tmp_path / "nope.jpg")
    assert missing.failure and missing.failure.reason == "unreadable"
    assert "no such file" in missing.failure.message
    folder = hash_file(tmp_path)
    assert folder.failure and folder.failure.reason == "unreadable"


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_cmyk_jpeg_hashes_like_the_rgb_picture(mode: str) -> None:
    rgb_hash = compute_pdq(encode(photo_like(1), "PNG"), "rgb.png", mode)[0]
    cmyk_hash, info = compute_pdq(cmyk_jpeg(1), "cmyk.jpg", mode)
    assert info.mode == "CMYK"
    assert hamming(cmyk_hash.hex, rgb_hash.hex) <= 10


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_16_bit_png_is_scaled_to_8_bits_not_clipped(mode: str) -> None:
    png16, png8 = grey16_png(3)
    h16, info = compute_pdq(png16, "g16.png", mode)
    h8, _ = compute_pdq(png8, "g8.png", mode)
    assert info.mode.startswith("I")
    assert h16.quality >= 50
    assert hamming(h16.hex, h8.hex) <= 2


def test_16_bit_png_pixels_are_the_8_bit_values() -> None:
    png16, png8 = grey16_png(4)
    rgb16, _ = decode_rgb(png16, "g16.png")
    rgb8, _ = decode_rgb(png8, "g8.png")
    assert np.array_equal(rgb16, rgb8)


def test_palette_transparency_is_composited_over_black() -> None:
    rgb, info = decode_rgb(palette_with_transparency(), "pal.png")
    assert info.mode == "P"
    assert tuple(rgb[10, 5]) == (0, 0, 0)  # transparent red -> black
    assert tuple(rgb[10, 50]) == (0, 0, 255)  # opaque blue kept


def test_semi_transparent_rgba_is_weighted_over_black() -> None:
    im = Image.new("RGBA", (8, 8), (200, 100, 50, 128))
    rgb, _ = decode_rgb(encode(im, "PNG"), "half.png")
    assert tuple(rgb[0, 0]) == pytest.approx((100, 50, 25), abs=1)


def test_animated_gif_hashes_its_first_frame() -> None:
    data, first = animated_gif(5)
    pdq, info = compute_pdq(data, "anim.gif", "exact")
    assert info.animated
    assert hamming(pdq.hex, pdq_exact(np.asarray(first)).hex) <= 2


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF", "WEBP", "TIFF", "BMP"])
def test_other_formats_decode_and_hash_near_the_original(fmt: str) -> None:
    picture = photo_like(7, 640, 480)
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    data = encode(picture, fmt)
    assert sniff(data[:32]).format == fmt
    reference = pdq_exact(np.asarray(picture)).hex
    for mode in ("exact", "fast"):
        pdq, info = compute_pdq(data, f"x.{fmt.lower()}", mode)
        assert info.format == fmt
        assert hamming(pdq.hex, reference) <= 16, (fmt, mode)


def _with_orientation(upright: Image.Image, orientation: int) -> bytes:
    """Store pixels so that a viewer applying `orientation` shows `upright`."""
    inverse = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    stored = upright.transpose(inverse) if inverse is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, exif=exif)
    return buf.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_each_exif_orientation_maps_to_the_variant_showing_the_upright_picture(
    orientation: int,
) -> None:
    upright = photo_like(11, 600, 400)
    data = _with_orientation(upright, orientation)
    with Image.open(io.BytesIO(data)) as im:
        assert np.asarray(ImageOps.exif_transpose(im)).shape[:2] == (400, 600)
    pdq, info = compute_pdq(data, "o.jpg", "exact")
    assert info.orientation == orientation
    upright_hash = pdq_exact(np.asarray(upright)).hex
    variant = DIHEDRAL_NAMES.index(ORIENTATION_TO_VARIANT[orientation])
    distances = [hamming(h, upright_hash) for h in pdq.dihedral]
    # Derived variants are close to, not equal to, hashes of really rotated pixels
    # (pdq/README.md "Note on Dihedral PDQ Hashes"); the mapped one must be the nearest.
    assert distances[variant] == min(distances) <= 20, distances


def test_broken_exif_does_not_stop_hashing() -> None:
    data = jpeg()
    # An APP1 segment that claims to be EXIF but holds nonsense, inserted after SOI.
    bogus = b"Exif\x00\x00" + b"\xde\xad" * 10
    segment = b"\xff\xe1" + (len(bogus) + 2).to_bytes(2, "big") + bogus
    result = hash_bytes(data[:2] + segment + data[2:], "odd-exif.jpg")
    assert result.ok and result.image and result.image.orientation == 1


def test_error_messages_never_contain_media_bytes() -> None:
    data = jpeg()
    result = hash_bytes(data[: len(data) // 3], "cut.jpg")
    assert result.failure is not None
    assert "\\x" not in result.failure.message
    assert data[100:120].hex() not in result.failure.message
