"""A case assessed against the sentencing guideline: the evidence, the count table, the
features, people's answers and the guideline framework applied to them, in one frozen value that
the terminal view and every report format read.

```python
from bastion.cases.assessment import assess_case

a = assess_case(store, "op-harbour", generated_by="cli:jd@laptop")
a.table.cell("distribution", "A").images, a.guideline.category.category.id
```
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.cases.answers import PRODUCTION_QUESTION, UserData, load_user_data
from bastion.cases.chats import ChatBreakdown, chat_breakdown
from bastion.cases.counts import CountTable, count_table, guideline_counts
from bastion.cases.custody import Custody, custody
from bastion.cases.evidence import SEVERITY, Evidence, build_evidence
from bastion.cases.features import Feature, find_features
from bastion.cases.limits import limitations
from bastion.cases.summary import references
from bastion.guidelines import (
    CaseFacts,
    EwAssessment,
    ImageCount,
    Period,
    UserAnswer,
    assess,
    load_framework,
)
from bastion.guidelines.frameworks import EwFramework
from bastion.store.db import Store

FRAMEWORK_ID = "ew-iioc-2014"


@dataclass(frozen=True, slots=True)
class CaseAssessment:
    custody: Custody
    evidence: Evidence
    table: CountTable
    counts: tuple[ImageCount, ...]  # as the guideline takes them: each image once
    period: Period | None
    features: tuple[Feature, ...]
    chats: tuple[ChatBreakdown, ...]
    user: UserData
    facts: CaseFacts
    framework: EwFramework
    guideline: EwAssessment
    limitations: tuple[str, ...]

    def feature(self, feature_id: str) -> Feature:
        return next(f for f in self.features if f.id == feature_id)

    @property
    def disclaimers(self) -> tuple[str, ...]:
        return tuple(d.text for d in self.guideline.disclaimers)


def _answers(user: UserData) -> tuple[UserAnswer, ...]:
    answers = [
        UserAnswer(
            a.question,
            a.value,
            given_by=a.given_by,
            detail=a.detail or "",
            given_at=a.recorded_at.isoformat(timespec="seconds"),
        )
        for a in user.answers
        if not (a.question == PRODUCTION_QUESTION and user.production)
    ]
    if user.production:
        # Production marks stand for the answer to ew.production: the most serious category
        # marked, with every mark's note.
        top = max(user.production, key=lambda m: SEVERITY.get(m.category, 0))
        who = ", ".join(dict.fromkeys(m.given_by for m in user.production))
        notes = "; ".join(
            f"mark {m.id} ({m.category}{', ' + m.item_id if m.item_id else ''}): {m.note}"
            for m in user.production
        )
        answers.append(
            UserAnswer(
                PRODUCTION_QUESTION,
                top.category,
                given_by=who,
                detail=notes,
                given_at=top.recorded_at.isoformat(timespec="seconds"),
            )
        )
    return tuple(answers)


def assess_evidence(evidence: Evidence, user: UserData, case_custody: Custody) -> CaseAssessment:
    """The pure part: evidence and people's answers to the whole assessment."""
    framework = load_framework(FRAMEWORK_ID)
    if not isinstance(framework, EwFramework):
        raise TypeError(f"{FRAMEWORK_ID} is not an England & Wales framework")
    table = count_table(evidence)
    features, span = find_features(evidence, table, user.chat_facts)
    counts = guideline_counts(evidence)
    facts = CaseFacts(
        counts=counts,
        period=span,
        features=tuple(e for f in features if (e := f.evidenced()) is not None),
        answers=_answers(user),
    )
    return CaseAssessment(
        custody=case_custody,
        evidence=evidence,
        table=table,
        counts=counts,
        period=span,
        features=features,
        chats=chat_breakdown(evidence, user.chat_facts),
        user=user,
        facts=facts,
        framework=framework,
        guideline=assess(facts, framework),
        limitations=limitations(evidence, case_custody),
    )


def assess_case(store: Store, name: str, generated_by: str) -> CaseAssessment:
    """Read a scanned case and everything people recorded for it, and assess it.
    Raises bastion.scan.pipeline.ScanError for an unknown case."""
    from bastion.scan.pipeline import case_id

    cid = case_id(store, name)
    user = load_user_data(store, cid)
    evidence = build_evidence(references(store, cid), user.chat_facts)
    return assess_evidence(evidence, user, custody(store, cid, generated_by, user.sources))
