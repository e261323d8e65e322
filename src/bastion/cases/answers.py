"""What people add to a case, and who said it: answers to the guideline's questions, chat facts
an export lacks (member counts; whether the account owner posts as a channel), and production
marks, each with a note.

All of it is stored (append-only: the latest entry for a question or chat stands, the history
stays) and written to the audit trail in the same transaction. Nothing here is ever inferred:
production in particular is only ever a person's mark, because hash matches find known material
that someone else produced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bastion.audit import Actor, append
from bastion.cases.activities import ChatFact, chat_key
from bastion.guidelines import load_framework
from bastion.store.db import Store
from bastion.store.models import (
    CaseAnswerRow,
    CaseChatFactRow,
    CaseFileRow,
    CaseItemRow,
    CaseProductionMarkRow,
)
from bastion.store.types import utcnow

FRAMEWORK = "ew-iioc-2014"
PRODUCTION_QUESTION = "ew.production"
PRODUCTION_CATEGORIES = ("A", "B", "C")


class AnswerError(ValueError):
    """A person's answer, chat fact or mark that cannot be recorded; says which and why."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    id: int
    question: str
    value: str
    detail: str | None
    given_by: str
    recorded_by: str
    recorded_at: datetime
    source: str | None


@dataclass(frozen=True, slots=True)
class ProductionMark:
    id: int
    item_id: str | None
    category: str
    note: str
    given_by: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class UserData:
    """Everything people recorded for a case: what stands now, and the history behind it."""

    answers: tuple[RecordedAnswer, ...]  # the latest per question
    answer_history: tuple[RecordedAnswer, ...]
    chat_facts: dict[str, ChatFact]  # the latest per chat
    chat_history: tuple[ChatFact, ...]
    production: tuple[ProductionMark, ...]  # marks not withdrawn
    withdrawn: tuple[ProductionMark, ...]

    def answer(self, question: str) -> RecordedAnswer | None:
        return next((a for a in self.answers if a.question == question), None)

    @property
    def sources(self) -> tuple[str, ...]:
        """Where recorded entries came from (answers files, with their SHA-256)."""
        found = [a.source for a in self.answer_history]
        found += [c.source for c in self.chat_history]
        found += [m.source for m in self.production + self.withdrawn]
        return tuple(dict.fromkeys(f for f in found if f))


def questions() -> dict[str, tuple[str, ...]]:
    """The guideline's questions a person answers, with the values each takes."""
    return {q.id: q.values for q in load_framework(FRAMEWORK).questions}


def _who(text: str | None, actor: Actor) -> str:
    text = (text or "").strip()
    return text or actor.name


def check_answer(question: str, value: str, where: str = "answer") -> str:
    known = questions()
    if question not in known:
        raise AnswerError(
            where,
            f"{question!r} is not a question of {FRAMEWORK}; `bastion case assess CASE` lists the "
            f"open questions (all: {', '.join(known)})",
        )
    if question == PRODUCTION_QUESTION and value in PRODUCTION_CATEGORIES:
        raise AnswerError(
            where,
            "production is recorded with `bastion case mark-production CASE --category "
            f"{value} --note ...` (a mark with a note), not as an answer; answer only 'no' or "
            "'unknown' here",
        )
    if value not in known[question]:
        raise AnswerError(
            where,
            f"{value!r} is not an answer to {question}: expected one of {', '.join(known[question])}",
        )
    return value


def record_answer(
    store: Store,
    case_id: int,
    case_name: str,
    question: str,
    value: str,
    *,
    actor: Actor,
    given_by: str | None = None,
    detail: str | None = None,
    source: str | None = None,
) -> RecordedAnswer | None:
    """Record an answer; None when it repeats the answer that stands (nothing recorded)."""
    check_answer(question, value)
    who = _who(given_by, actor)
    detail = (detail or "").strip() or None
    with store.session() as s:
        current = s.scalar(
            select(CaseAnswerRow)
            .where(CaseAnswerRow.case_id == case_id, CaseAnswerRow.question == question)
            .order_by(CaseAnswerRow.id.desc())
            .limit(1)
        )
        if current is not None and (current.value, current.detail, current.given_by) == (
            value,
            detail,
            who,
        ):
            return None
        row = CaseAnswerRow(
            case_id=case_id,
            question=question,
            value=value,
            detail=detail,
            given_by=who,
            source=source,
        )
        _store(s, row, actor)
        append(
            s,
            actor.event(
                "case.answer",
                "case",
                case_name,
                question=question,
                value=value,
                detail=detail,
                given_by=who,
                source=source,
                replaces=current.value if current else None,
            ),
        )
        return _answer(row)


