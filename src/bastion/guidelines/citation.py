"""Where each guideline datum comes from, and whether it was checked.

A `Document` is one source (a guideline page, a statute section, a judgment); a `Source` points
into it (`at`: the step, section or paragraph); a `Citation` says whether the datum was read in
the primary text (`verified`) and how, or what was found instead (`note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    url: str
    consulted: date
    version: str


@dataclass(frozen=True, slots=True)
class Source:
    document: Document
    at: str

    @property
    def url(self) -> str:
        return self.document.url

    def __str__(self) -> str:
        return f"{self.document.title}, {self.at} <{self.document.url}> (consulted {self.document.consulted.isoformat()})"


@dataclass(frozen=True, slots=True)
class Citation:
    source: Source
    verified: bool
    note: str
    see_also: tuple[Document, ...] = ()


@dataclass(frozen=True, slots=True)
class Datum:
    """One cited datum of a framework, labelled for listings such as 'unverified data'."""

    label: str
    citation: Citation
