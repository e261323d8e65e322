"""What people add to a case (answers, chat facts, production marks): stored with who gave it
and when, superseded not overwritten, written to the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from bastion import audit
from bastion.audit import Actor
from bastion.cases import answers_file
from bastion.cases.answers import (
    AnswerError,
    load_user_data,
    mark_production,
    record_answer,
    record_chat_fact,
    withdraw_production,
)
from bastion.store.models import (
    AuditRow,
    Base,
    CaseAnswerRow,
    CaseFileRow,
    CaseItemRow,
    CaseRow,
)
from bastion.store.types import utcnow

ACTOR = Actor("cli:tester@host", "operator")
SHA = "3f2c9a1b0d" + "0" * 54


@pytest.fixture
def case(store) -> int:
    """A small recorded case: two chats and one matched file (no scan needed for these rules)."""
    now = utcnow()
    with store.session() as s:
        row = CaseRow(
            name="c1", status="complete", source_path="/x", source_kind="telegram_json",
            banks=[], settings={}, tool_version="0.1.0", operator="tester",
            created_at=now, started_at=now, runs=1,
        )  # fmt: skip
        s.add(row)
        s.flush()
        for n, (chat_id, name) in enumerate([("555", "Harbour Notices"), ("777", "Walkers")]):
            s.add(
                CaseItemRow(
                    case_id=row.id,
                    seq=n,
                    ref=f"r{n}",
                    key=f"k{n}",
                    source_status="available",
                    media_kind="photo",
                    chat_id=chat_id,
                    chat_name=name,
                    chat_type="public_channel",
                )
            )
        s.add(
            CaseFileRow(
                case_id=row.id,
                key="k0",
                state="matched",
                sha256=SHA,
                moving=False,
                category="B",
                hashed_at=now,
            )
        )
        return row.id


def test_an_answer_is_stored_with_who_gave_it_and_when(store, case) -> None:
    done = record_answer(store, case, "c1", "ew.remorse", "unknown", actor=ACTOR,
                         given_by="Jane Doe, defence solicitor", detail="not yet instructed")  # fmt: skip
    user = load_user_data(store, case)
    (answer,) = user.answers
    assert (answer.question, answer.value, answer.given_by) == (
        "ew.remorse",
        "unknown",
        "Jane Doe, defence solicitor",
    )
    assert answer.recorded_by == ACTOR.name and answer.recorded_at is not None
    assert done.id == answer.id


def test_a_later_answer_supersedes_and_the_history_stays(store, case) -> None:
    record_answer(store, case, "c1", "ew.remorse", "unknown", actor=ACTOR, given_by="A")
    record_answer(store, case, "c1", "ew.remorse", "yes", actor=ACTOR, given_by="B")
    user = load_user_data(store, case)
    assert [a.value for a in user.answers] == ["yes"]
    assert [a.value for a in user.answer_history] == ["unknown", "yes"]


def test_repeating_the_standing_answer_records_nothing(store, case) -> None:
    record_answer(store, case, "c1", "ew.remorse", "no", actor=ACTOR, given_by="A")
    assert record_answer(store, case, "c1", "ew.remorse", "no", actor=ACTOR, given_by="A") is None
    with store.session() as s:
        assert len(s.scalars(select(CaseAnswerRow)).all()) == 1


def test_every_answer_is_in_the_audit_trail_and_the_chain_holds(store, case) -> None:
    record_answer(store, case, "c1", "ew.remorse", "no", actor=ACTOR, given_by="Jane Doe")
    record_chat_fact(store, case, "c1", "Harbour Notices", actor=ACTOR, members=5000)
    mark_production(store, case, "c1", "B", "camera roll", actor=ACTOR)
    with store.session() as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        actions = [(r.action, r.target_id, r.actor) for r in rows]
        remorse = rows[0].details
    assert actions == [
        ("case.answer", "c1", ACTOR.name),
        ("case.chat_fact", "c1", ACTOR.name),
        ("case.production_mark", "c1", ACTOR.name),
    ]
    assert remorse["question"] == "ew.remorse" and remorse["given_by"] == "Jane Doe"
    assert audit.verify(store).ok


@pytest.mark.parametrize(
    ("question", "value", "said"),
    [
        ("ew.nonsense", "yes", "not a question"),
        ("ew.remorse", "maybe", "expected one of yes, no, unknown"),
        ("ew.production", "A", "mark-production"),
    ],
)
def test_a_bad_answer_is_refused_with_what_to_do(store, case, question, value, said) -> None:
    with pytest.raises(AnswerError, match=said):
        record_answer(store, case, "c1", question, value, actor=ACTOR)


def test_a_chat_is_named_by_its_id_or_name_and_an_unknown_one_lists_the_chats(store, case) -> None:
    fact = record_chat_fact(store, case, "c1", "555", actor=ACTOR, members=12)
    assert (fact.chat_key, fact.chat_name) == ("555", "Harbour Notices")
    with pytest.raises(AnswerError, match="'Walkers'"):
        record_chat_fact(store, case, "c1", "Nowhere", actor=ACTOR, members=3)


def test_a_chat_fact_left_unsaid_keeps_what_was_said_before(store, case) -> None:
    record_chat_fact(store, case, "c1", "Walkers", actor=ACTOR, members=40, given_by="DC A")
    record_chat_fact(store, case, "c1", "Walkers", actor=ACTOR, owner_posts=True, given_by="DC A")
    fact = load_user_data(store, case).chat_facts["777"]
    assert (fact.member_count, fact.owner_posts) == (40, True)


def test_production_needs_a_note_and_a_category(store, case) -> None:
    with pytest.raises(AnswerError, match="never inferred"):
        mark_production(store, case, "c1", "A", "  ", actor=ACTOR)
    with pytest.raises(AnswerError, match="A, B or C"):
        mark_production(store, case, "c1", "D", "note", actor=ACTOR)


def test_production_marks_an_item_of_the_case_or_is_refused(store, case) -> None:
    mark = mark_production(store, case, "c1", "B", "original on the phone", actor=ACTOR,
                           item_id="img-3f2c9a1b0d")  # fmt: skip
    assert mark.item_id == "img-3f2c9a1b0d"
    with pytest.raises(AnswerError, match="no matched item"):
        mark_production(store, case, "c1", "B", "x", actor=ACTOR, item_id="img-ffffffffff")


def test_a_withdrawn_mark_stops_counting_and_keeps_its_reason(store, case) -> None:
    mark = mark_production(store, case, "c1", "A", "camera roll", actor=ACTOR)
    withdraw_production(store, case, "c1", mark.id, "wrong device", actor=ACTOR)
    user = load_user_data(store, case)
    assert user.production == () and user.withdrawn[0].withdrawn_reason == "wrong device"


def test_an_answers_file_records_answers_chats_and_marks_with_its_sha256(
    store, case, tmp_path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "given_by: Jane Doe, defence solicitor\n"
        "answers:\n"
        "  ew.previous-convictions: no\n"  # YAML reads a bare no as false
        "  ew.remorse: {value: unknown, detail: not yet instructed, given_by: Counsel}\n"
        "chats:\n"
        "  - {chat: Harbour Notices, members: 5000, owner_posts: yes, note: exhibit JD/3}\n"
        "production:\n"
        "  - {category: C, note: the camera roll holds the original}\n"
    )
    applied = answers_file.apply(store, case, "c1", path, ACTOR)
    assert (applied.answers, applied.chats, applied.production) == (2, 1, 1)
    user = load_user_data(store, case)
    answers = {a.question: (a.value, a.given_by) for a in user.answers}
    assert answers == {
        "ew.previous-convictions": ("no", "Jane Doe, defence solicitor"),
        "ew.remorse": ("unknown", "Counsel"),
    }
    assert user.chat_facts["555"].owner_posts is True
    assert user.sources and "sha256" in user.sources[0]
    again = answers_file.apply(store, case, "c1", path, ACTOR)
    assert again.unchanged == 4


def test_an_answers_file_with_one_bad_entry_records_nothing(store, case, tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(
        '{"answers": {"ew.remorse": "no"}, "chats": [{"chat": "Nowhere", "members": 3}]}'
    )
    with pytest.raises(AnswerError, match="no chat 'Nowhere'"):
        answers_file.apply(store, case, "c1", path, ACTOR)
    assert load_user_data(store, case).answer_history == ()


def test_a_malformed_answers_file_names_its_line(store, case, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("answers:\n  ew.remorse: [unclosed\n")
    with pytest.raises(AnswerError, match=r"answers.yaml:\d+"):
        answers_file.apply(store, case, "c1", path, ACTOR)


def test_the_migrated_schema_matches_the_models_for_case_answers(store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = ("case_answers", "case_chat_facts", "case_production_marks")
    assert [d for d in diff if any(t in str(d) for t in ours)] == []
