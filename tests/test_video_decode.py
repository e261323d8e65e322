"""The video decoder: the reference's sampling rule, the frame-skipping path agreeing with
decoding every frame, inputs, limits and every failure as a typed error."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bastion.media import (
    CorruptMedia,
    DecodeTimeout,
    DecompressionBomb,
    EmptyMedia,
    MediaTooLarge,
    TruncatedMedia,
    UnreadableMedia,
    UnsupportedMedia,
)
from bastion.media.video import VideoLimits, frame_step, open_video
from bastion.signals.vpdq import hash_video
from tests.media_factory import jpeg
from tests.video_factory import animation, video

B_FRAMES = {"x264-params": "bframes=3:b-pyramid=normal:keyint=25"}
OPEN_GOP = {"x264-params": "bframes=3:open-gop=1:keyint=12:scenecut=0"}


def _sampled(data: bytes, seconds_per_hash: float, **kwargs) -> list[tuple[int, float]]:
    with open_video(data, "clip.mp4", **kwargs) as v:
        return [(f.number, f.timestamp) for f in v.frames(seconds_per_hash)]


def _every_frame_path(data: bytes, seconds_per_hash: float) -> list[tuple[int, np.ndarray]]:
    from bastion.media.video_decoder import Decoder

    with open_video(data, "clip.mp4") as v:
        decoder = Decoder(v, frame_step(seconds_per_hash, v.info.fps))
        return [(f.number, f.luma) for f in decoder.every_frame()]


def _frames(data: bytes, seconds_per_hash: float) -> list[tuple[int, np.ndarray]]:
    with open_video(data, "clip.mp4") as v:
        return [(f.number, f.luma) for f in v.frames(seconds_per_hash)]


def test_frame_step_follows_the_reference_rule() -> None:
    assert frame_step(1.0, 30.0) == 30
    assert frame_step(1.0, 29.97) == 29
    assert frame_step(0.0, 30.0) == 1
    assert frame_step(1.0, 0.5) == 1  # never zero


def test_one_frame_per_second_is_every_fps_th_frame_with_its_timestamp() -> None:
    assert _sampled(video(seconds=3, fps=10), 1.0) == [(0, 0.0), (10, 1.0), (20, 2.0)]


def test_zero_seconds_per_hash_hashes_every_frame() -> None:
    assert [n for n, _ in _sampled(video(seconds=1, fps=10), 0.0)] == list(range(10))


@pytest.mark.parametrize("options", [B_FRAMES, OPEN_GOP], ids=["b-pyramid", "open-gop"])
@pytest.mark.parametrize("seconds_per_hash", [1.0, 0.3])
def test_skipping_decoder_returns_exactly_what_decoding_every_frame_returns(
    options: dict[str, str], seconds_per_hash: float
) -> None:
    data = video(seconds=6, fps=10, options=options)
    fast = _frames(data, seconds_per_hash)
    full = _every_frame_path(data, seconds_per_hash)
    assert [n for n, _ in fast] == [n for n, _ in full]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(fast, full, strict=True))


def test_skipping_decoder_leaves_frames_undecoded() -> None:
    with open_video(video(seconds=6, fps=10, options=B_FRAMES), "clip.mp4") as v:
        list(v.frames(1.0))
        assert v.stats.mode == "timestamped"
        assert v.stats.packets_dropped > 0
        assert v.stats.frames_seen == 60


def test_vp9_webm_like_a_video_sticker_decodes_and_skips_faithfully() -> None:
    data = video(seconds=3, fps=10, codec="libvpx-vp9", container="webm")
    fast = _frames(data, 1.0)
    full = _every_frame_path(data, 1.0)
    assert [n for n, _ in fast] == [0, 10, 20] == [n for n, _ in full]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(fast, full, strict=True))


def test_bytes_path_and_stream_give_the_same_hash(tmp_path: Path) -> None:
    data = video(seconds=2)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    from_bytes = hash_video(data, "clip.mp4")
    assert hash_video(path) == from_bytes
    assert hash_video(io.BytesIO(data), "clip.mp4") == from_bytes


def test_luma_is_pdq_luminance_of_the_frame() -> None:
    grey = np.full((120, 160, 3), 128, dtype=np.uint8)
    data = video(seconds=1, still=grey, still_between=(0, 1), options={"crf": "0"})
    (_, luma), *_ = _frames(data, 1.0)
    assert luma.shape == (120, 160) and luma.dtype == np.float32
    assert abs(float(luma.mean()) - 128) < 2


def test_empty_file_is_empty() -> None:
    with pytest.raises(EmptyMedia, match="nothing.mp4: file is empty"):
        hash_video(b"", "nothing.mp4")


def test_missing_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableMedia, match="no such file"):
        hash_video(tmp_path / "gone.mp4")


def test_cut_video_is_truncated_and_keeps_the_frames_before_the_cut() -> None:
    data = video(seconds=6, fps=10, faststart=True)
    with pytest.raises(TruncatedMedia, match="cut.mp4") as caught:
        hash_video(data[: len(data) // 2], "cut.mp4")
    partial = caught.value.partial
    assert partial is not None and 0 < len(partial) < 6
    assert partial.frames == hash_video(data, "whole.mp4").frames[: len(partial)]


def test_video_cut_before_its_index_is_truncated() -> None:
    data = video(seconds=2)
    with pytest.raises(TruncatedMedia, match="cut.mp4"):
        hash_video(data[:200], "cut.mp4")


def test_garbage_after_a_video_header_is_corrupt() -> None:
    data = bytearray(video(seconds=2, faststart=True))
    start = data.find(b"mdat") + 8
    rng = np.random.default_rng(0)
    data[start:] = rng.integers(0, 256, len(data) - start, dtype=np.uint8).tobytes()
    with pytest.raises(CorruptMedia, match="noise.mp4"):
        hash_video(bytes(data), "noise.mp4")


def test_text_file_is_not_a_video() -> None:
    with pytest.raises(UnsupportedMedia, match="notes.mp4: not a recognised video format"):
        hash_video(b"just some text\n" * 50, "notes.mp4")


def test_still_image_is_sent_to_the_image_hasher() -> None:
    with pytest.raises(UnsupportedMedia, match="image hasher"):
        hash_video(jpeg(), "photo.jpg")


def test_frames_over_the_pixel_limit_are_refused_before_decoding() -> None:
    with pytest.raises(DecompressionBomb, match="160x120"):
        hash_video(video(seconds=1), "big.mp4", limits=VideoLimits(max_pixels=160 * 120 - 1))


def test_long_video_within_the_duration_limit_is_hashed() -> None:
    data = video(seconds=60, fps=5, size=(64, 48))
    result = hash_video(data, "long.mp4", limits=VideoLimits(max_duration_s=61))
    assert [f.number for f in result.frames] == list(range(0, 300, 5))


def test_video_over_the_duration_limit_is_too_large() -> None:
    data = video(seconds=60, fps=5, size=(64, 48))
    with pytest.raises(MediaTooLarge, match="long.mp4: lasts 60 s, over the 30-second limit"):
        hash_video(data, "long.mp4", limits=VideoLimits(max_duration_s=30))


def test_decoding_past_the_time_limit_is_a_timeout() -> None:
    with pytest.raises(DecodeTimeout, match="slow.mp4"):
        hash_video(video(seconds=2), "slow.mp4", limits=VideoLimits(max_decode_s=1e-9))


def test_file_over_the_size_limit_is_too_large() -> None:
    data = video(seconds=1)
    with pytest.raises(MediaTooLarge, match="bytes exceeds"):
        hash_video(data, "big.mp4", limits=VideoLimits(max_file_bytes=len(data) - 1))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animations_go_through_the_frame_path(fmt: str) -> None:
    data = animation(fmt, frames=6)  # 200 ms per frame: 5 frames per second
    with open_video(data, f"a.{fmt.lower()}") as v:
        assert v.info.fps == pytest.approx(5.0)
        frames = list(v.frames(0.0))
    assert [f.number for f in frames] == list(range(6))
    assert frames[5].timestamp == pytest.approx(1.0)
    assert _sampled(data, 1.0) == [(0, 0.0), (5, 1.0)]


@pytest.mark.parametrize(
    ("container", "codec", "sniffed"),
    [
        ("mp4", "libx264", "mp4"),
        ("mov", "libx264", "mov"),
        ("matroska", "libx264", "matroska"),
        ("webm", "libvpx-vp9", "webm"),
        ("avi", "mpeg4", "avi"),
    ],
)
def test_video_containers_are_sniffed_by_content_and_decoded(
    container: str, codec: str, sniffed: str
) -> None:
    from bastion.media.sniff import SNIFF_BYTES, sniff

    data = video(seconds=2, codec=codec, container=container)
    assert sniff(data[:SNIFF_BYTES]).format == sniffed
    assert [f.number for f in hash_video(data, f"clip.{container}").frames] == [0, 10]


def test_folder_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableMedia, match="is a directory"):
        hash_video(tmp_path)


def test_unseekable_stream_is_unreadable() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def seek(self, *args: object) -> int:
            raise io.UnsupportedOperation("seek")

        def tell(self) -> int:
            raise io.UnsupportedOperation("tell")

    with pytest.raises(UnreadableMedia, match="not seekable"):
        hash_video(Pipe(), "pipe")


def _one_picture(codec: str, pix_fmt: str, options: dict[str, str] | None = None) -> bytes:
    """Ten frames of one benign picture, encoded with `codec` in `pix_fmt`."""
    import av

    from bastion.synthetic import photo_like

    picture = np.asarray(photo_like(3, 160, 120))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, pix_fmt
        stream.options = options or {}
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "options"),
    [
        ("libx265", "yuv420p10le", {"x265-params": "log-level=none"}),  # 10-bit HEVC
        ("mjpeg", "yuvj420p", {}),  # full-range YUV
    ],
    ids=["hevc-10bit", "mjpeg-full-range"],
)
def test_other_bit_depths_and_ranges_hash_like_8_bit_video_range(
    codec: str, pix_fmt: str, options: dict[str, str]
) -> None:
    from bastion.signals.pdq import hamming

    reference = hash_video(_one_picture("libx264", "yuv420p", {"crf": "10"}), "8bit.mkv")
    other = hash_video(_one_picture(codec, pix_fmt, options), f"{codec}.mkv")
    assert hamming(reference.frames[0].pdq, other.frames[0].pdq) <= 8
    assert abs(reference.frames[0].quality - other.frames[0].quality) <= 3


def test_variable_frame_rate_is_numbered_as_the_decoder_shows_frames() -> None:
    import av

    from bastion.synthetic import photo_like

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"x264-params": "bframes=3:keyint=20"}
        pts = 0
        for k in range(90):
            frame = av.VideoFrame.from_ndarray(np.asarray(photo_like(k, 96, 64)), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            pts += 20 if k % 3 else 55  # irregular gaps, as phones record
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = buffer.getvalue()
    fast = _frames(data, 0.5)
    full = _every_frame_path(data, 0.5)
    assert [n for n, _ in fast] == [n for n, _ in full]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(fast, full, strict=True))
