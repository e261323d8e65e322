"""Make tdesktop's result.json parseable while streaming it.

tdesktop writes control characters other than \\n, \\r and \\t as `\\xHH` (SerializeString in
Telegram/SourceFiles/export/output/export_output_json.cpp), which no JSON parser accepts
(tdesktop#27571, mlomb/chat-analytics#100). This reader rewrites each such escape to the valid
`\\u00HH` on the fly, chunk by chunk. Escapes are paired from the start of the stream, so `\\\\x41`
(a literal backslash followed by "x41") is left alone; an escape cut by a chunk boundary is
carried over to the next chunk.
"""

from __future__ import annotations

import io
import re
from typing import BinaryIO

# A backslash and what it escapes: "x" with up to two hex digits, or any one byte, or nothing
# (a backslash at the very end of the data read so far).
_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{0,2}|.)?", re.DOTALL)
_CHUNK = 1 << 16


class XEscapeReader(io.RawIOBase):
    def __init__(self, inner: BinaryIO, chunk: int = _CHUNK) -> None:
        super().__init__()
        self._inner = inner
        self._chunk = chunk
        self._carry = b""
        self._ready = b""
        self._eof = False
        self.bytes_read = 0  # from the underlying stream, for progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._ready and not self._eof:
            self._fill()
        count = min(len(buffer), len(self._ready))
        buffer[:count] = self._ready[:count]
        self._ready = self._ready[count:]
        return count

    def _fill(self) -> None:
        data = self._inner.read(self._chunk)
        self.bytes_read += len(data)
        final = not data
        if final:
            self._eof = True
        data = self._carry + data
        self._carry = b""
        if b"\\" not in data:
            self._ready = data
            return
        out: list[bytes] = []
        position = 0
        for match in _ESCAPE.finditer(data):
            escaped = match.group(1)
            incomplete = escaped is None or (escaped[:1] == b"x" and len(escaped) < 3)
            if incomplete and match.end() == len(data) and not final:
                out.append(data[position : match.start()])
                self._carry = data[match.start() :]
                position = len(data)
                break
            if escaped is not None and escaped[:1] == b"x" and len(escaped) == 3:
                out.append(data[position : match.start()])
                out.append(b"\\u00" + escaped[1:])
                position = match.end()
        out.append(data[position:])
        self._ready = b"".join(out)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()
