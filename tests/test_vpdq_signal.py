"""The vpdq signal type: ThreatExchange's text format, parse errors, the registry, hashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion import signals
from bastion.hashing import VideoOptions, hash_bytes, hash_file
from bastion.signals.exact import digests_of_bytes
from bastion.signals.vpdq import VpdqFrame, VpdqHash, VpdqParseError, parse_vpdq
from tests.video_factory import animation, video

HEX = "e271" + "0" * 56 + "055c"


def test_reference_hash_file_round_trips_byte_for_byte(reference: Path) -> None:
    text = (reference / "vpdq" / "expected" / "chair-orig-22-sd-bar.txt").read_text()
    parsed = parse_vpdq(text)
    assert len(parsed) == 673
    assert parsed.frames[1] == VpdqFrame(
        1, 100, "a5ad66b96d58d2491a79f80f07f2c1936fe6083dfb4983d8a4a36db40034df54", 0.033
    )
    assert parsed.to_text() + "\n" == text


def test_timestamp_is_written_with_three_decimals() -> None:
    assert VpdqFrame(30, 99, HEX, 1.0).line() == f"30,99,{HEX},1.000"
    assert VpdqFrame(671, 100, HEX, 22.3667).line().endswith(",22.367")


def test_registry_normalises_a_whole_hash_to_one_value() -> None:
    value = signals.parse("vpdq", f" 0,100,{HEX.upper()},0.0 ;1,90,{HEX},0.0333\n\n")
    assert value == f"0,100,{HEX},0.000\n1,90,{HEX},0.033"
    assert "vpdq" in signals.names()


def test_python_threatexchange_json_form_is_accepted() -> None:
    text = json.dumps([f"{HEX},100,0.000", f"{HEX},40,1.000"])
    assert parse_vpdq(text) == VpdqHash((VpdqFrame(0, 100, HEX, 0.0), VpdqFrame(1, 40, HEX, 1.0)))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"0,100,{HEX}", "expected 4 comma-separated fields, got 3"),
        (f"x,100,{HEX},0.000", "frame number 'x' is not an integer"),
        (f"0,101,{HEX},0.000", "quality 101 is not between 0 and 100"),
        ("0,100,abc,0.000", "PDQ hash must be 64 hexadecimal characters"),
        (f"0,100,{HEX},soon", "timestamp 'soon' is not a number"),
        (f"0,100,{HEX},-1", "timestamp '-1' is not a time >= 0"),
    ],
)
def test_parse_error_names_the_line_and_the_reason(line: str, reason: str) -> None:
    text = f"0,100,{HEX},0.000\n{line.replace('0,', '1,', 1)}"
    with pytest.raises(VpdqParseError, match=f"line 2: {reason}".replace("(", r"\(")) as caught:
        parse_vpdq(text)
    assert caught.value.line == 2


def test_frame_numbers_must_increase() -> None:
    with pytest.raises(VpdqParseError, match="line 2: frame number 0 does not follow 0"):
        parse_vpdq(f"0,100,{HEX},0.000\n0,100,{HEX},0.000")


def test_empty_text_is_not_a_hash() -> None:
    with pytest.raises(VpdqParseError, match="empty"):
        parse_vpdq("  \n")


def test_distance_is_zero_for_the_same_video_and_symmetric(reference: Path) -> None:
    expected = reference / "vpdq" / "expected"
    chair = (expected / "chair-orig-22-sd-bar.txt").read_text()
    logo = (expected / "chair-22-with-small-logo-bar.txt").read_text()
    door = (expected / "doorknob-hd-no-bar.txt").read_text()
    assert signals.distance("vpdq", chair, chair) == 0
    assert signals.distance("vpdq", chair, logo) == signals.distance("vpdq", logo, chair)
    assert signals.distance("vpdq", chair, door) == 100


def test_hash_file_gives_digests_and_vpdq_for_a_video(tmp_path: Path) -> None:
    data = video(seconds=3)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    item = hash_file(path)
    assert item.ok and item.pdq is None
    assert item.digests == digests_of_bytes(data)
    assert [f.number for f in item.vpdq.frames] == [0, 10, 20]
    assert item.video.codec == "h264" and item.video.fps == 10


def test_seconds_per_hash_is_an_option_of_hashing() -> None:
    item = hash_bytes(video(seconds=2), "clip.mp4", video=VideoOptions(seconds_per_hash=0.5))
    assert [f.number for f in item.vpdq.frames] == [0, 5, 10, 15]


def test_cut_video_keeps_its_partial_vpdq_and_reports_truncated() -> None:
    data = video(seconds=4, faststart=True)
    item = hash_bytes(data[: len(data) * 2 // 3], "cut.mp4")
    assert item.failure.reason == "truncated"
    assert item.digests is not None and item.vpdq is not None and len(item.vpdq) >= 1


def test_unsupported_video_file_is_a_failure_value_with_digests() -> None:
    item = hash_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000, "fake.mp4")
    assert item.failure.reason == "corrupt" and "fake.mp4" in item.failure.message
    assert item.digests is not None and item.vpdq is None


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_gets_pdq_of_its_first_frame_and_vpdq(fmt: str) -> None:
    item = hash_bytes(animation(fmt, frames=10), f"a.{fmt.lower()}")
    assert item.ok and item.image.animated
    assert [f.number for f in item.vpdq.frames] == [0, 5]
    assert signals.distance("pdq", item.pdq.hex, item.vpdq.frames[0].pdq) <= 10


def test_still_image_has_no_vpdq() -> None:
    from tests.media_factory import jpeg

    item = hash_bytes(jpeg(), "photo.jpg")
    assert item.ok and item.pdq is not None and item.vpdq is None
