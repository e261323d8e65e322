"""The narrow interface every signal type implements.

A *signal* is a fingerprint of one piece of media (an exact digest or a perceptual hash).
A *signal type* knows how to parse its text form, format it and measure distance between two
values. Computing a signal from media lives beside each type, but never touches storage:
banks, indexes and the store only ever see the normalised text form.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar


class SignalParseError(ValueError):
    """Text that is not a valid value of a signal type.

    The message names the signal type, shows (a bounded prefix of) the text and says why.
    """

    def __init__(self, signal: str, text: str, reason: str) -> None:
        self.signal = signal
        self.text = text
        self.reason = reason
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"not a valid {signal} value: {shown!r} ({reason})")


class SignalType(ABC):
    """One kind of hash: its name, text form and distance.

    `name` is stable: it is stored in banks and databases and appears in every API.
    `max_distance` is the largest distance a bank may use as its threshold (0 for exact types).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    max_distance: ClassVar[int] = 0
    default_threshold: ClassVar[int] = 0

    @abstractmethod
    def parse(self, text: str) -> str:
        """Return the normalised text form of `text`, or raise SignalParseError."""

    def format(self, value: str) -> str:
        """Text form for people and files; the normalised form unless a type says otherwise."""
        return value

    @abstractmethod
    def distance(self, a: str, b: str) -> int:
        """Distance between two normalised values (0 means identical)."""

    def is_exact(self) -> bool:
        return self.max_distance == 0

    def __repr__(self) -> str:
        return f"<signal type {self.name}>"


def normalise_hex(signal: str, text: object, n_hex: int) -> str:
    """Strip, lower-case and check a fixed-length hexadecimal string."""
    if not isinstance(text, str):
        raise SignalParseError(signal, repr(text), f"expected text, got {type(text).__name__}")
    value = text.strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    if not value:
        raise SignalParseError(signal, text, "empty")
    if len(value) != n_hex:
        raise SignalParseError(
            signal, text, f"expected {n_hex} hexadecimal characters, got {len(value)}"
        )
    bad = next((c for c in value if c not in "0123456789abcdef"), None)
    if bad is not None:
        raise SignalParseError(signal, text, f"{bad!r} is not a hexadecimal digit")
    return value