def resolve_chat(store: Store, case_id: int, chat: str) -> tuple[str, str | None]:
    """A chat of the case named by its id or its exact name: (chat key, name)."""
    with store.session() as s:
        rows = s.execute(
            select(CaseItemRow.chat_id, CaseItemRow.chat_name)
            .where(
                CaseItemRow.case_id == case_id,
                (CaseItemRow.chat_id == chat) | (CaseItemRow.chat_name == chat),
            )
            .distinct()
        ).all()
        chats = {(cid, name) for cid, name in rows if cid or name}
        if not chats:
            names = s.execute(
                select(CaseItemRow.chat_id, CaseItemRow.chat_name)
                .where(CaseItemRow.case_id == case_id, CaseItemRow.chat_name.is_not(None))
                .distinct()
            ).all()
    if not chats:
        listed = ", ".join(sorted({f"{n!r} ({i})" if i else repr(n) for i, n in names}))
        raise AnswerError(
            "chat", f"no chat {chat!r} in this case; its chats are {listed or 'none'}"
        )
    ids = {cid for cid, _ in chats}
    if len(ids) > 1:
        listed = ", ".join(sorted(f"{cid}" for cid in ids if cid))
        raise AnswerError(
            "chat", f"{chat!r} names more than one chat ({listed}): give the chat's id instead"
        )
    cid, name = sorted(chats, key=lambda c: (c[0] or "", c[1] or ""))[0]
    return chat_key(cid, name), name


def record_chat_fact(
    store: Store,
    case_id: int,
    case_name: str,
    chat: str,
    *,
    actor: Actor,
    members: int | None = None,
    owner_posts: bool | None = None,
    note: str | None = None,
    given_by: str | None = None,
    source: str | None = None,
) -> ChatFact | None:
    """Record what a person knows about a chat; None when it repeats what stands."""
    if members is None and owner_posts is None:
        raise AnswerError("chat fact", "give a member count, whether the owner posts, or both")
    if members is not None and (
        isinstance(members, bool) or not isinstance(members, int) or members < 0
    ):
        raise AnswerError("members", f"expected a whole number of members, got {members!r}")
    key, name = resolve_chat(store, case_id, chat)
    who = _who(given_by, actor)
    note = (note or "").strip() or None
    with store.session() as s:
        current = s.scalar(
            select(CaseChatFactRow)
            .where(CaseChatFactRow.case_id == case_id, CaseChatFactRow.chat_key == key)
            .order_by(CaseChatFactRow.id.desc())
            .limit(1)
        )
        if current is not None:
            # A fact left unsaid keeps what was said before.
            members = current.member_count if members is None else members
            owner_posts = current.owner_posts if owner_posts is None else owner_posts
            if (current.member_count, current.owner_posts, current.note, current.given_by) == (
                members,
                owner_posts,
                note,
                who,
            ):
                return None
        row = CaseChatFactRow(
            case_id=case_id,
            chat_key=key,
            chat_name=name,
            member_count=members,
            owner_posts=owner_posts,
            note=note,
            given_by=who,
            source=source,
        )
        _store(s, row, actor)
        append(
            s,
            actor.event(
                "case.chat_fact",
                "case",
                case_name,
                chat=key,
                chat_name=name,
                members=members,
                owner_posts=owner_posts,
                note=note,
                given_by=who,
                source=source,
            ),
        )
        return _fact(row)


def _check_item(store: Store, case_id: int, item_id: str) -> None:
    prefix = item_id.removeprefix("img-").lower()
    if len(prefix) < 8 or any(c not in "0123456789abcdef" for c in prefix):
        raise AnswerError("item", f"{item_id!r} is not an item id such as img-3f2c9a1b0d")
    with store.session() as s:
        found = s.scalar(
            select(CaseFileRow.id)
            .where(
                CaseFileRow.case_id == case_id,
                CaseFileRow.state == "matched",
                CaseFileRow.sha256.startswith(prefix),
            )
            .limit(1)
        )
    if found is None:
        raise AnswerError(
            "item", f"no matched item {item_id} in this case (`bastion case assess` lists them)"
        )


def check_mark(
    store: Store, case_id: int, category: str, note: str | None, item_id: str | None
) -> str:
    """The mark's note, stripped, once the mark is known to be recordable."""
    if category not in PRODUCTION_CATEGORIES:
        raise AnswerError("category", f"{category!r}: production is marked with category A, B or C")
    note = (note or "").strip()
    if not note:
        raise AnswerError(
            "note",
            "a production mark needs a note saying what shows production (it is never inferred)",
        )
    if item_id:
        _check_item(store, case_id, item_id)
    return note


