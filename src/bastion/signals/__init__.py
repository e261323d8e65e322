"""Signal types: how each kind of hash is parsed, formatted and compared.

The registry maps a stable name (as stored in banks and shown in APIs) to its type:

>>> from bastion import signals
>>> signals.get("md5").parse(" D41D8CD98F00B204E9800998ECF8427E ")
'd41d8cd98f00b204e9800998ecf8427e'
>>> sorted(signals.names())
['md5', 'pdq', 'sha1', 'sha256', 'vpdq']
"""

from __future__ import annotations

from bastion.signals.base import SignalParseError, SignalType
from bastion.signals.exact import MD5, SHA1, SHA256
from bastion.signals.pdq import PDQ, PdqHash
from bastion.signals.vpdq import VPDQ, VpdqFrame, VpdqHash, VpdqParseError

_REGISTRY: dict[str, SignalType] = {}


def register(signal_type: SignalType) -> SignalType:
    """Add a signal type; its name must be new."""
    if signal_type.name in _REGISTRY:
        raise ValueError(f"signal type {signal_type.name!r} is already registered")
    _REGISTRY[signal_type.name] = signal_type
    return signal_type


for _type in (MD5(), SHA1(), SHA256(), PDQ(), VPDQ()):
    register(_type)


class UnknownSignalType(KeyError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown signal type {self.name!r}; known types: {', '.join(sorted(_REGISTRY))}"


def get(name: str) -> SignalType:
    """The signal type called `name` (case-insensitive), or UnknownSignalType."""
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownSignalType(str(name)) from None


def names() -> list[str]:
    return list(_REGISTRY)


def all_types() -> list[SignalType]:
    return list(_REGISTRY.values())


def parse(name: str, text: str) -> str:
    """Normalise `text` as a value of signal type `name`."""
    return get(name).parse(text)


def distance(name: str, a: str, b: str) -> int:
    return get(name).distance(a, b)


__all__ = [
    "PdqHash",
    "SignalParseError",
    "SignalType",
    "UnknownSignalType",
    "VpdqFrame",
    "VpdqHash",
    "VpdqParseError",
    "all_types",
    "distance",
    "get",
    "names",
    "parse",
    "register",
]
