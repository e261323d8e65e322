"""Sentencing guidelines as cited, versioned data, and the pure functions that apply them.

    from bastion.guidelines import CaseFacts, ImageCount, assess, load_framework

    facts = CaseFacts(counts=(ImageCount("C", "possession", moving=False, count=40),))
    ew = assess(facts, load_framework("ew-iioc-2014"))
    ew.category.category.id, ew.cells[0].cell.starting_point.text

Each framework lives in data/*.toml with a source and a verified flag on every datum; the
loader checks the schema. Assessments set out the framework and the evidence; none states a
sentence, and every one carries the disclaimers. See docs/guidelines.md.
"""

from __future__ import annotations

from bastion.guidelines.citation import Citation, Datum, Document, Source
from bastion.guidelines.england_wales import (
    CategoryFinding,
    CellFinding,
    EwAssessment,
    FactorFinding,
    assess_england_wales,
)
from bastion.guidelines.errors import FactsError, GuidelineDataError, UnknownFramework
from bastion.guidelines.facts import (
    COUNTED_ACTIVITIES,
    FEATURES,
    CaseFacts,
    EvidencedFeature,
    ImageCount,
    Period,
    UserAnswer,
)
from bastion.guidelines.frameworks import EwFramework, Framework, Question, TableRange, UsFramework
from bastion.guidelines.loader import (
    framework_ids,
    load_framework,
    load_framework_file,
    parse_framework,
)
from bastion.guidelines.sentences import Sentence
from bastion.guidelines.ussg import ImageTally, LevelStep, NotApplied, UsAssessment, assess_ussg

Assessment = EwAssessment | UsAssessment


def assess(facts: CaseFacts, framework: Framework) -> Assessment:
    """Apply a framework to case facts: the England & Wales or the USSG assessment."""
    if isinstance(framework, EwFramework):
        return assess_england_wales(facts, framework)
    if isinstance(framework, UsFramework):
        return assess_ussg(facts, framework)
    raise TypeError(f"not a guideline framework: {type(framework).__name__}")


__all__ = [
    "COUNTED_ACTIVITIES",
    "FEATURES",
    "Assessment",
    "CaseFacts",
    "CategoryFinding",
    "CellFinding",
    "Citation",
    "Datum",
    "Document",
    "EvidencedFeature",
    "EwAssessment",
    "EwFramework",
    "FactorFinding",
    "FactsError",
    "Framework",
    "GuidelineDataError",
    "ImageCount",
    "ImageTally",
    "LevelStep",
    "NotApplied",
    "Period",
    "Question",
    "Sentence",
    "Source",
    "TableRange",
    "UnknownFramework",
    "UsAssessment",
    "UsFramework",
    "UserAnswer",
    "assess",
    "assess_england_wales",
    "assess_ussg",
    "framework_ids",
    "load_framework",
    "load_framework_file",
    "parse_framework",
]
