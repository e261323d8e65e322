"""Indexes from hashes to bank entry ids: exact lookups and PDQ radius search."""

from bastion.index.base import Hits, PdqIndex, pdq_codes, pdq_hex
from bastion.index.linear import LinearPdqIndex

__all__ = ["Hits", "LinearPdqIndex", "PdqIndex", "pdq_codes", "pdq_hex"]
