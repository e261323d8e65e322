"""Apply USSG §2G2.2 to plain case facts, tracing every step.

The base offense level comes from the user's answer about the statute of conviction. Bastion
applies from the evidence only what the evidence shows: the number of images (each video
counted as 75), use of a computer, and knowing distribution (+2, (b)(3)(F)), each of which the
user may answer "no" to. Every other characteristic, including the higher distribution tiers
(b)(3)(A)-(E), applies only on the user's "yes". The Sentencing Table range is looked up for
the resulting level and the user's Criminal History Category; it is not a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.guidelines.citation import Citation, Datum
from bastion.guidelines.facts import CaseFacts, UserAnswer
from bastion.guidelines.frameworks import (
    BaseLevel,
    Characteristic,
    FrameworkInfo,
    Note,
    Question,
    TableRange,
    UsFramework,
)

BASE_QUESTION = "base-possession-statute"
HISTORY_QUESTION = "criminal-history-category"


@dataclass(frozen=True, slots=True)
class ImageTally:
    stills: int
    videos: int
    images_per_video: int
    total: int
    reason: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class LevelStep:
    """One traced step: the base level or one characteristic applied, with why."""

    id: str
    text: str
    levels: int  # the base level itself, or the signed change
    running_total: int | None  # None while the base level is unanswered
    basis: str  # "answer", "evidence" or "count"
    reason: str
    evidence_ids: tuple[str, ...]
    answer: UserAnswer | None
    citation: Citation


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A characteristic considered and not applied, with why."""

    id: str
    text: str
    reason: str
    answer: UserAnswer | None
    citation: Citation


@dataclass(frozen=True, slots=True)
class UsAssessment:
    framework: FrameworkInfo
    images: ImageTally
    steps: tuple[LevelStep, ...]
    not_applied: tuple[NotApplied, ...]
    offense_level: int | None
    table_level: int | None
    criminal_history: str | None
    table_range: TableRange | None
    table_citation: Citation
    questions: tuple[Question, ...]
    answers: tuple[UserAnswer, ...]
    messages: tuple[str, ...]
    notes: tuple[Note, ...]
    unverified: tuple[Datum, ...]
    disclaimers: tuple[Note, ...]

    def step(self, step_id: str) -> LevelStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


def assess_ussg(facts: CaseFacts, framework: UsFramework) -> UsAssessment:
    prefix = framework.info.question_prefix
    answers = facts.answers_to(
        framework.info.id,
        framework.info.question_prefix,
        {q.id: q.values for q in framework.questions},
    )
    messages: list[str] = []
    questions: list[Question] = []
    base, base_answer = _base(facts, framework, questions)
    if base is None:
        messages.append(
            f"The base offense level needs the user's answer to {prefix}.{BASE_QUESTION}; no offense level is computed until then."
        )
    tally = _tally(facts, framework)
    steps: list[LevelStep] = []
    total = base.level if base is not None else None
    if base is not None and base_answer is not None:
        reason = f"{base_answer.given_by} answered {base_answer.value!r}: is the conviction under one of the statutes in (a)(1)?"
        steps.append(
            LevelStep(
                base.id,
                base.text,
                base.level,
                total,
                "answer",
                reason,
                (),
                base_answer,
                base.citation,
            )
        )
    applied, not_applied = _characteristics(facts, framework, base, questions, messages)
    for step in applied:
        total = None if total is None else total + step.levels
        steps.append(_with_total(step, total))
    tier = next((t for t in framework.image_tiers if t.contains(tally.total)), None)
    if tier is not None:
        total = None if total is None else total + tier.levels
        steps.append(
            LevelStep(
                tier.id,
                tier.text,
                tier.levels,
                total,
                "count",
                tally.reason,
                (),
                None,
                tier.citation,
            )
        )
    else:
        first = framework.image_tiers[0]
        reason = f"{tally.reason} Fewer than {first.min_images}: no (b)(7) increase."
        not_applied.append(NotApplied("b7", first.text, reason, None, first.citation))
    history = facts.answer(f"{prefix}.{HISTORY_QUESTION}")
    category = (
        history.value
        if history is not None and history.value in framework.table.categories
        else None
    )
    if category is None:
        questions.append(framework.question(f"{prefix}.{HISTORY_QUESTION}"))
        messages.append(
            f"No Sentencing Table range without a Criminal History Category ({prefix}.{HISTORY_QUESTION})."
        )
    table_level = None if total is None else framework.table.clamp(total)
    if total is not None and table_level != total:
        messages.append(
            f"Offense level {total} is read as {table_level}: {framework.table.clamp_note}"
        )
    table_range = None
    if table_level is not None and category is not None:
        table_range = framework.table.lookup(table_level, category)
    return UsAssessment(
        framework=framework.info,
        images=tally,
        steps=tuple(steps),
        not_applied=tuple(not_applied),
        offense_level=total,
        table_level=table_level,
        criminal_history=category,
        table_range=table_range,
        table_citation=framework.table.citation,
        questions=tuple(questions),
        answers=answers,
        messages=tuple(messages),
        notes=framework.notes,
        unverified=tuple(d for d in framework.data() if not d.citation.verified),
        disclaimers=framework.disclaimers,
    )


