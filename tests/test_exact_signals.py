"""md5, sha1 and sha256: known vectors, parsing, streaming in bounded memory."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion import signals
from bastion.signals import SignalParseError, UnknownSignalType
from bastion.signals.exact import digests_of_bytes, digests_of_stream


def test_known_digests_of_empty_input() -> None:
    d = digests_of_bytes(b"")
    assert d.md5 == "d41d8cd98f00b204e9800998ecf8427e"
    assert d.sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert d.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert d.size == 0


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=700))
def test_streamed_digests_equal_in_memory_digests(data: bytes, chunk: int) -> None:
    assert digests_of_stream(io.BytesIO(data), chunk_bytes=chunk) == digests_of_bytes(data)


def test_a_large_stream_is_digested_in_bounded_memory() -> None:
    class Zeros(io.RawIOBase):
        def __init__(self, size: int) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            n = min(len(b), self.left)
            b[:n] = bytes(n)
            self.left -= n
            return n

    size = 96 * 1024 * 1024
    tracemalloc.start()
    d = digests_of_stream(io.BufferedReader(Zeros(size)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert d.size == size
    assert d.md5 == hashlib.md5(bytes(size)).hexdigest()
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize(("name", "length"), [("md5", 32), ("sha1", 40), ("sha256", 64)])
@given(data=st.binary(min_size=1, max_size=64))
def test_parse_normalises_and_round_trips(name: str, length: int, data: bytes) -> None:
    value = hashlib.new(name, data).hexdigest()
    assert len(value) == length
    assert signals.parse(name, value.upper()) == value
    assert signals.parse(name, f"0x{value}") == value
    assert signals.get(name).format(value) == value


@pytest.mark.parametrize("name", ["md5", "sha1", "sha256"])
def test_distance_is_zero_or_one(name: str) -> None:
    t = signals.get(name)
    a = "a" * {"md5": 32, "sha1": 40, "sha256": 64}[name]
    b = "b" + a[1:]
    assert t.distance(a, a) == 0
    assert t.distance(a, b) == 1
    assert t.is_exact()


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("md5", "d41d8cd98f00b204e9800998ecf8427", "expected 32 hexadecimal characters, got 31"),
        ("sha1", "z" * 40, "'z' is not a hexadecimal digit"),
        ("sha256", "   ", "empty"),
    ],
)
def test_bad_text_names_the_type_and_the_reason(name: str, text: str, reason: str) -> None:
    with pytest.raises(SignalParseError) as caught:
        signals.parse(name, text)
    assert name in str(caught.value) and reason in str(caught.value)


def test_unknown_signal_type_lists_the_known_ones() -> None:
    with pytest.raises(UnknownSignalType) as caught:
        signals.get("photodna")
    assert "photodna" in str(caught.value) and "pdq" in str(caught.value)


def test_names_are_case_insensitive() -> None:
    assert signals.get("MD5").name == "md5"
