"""Indexes from hashes to bank entry ids: exact lookups and PDQ radius search."""

from bastion.index.base import Hits, PdqIndex, VariantHits, pdq_codes, pdq_hex
from bastion.index.container import IndexFileError
from bastion.index.exact import ExactHits, ExactIndex, digests_from_hex
from bastion.index.linear import LinearPdqIndex
from bastion.index.mih import IndexStats, MihPdqIndex

__all__ = [
    "ExactHits",
    "ExactIndex",
    "Hits",
    "IndexFileError",
    "IndexStats",
    "LinearPdqIndex",
    "MihPdqIndex",
    "PdqIndex",
    "VariantHits",
    "digests_from_hex",
    "pdq_codes",
    "pdq_hex",
]