def _base(
    facts: CaseFacts, framework: UsFramework, questions: list[Question]
) -> tuple[BaseLevel | None, UserAnswer | None]:
    question_id = f"{framework.info.question_prefix}.{BASE_QUESTION}"
    answer = facts.answer(question_id)
    base = next(
        (b for b in framework.base_levels if answer is not None and b.when_answer == answer.value),
        None,
    )
    if base is None:
        questions.append(framework.question(question_id))
    return base, answer


def _tally(facts: CaseFacts, framework: UsFramework) -> ImageTally:
    per_video = framework.image_counting.images_per_video
    stills, videos = facts.count(moving=False), facts.count(moving=True)
    total = stills + per_video * videos
    reason = (
        f"{stills} still image(s) + {videos} video(s) x {per_video} = {total} images "
        f"(Application Note 6(B): each video counts as {per_video} images)."
    )
    return ImageTally(stills, videos, per_video, total, reason, framework.image_counting.citation)


def _characteristics(
    facts: CaseFacts,
    framework: UsFramework,
    base: BaseLevel | None,
    questions: list[Question],
    messages: list[str],
) -> tuple[list[LevelStep], list[NotApplied]]:
    """Decide each characteristic, then keep only the greatest of each group."""
    applied: list[tuple[Characteristic, LevelStep]] = []
    not_applied: list[NotApplied] = []
    for c in framework.characteristics:
        answer = facts.answer(c.question_id)
        decision = _decide(facts, c, answer)
        if (
            c.requires_base
            and decision is not None
            and (base is None or base.id != c.requires_base)
        ):
            have = "unanswered" if base is None else base.id
            reason = f"Applies only with base level {c.requires_base}; the base level is {have}."
            not_applied.append(NotApplied(c.id, c.text, reason, answer, c.citation))
            continue
        if decision is None:
            if c.basis == "user" and answer is None:
                questions.append(framework.question(c.question_id))
            not_applied.append(
                NotApplied(c.id, c.text, _why_not(facts, c, answer), answer, c.citation)
            )
            continue
        applied.append((c, decision))
    if any(c.id == "b1" for c, _ in applied) and facts.count(activity="distribution") > 0:
        messages.append(
            "(b)(1) was answered as applying, but distribution is counted in the evidence: check the answer."
        )
    return _greatest_per_group(applied, not_applied)


def _decide(facts: CaseFacts, c: Characteristic, answer: UserAnswer | None) -> LevelStep | None:
    """The step if this characteristic applies (running total filled in later), else None."""
    floor = (
        " (at least; the §2B1.1 table by retail value may give more and is not applied)"
        if c.minimum
        else ""
    )
    if answer is not None and answer.value == "yes":
        said = f"{answer.given_by} confirmed it" + (f": {answer.detail}" if answer.detail else "")
        return LevelStep(
            c.id,
            c.text,
            c.levels,
            None,
            "answer",
            said + floor + ".",
            facts.evidence_for(c.evidenced_by),
            answer,
            c.citation,
        )
    if c.basis == "evidence" and (answer is None or answer.value == "unknown"):
        ids = facts.evidence_for(c.evidenced_by)
        counted = facts.count(activity="distribution") if "distribution" in c.evidenced_by else 0
        if ids or counted:
            parts = []
            if counted:
                parts.append(f"{counted} item(s) counted as distributed")
            if ids:
                parts.append(f"{len(ids)} evidence item(s) show it")
            reason = (
                "Evidenced: " + "; ".join(parts) + ". The user may answer 'no' if the facts differ."
            )
            return LevelStep(
                c.id, c.text, c.levels, None, "evidence", reason, ids, answer, c.citation
            )
    return None


def _why_not(facts: CaseFacts, c: Characteristic, answer: UserAnswer | None) -> str:
    if answer is not None and answer.value == "no":
        return (
            f"{answer.given_by} answered 'no'"
            + (f" ({answer.detail})" if answer.detail else "")
            + "."
        )
    if c.basis == "user":
        if answer is not None:
            return f"{answer.given_by} answered {answer.value!r}; it applies only on the user's confirmation."
        return "Applies only when the user confirms the facts; not answered."
    return "Nothing in the evidence passed in shows it, and the user has not confirmed it."


def _greatest_per_group(
    applied: list[tuple[Characteristic, LevelStep]], not_applied: list[NotApplied]
) -> tuple[list[LevelStep], list[NotApplied]]:
    """Of characteristics sharing a group, only the greatest applies (the first on a tie)."""
    kept: list[LevelStep] = []
    for c, step in applied:
        rivals = [s for o, s in applied if c.group and o.group == c.group]
        best = max(rivals, key=lambda s: s.levels) if rivals else step
        if best is step:
            kept.append(step)
        else:
            reason = f"Also applies, but {best.id} ({best.levels:+d}) applies instead: {c.group}, apply the greatest."
            not_applied.append(NotApplied(c.id, c.text, reason, step.answer, c.citation))
    return kept, not_applied


def _with_total(step: LevelStep, total: int | None) -> LevelStep:
    return LevelStep(
        step.id,
        step.text,
        step.levels,
        total,
        step.basis,
        step.reason,
        step.evidence_ids,
        step.answer,
        step.citation,
    )
