"""tdesktop's invalid `\\xHH` escapes become valid JSON while streaming, whatever the chunking."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from bastion.sources.json_stream import XEscapeReader
from bastion.sources.telegram_synthetic.json_writer import string


def _read(data: bytes, chunk: int) -> bytes:
    return XEscapeReader(io.BytesIO(data), chunk).read()


@given(st.text(), st.integers(min_value=1, max_value=9))
def test_any_text_tdesktop_writes_reads_back_unchanged(text: str, chunk: int) -> None:
    document = ("[" + string(text) + "]").encode("utf-8")
    assert json.loads(_read(document, chunk)) == [text]


def test_literal_backslash_followed_by_x_is_not_an_escape() -> None:
    document = b'["a\\\\x41", "\\x41", "\\\\\\x07"]'
    assert json.loads(_read(document, 2)) == ["a\\x41", "A", "\\\x07"]


def test_control_characters_are_escaped_as_tdesktop_does() -> None:
    assert string("a\x01b\x1fc\n") == '"a\\x01b\\x1Fc\\n"'