def mark_production(
    store: Store,
    case_id: int,
    case_name: str,
    category: str,
    note: str,
    *,
    actor: Actor,
    item_id: str | None = None,
    given_by: str | None = None,
    source: str | None = None,
) -> ProductionMark | None:
    """Record a person's mark that images were produced. None when the same mark stands."""
    note = check_mark(store, case_id, category, note, item_id)
    who = _who(given_by, actor)
    with store.session() as s:
        same = s.scalar(
            select(CaseProductionMarkRow.id).where(
                CaseProductionMarkRow.case_id == case_id,
                CaseProductionMarkRow.withdrawn_at.is_(None),
                CaseProductionMarkRow.category == category,
                CaseProductionMarkRow.note == note,
                (CaseProductionMarkRow.item_id == item_id)
                if item_id
                else CaseProductionMarkRow.item_id.is_(None),
            )
        )
        if same is not None:
            return None
        row = CaseProductionMarkRow(
            case_id=case_id,
            item_id=item_id,
            category=category,
            note=note,
            given_by=who,
            source=source,
        )
        _store(s, row, actor)
        append(
            s,
            actor.event(
                "case.production_mark",
                "case",
                case_name,
                mark=row.id,
                category=category,
                item=item_id,
                note=note,
                given_by=who,
                source=source,
            ),
        )
        return _mark(row)


def withdraw_production(
    store: Store, case_id: int, case_name: str, mark_id: int, reason: str, *, actor: Actor
) -> ProductionMark:
    reason = (reason or "").strip()
    if not reason:
        raise AnswerError("reason", "say why the mark is withdrawn")
    with store.session() as s:
        row = s.get(CaseProductionMarkRow, mark_id)
        if row is None or row.case_id != case_id:
            raise AnswerError("mark", f"no production mark {mark_id} in this case")
        if row.withdrawn_at is not None:
            raise AnswerError("mark", f"production mark {mark_id} was already withdrawn")
        row.withdrawn_at = utcnow()
        row.withdrawn_by = actor.name
        row.withdrawn_reason = reason
        append(
            s,
            actor.event(
                "case.production_withdrawn", "case", case_name, mark=mark_id, reason=reason
            ),
        )
        return _mark(row)


def _store(s, row, actor: Actor) -> None:
    """Insert what a person stated about the case, stamped with who recorded it and when (the
    caller audits it in the same transaction, naming the row's new id if it needs it)."""
    row.recorded_by = actor.name
    row.recorded_at = utcnow()
    s.add(row)
    s.flush()


def _answer(row: CaseAnswerRow) -> RecordedAnswer:
    return RecordedAnswer(
        row.id,
        row.question,
        row.value,
        row.detail,
        row.given_by,
        row.recorded_by,
        row.recorded_at,
        row.source,
    )


def _fact(row: CaseChatFactRow) -> ChatFact:
    return ChatFact(
        chat_key=row.chat_key,
        chat_name=row.chat_name,
        member_count=row.member_count,
        owner_posts=row.owner_posts,
        note=row.note,
        given_by=row.given_by,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at.isoformat(timespec="seconds"),
        source=row.source,
    )


def _mark(row: CaseProductionMarkRow) -> ProductionMark:
    return ProductionMark(
        row.id,
        row.item_id,
        row.category,
        row.note,
        row.given_by,
        row.recorded_by,
        row.recorded_at,
        row.withdrawn_at,
        row.withdrawn_by,
        row.withdrawn_reason,
        row.source,
    )


def _latest(rows: Iterable, key) -> dict:
    latest: dict = {}
    for row in rows:
        latest[key(row)] = row
    return latest


def load_user_data(store: Store, case_id: int) -> UserData:
    with store.session() as s:
        answers = [
            _answer(r)
            for r in s.scalars(
                select(CaseAnswerRow)
                .where(CaseAnswerRow.case_id == case_id)
                .order_by(CaseAnswerRow.id)
            )
        ]
        facts = [
            _fact(r)
            for r in s.scalars(
                select(CaseChatFactRow)
                .where(CaseChatFactRow.case_id == case_id)
                .order_by(CaseChatFactRow.id)
            )
        ]
        marks = [
            _mark(r)
            for r in s.scalars(
                select(CaseProductionMarkRow)
                .where(CaseProductionMarkRow.case_id == case_id)
                .order_by(CaseProductionMarkRow.id)
            )
        ]
    current = _latest(answers, lambda a: a.question)
    return UserData(
        answers=tuple(sorted(current.values(), key=lambda a: a.question)),
        answer_history=tuple(answers),
        chat_facts=_latest(facts, lambda f: f.chat_key),
        chat_history=tuple(facts),
        production=tuple(m for m in marks if m.withdrawn_at is None),
        withdrawn=tuple(m for m in marks if m.withdrawn_at is not None),
    )
