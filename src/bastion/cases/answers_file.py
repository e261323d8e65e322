"""An answers file (YAML or JSON): people's answers, chat facts and production marks, given
non-interactively. The whole file is checked before anything is recorded.

```yaml
given_by: Jane Doe, defence solicitor      # who gave everything below (each entry may override)
answers:
  ew.previous-convictions: no
  ew.remorse: {value: unknown, detail: not yet instructed}
chats:
  - chat: Harbour Notices                  # the chat's name or id
    members: 5000
    owner_posts: yes                       # the owner posts in it as the channel (an admin)
    note: channel info page, exhibit JD/3
production:
  - category: B
    item: img-3f2c9a1b0d                   # optional
    note: the defendant's camera roll holds the original
```

YAML reads bare `yes` and `no` as booleans; they are taken back to "yes" and "no" here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion.audit import Actor
from bastion.cases.answers import (
    AnswerError,
    check_answer,
    check_mark,
    mark_production,
    record_answer,
    record_chat_fact,
    resolve_chat,
)
from bastion.store.db import Store


@dataclass(frozen=True, slots=True)
class Applied:
    answers: int
    chats: int
    production: int
    unchanged: int
    source: str


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int) and str(value).strip():
        return str(value).strip()
    raise AnswerError(where, f"expected text, got {value!r}")


def _optional(entry: dict, key: str, where: str) -> str | None:
    return _text(entry[key], f"{where}.{key}") if entry.get(key) not in (None, "") else None


def _yes_no(value: Any, where: str) -> bool | None:
    if value is None:
        return None
    text = _text(value, where).lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    raise AnswerError(where, f"expected yes or no, got {value!r}")


def read(path: Path) -> tuple[dict, str]:
    """The file's content and a source line naming it with its SHA-256."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswerError(str(path), f"cannot read it: {exc.strerror or exc}") from None
    source = f"answers file {path.name} (sha256 {hashlib.sha256(raw).hexdigest()})"
    text = raw.decode("utf-8", errors="replace")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnswerError(f"{path}:{exc.lineno}", f"not valid JSON ({exc.msg})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise AnswerError(
                f"{path}{line}", f"not valid YAML ({getattr(exc, 'problem', exc)})"
            ) from None
    if not isinstance(data, dict):
        raise AnswerError(str(path), "expected a mapping with answers, chats and/or production")
    unknown = set(data) - {"given_by", "answers", "chats", "production"}
    if unknown:
        raise AnswerError(
            str(path),
            f"unknown keys {', '.join(sorted(map(str, unknown)))}: expected given_by, answers, chats, production",
        )
    return data, source


def apply(store: Store, case_id: int, case_name: str, path: Path, actor: Actor) -> Applied:
    """Check every entry of the file, then record them (each as `record_*` does)."""
    data, source = read(path)
    default_by = _optional(data, "given_by", "given_by")
    answers = data.get("answers") or {}
    chats = data.get("chats") or []
    production = data.get("production") or []
    if not isinstance(answers, dict):
        raise AnswerError("answers", "expected a mapping of question id to answer")
    if not isinstance(chats, list) or not isinstance(production, list):
        raise AnswerError("chats/production", "expected lists of entries")

    planned_answers = []
    for question, entry in answers.items():
        where = f"answers.{question}"
        if not isinstance(entry, dict):
            entry = {"value": entry}
        value = check_answer(str(question), _text(entry.get("value"), f"{where}.value"), where)
        planned_answers.append(
            (
                str(question),
                value,
                _optional(entry, "detail", where),
                _optional(entry, "given_by", where) or default_by,
            )
        )
    planned_chats = []
    for n, entry in enumerate(chats):
        where = f"chats[{n}]"
        if not isinstance(entry, dict) or "chat" not in entry:
            raise AnswerError(where, "expected a mapping with `chat` (its name or id)")
        chat = _text(entry["chat"], f"{where}.chat")
        resolve_chat(store, case_id, chat)
        members = entry.get("members")
        if members is None and entry.get("owner_posts") is None:
            raise AnswerError(where, "give members, owner_posts, or both")
        if members is not None and (
            isinstance(members, bool) or not isinstance(members, int) or members < 0
        ):
            raise AnswerError(f"{where}.members", f"expected a whole number, got {members!r}")
        planned_chats.append(
            (
                chat,
                members,
                _yes_no(entry.get("owner_posts"), f"{where}.owner_posts"),
                _optional(entry, "note", where),
                _optional(entry, "given_by", where) or default_by,
            )
        )
    planned_marks = []
    for n, entry in enumerate(production):
        where = f"production[{n}]"
        if not isinstance(entry, dict):
            raise AnswerError(where, "expected a mapping with category and note")
        category = _text(entry.get("category"), f"{where}.category")
        note, item = _optional(entry, "note", where), _optional(entry, "item", where)
        try:
            check_mark(store, case_id, category, note, item)
        except AnswerError as exc:
            raise AnswerError(f"{where}.{exc.where}", exc.problem) from None
        planned_marks.append(
            (category, note or "", item, _optional(entry, "given_by", where) or default_by)
        )

    counts = {"answers": 0, "chats": 0, "production": 0, "unchanged": 0}
    for question, value, detail, who in planned_answers:
        done = record_answer(
            store, case_id, case_name, question, value,
            actor=actor, given_by=who, detail=detail, source=source,
        )  # fmt: skip
        counts["answers" if done else "unchanged"] += 1
    for chat, members, owner_posts, note, who in planned_chats:
        done = record_chat_fact(
            store, case_id, case_name, chat,
            actor=actor, members=members, owner_posts=owner_posts, note=note,
            given_by=who, source=source,
        )  # fmt: skip
        counts["chats" if done else "unchanged"] += 1
    for category, note, item, who in planned_marks:
        done = mark_production(
            store, case_id, case_name, category, note,
            actor=actor, item_id=item, given_by=who, source=source,
        )  # fmt: skip
        counts["production" if done else "unchanged"] += 1
    return Applied(source=source, **counts)
