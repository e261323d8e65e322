"""Apply the England & Wales indecent images guideline to plain case facts.

What it decides, and only this: the category by the most serious images (step 1), which
activity columns the evidence or the user's answers open (distribution when any distribution is
counted, production only when the user marks it), the cells those give, and which factors the
evidence points to or the user has answered. It never states a sentence: starting points and
ranges are shown as the guideline's, each with its source, for the court to apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.guidelines.citation import Datum
from bastion.guidelines.errors import FactsError
from bastion.guidelines.facts import CaseFacts, UserAnswer
from bastion.guidelines.frameworks import (
    Activity,
    Category,
    Cell,
    EwFramework,
    Factor,
    FrameworkInfo,
    GuiltyPlea,
    Note,
    Notification,
    Question,
    StatutoryMaximum,
)

STATUSES: tuple[str, ...] = ("evidenced", "not_evidenced", "answered", "needs_answer")


@dataclass(frozen=True, slots=True)
class CategoryFinding:
    category: Category
    reason: str


@dataclass(frozen=True, slots=True)
class CellFinding:
    """One applicable cell: the activity column, the category for that column, and why."""

    activity: Activity
    category: Category
    cell: Cell
    reason: str


@dataclass(frozen=True, slots=True)
class FactorFinding:
    """Where one factor stands: evidenced (with the evidence ids), answered (with the answer and
    who gave it), needing an answer, or an evidence-type factor nothing points to."""

    factor: Factor
    status: str
    evidence_ids: tuple[str, ...]
    answer: UserAnswer | None
    reason: str


@dataclass(frozen=True, slots=True)
class EwAssessment:
    framework: FrameworkInfo
    category: CategoryFinding | None
    cells: tuple[CellFinding, ...]
    aggravating: tuple[FactorFinding, ...]
    mitigating: tuple[FactorFinding, ...]
    step1_notes: tuple[Note, ...]
    statutory_maxima: tuple[StatutoryMaximum, ...]
    guilty_plea: GuiltyPlea
    notification: Notification
    questions: tuple[Question, ...]
    answers: tuple[UserAnswer, ...]
    messages: tuple[str, ...]
    unverified: tuple[Datum, ...]
    disclaimers: tuple[Note, ...]

    @property
    def factors(self) -> tuple[FactorFinding, ...]:
        return self.aggravating + self.mitigating

    def finding(self, factor_id: str) -> FactorFinding:
        return next(f for f in self.factors if f.factor.id == factor_id)


def assess_england_wales(facts: CaseFacts, framework: EwFramework) -> EwAssessment:
    prefix = framework.info.question_prefix
    answers = facts.answers_to(
        framework.info.id,
        framework.info.question_prefix,
        {q.id: q.values for q in framework.questions},
    )
    known = {c.id for c in framework.categories}
    for count in facts.counts:
        if count.category not in known:
            raise FactsError(
                "counts.category",
                f"{count.category!r} is not a category of {framework.info.id} ({', '.join(sorted(known))})",
            )
    messages: list[str] = []
    category = _category(facts, framework)
    if category is None:
        messages.append(
            "No images were counted: no category, activity column or cell can be determined."
        )
    cells = _cells(facts, framework, messages)
    findings = tuple(_factor(facts, framework, f) for f in framework.factors)
    production = framework.question(f"{prefix}.production")
    open_questions = [
        framework.question(f.factor.question_id) for f in findings if f.status == "needs_answer"
    ]
    if facts.answer(production.id) is None:
        open_questions.append(production)
    return EwAssessment(
        framework=framework.info,
        category=category,
        cells=cells,
        aggravating=tuple(f for f in findings if f.factor.kind != "mitigating"),
        mitigating=tuple(f for f in findings if f.factor.kind == "mitigating"),
        step1_notes=framework.step1_notes,
        statutory_maxima=framework.statutory_maxima,
        guilty_plea=framework.guilty_plea,
        notification=framework.notification,
        questions=tuple(open_questions),
        answers=answers,
        messages=tuple(messages),
        unverified=_unverified(framework, cells),
        disclaimers=framework.disclaimers,
    )


def _unverified(framework: EwFramework, cells: tuple[CellFinding, ...]) -> tuple[Datum, ...]:
    """Unverified data this assessment shows: all of it except cells and categories it does
    not use."""
    used = {f"cell {c.cell.category} x {c.cell.activity}" for c in cells}
    used |= {f"category {c.category.id}" for c in cells}

    def shown(d: Datum) -> bool:
        return d.label in used if d.label.startswith(("cell ", "category ")) else True

    return tuple(d for d in framework.data() if not d.citation.verified and shown(d))


def _most_serious(
    facts: CaseFacts, framework: EwFramework, activity: str | None
) -> Category | None:
    present = facts.categories(activity)
    return next((c for c in framework.categories if c.id in present), None)


def _category(facts: CaseFacts, framework: EwFramework) -> CategoryFinding | None:
    category = _most_serious(facts, framework, None)
    if category is None:
        return None
    total = facts.count()
    top = facts.count(category=category.id)
    breakdown = ", ".join(f"{c.id}: {facts.count(category=c.id)}" for c in framework.categories)
    reason = (
        f"Category {category.id} because the most serious images counted are category {category.id} "
        f"({top} of {total}; {breakdown}). The guideline's step 1: the most serious images normally "
        f"determine the category; a lower category may be appropriate only if they are "
        f"unrepresentative of the offender's conduct, which is for the court."
    )
    return CategoryFinding(category, reason)


def _cells(
    facts: CaseFacts, framework: EwFramework, messages: list[str]
) -> tuple[CellFinding, ...]:
    found: list[CellFinding] = []
    for activity_id in ("possession", "distribution"):
        category = _most_serious(facts, framework, activity_id)
        if category is None:
            continue
        n = facts.count(activity=activity_id)
        if activity_id == "possession":
            why = f"{n} item(s) counted as possessed (and not distributed)"
        else:
            why = f"distribution evidenced: {n} item(s) counted as distributed"
        found.append(
            _finding(
                framework,
                activity_id,
                category,
                f"{why}; most serious category among them: {category.id}.",
            )
        )
    answer = facts.answer(f"{framework.info.question_prefix}.production")
    if answer is not None and answer.value in {c.id for c in framework.categories}:
        found.append(
            _finding(
                framework,
                "production",
                framework.category(answer.value),
                f"production marked by {answer.given_by} (most serious image produced: category {answer.value})"
                + (f": {answer.detail}" if answer.detail else "."),
            )
        )
    elif answer is not None:
        messages.append(f"Production not applied: {answer.given_by} answered {answer.value!r}.")
    else:
        messages.append(
            f"Production is never inferred from hash matches: it applies only if the user marks it (question {framework.info.question_prefix}.production)."
        )
    return tuple(sorted(found, key=lambda f: f.activity.rank))


def _finding(
    framework: EwFramework, activity_id: str, category: Category, reason: str
) -> CellFinding:
    return CellFinding(
        framework.activity(activity_id), category, framework.cell(category.id, activity_id), reason
    )


def _factor(facts: CaseFacts, framework: EwFramework, factor: Factor) -> FactorFinding:
    answer = facts.answer(factor.question_id)
    evidence_ids = facts.evidence_for(factor.evidenced_by)
    context = _context(facts, factor)
    if answer is not None:
        said = f"{answer.given_by} answered {answer.value!r}" + (
            f" ({answer.detail})" if answer.detail else ""
        )
        reason = "; ".join(part for part in (said, context) if part)
        return FactorFinding(factor, "answered", evidence_ids, answer, reason + ".")
    if factor.basis == "user":
        return FactorFinding(
            factor,
            "needs_answer",
            (),
            None,
            "The evidence cannot show this: the user must answer it.",
        )
    derived = "moving_images" in factor.evidenced_by and facts.count(moving=True) > 0
    if evidence_ids or derived:
        shown = f"{len(evidence_ids)} evidence item(s) point to it" if evidence_ids else ""
        reason = "; ".join(p for p in (shown, context) if p)
        return FactorFinding(
            factor,
            "evidenced",
            evidence_ids,
            None,
            f"{reason}. Whether and how much it aggravates is for the court.",
        )
    return FactorFinding(
        factor,
        "not_evidenced",
        (),
        None,
        "; ".join(p for p in ("Nothing in the evidence passed in points to it", context) if p)
        + ".",
    )


def _context(facts: CaseFacts, factor: Factor) -> str:
    """What the counts and period say that bears on an evidence-type factor (no thresholds:
    the guideline sets none)."""
    parts = []
    if "volume" in factor.evidenced_by:
        parts.append(
            f"counted: {facts.count()} item(s), {facts.count(moving=False)} still and {facts.count(moving=True)} moving"
        )
    if "moving_images" in factor.evidenced_by:
        parts.append(f"{facts.count(moving=True)} moving image(s) counted")
    if "period" in factor.evidenced_by and facts.period is not None:
        p = facts.period
        parts.append(
            f"observed period {p.first.isoformat()} to {p.last.isoformat()} ({p.days} days)"
        )
    return "; ".join(parts)
