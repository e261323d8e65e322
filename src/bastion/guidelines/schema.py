"""Reading one TOML data file field by field: typed access with the path of every field in
error messages, rejection of unknown keys, and what every framework kind shares (sources,
citations, notes, questions, evidence features)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from bastion.guidelines.citation import Citation, Document, Source
from bastion.guidelines.errors import GuidelineDataError
from bastion.guidelines.facts import FEATURES
from bastion.guidelines.frameworks import FrameworkInfo, Note, Question


class Table:
    """One TOML table and its path, handing out typed fields and remembering which keys were
    read so that `finish()` can reject unknown ones."""

    def __init__(self, data: Any, file: str, path: str) -> None:
        if not isinstance(data, dict):
            raise GuidelineDataError(file, path or "(file)", "expected a table")
        self.data = data
        self.file = file
        self.path = path
        self.used: set[str] = set()

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> GuidelineDataError:
        return GuidelineDataError(self.file, self.field(key), problem)

    def _get(self, key: str, kinds: type | tuple[type, ...], what: str, optional: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if optional:
                return None
            raise self.error(key, f"missing (expected {what})")
        value = self.data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            raise self.error(key, f"expected {what}, got {type(value).__name__}")
        return value

    def peek_text(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    def text(self, key: str, optional: bool = False) -> str:
        value = self._get(key, str, "text", optional)
        if value is None:
            return ""
        if not value.strip():
            raise self.error(key, "is empty")
        return value

    def integer(self, key: str, optional: bool = False) -> int | None:
        return self._get(key, int, "an integer", optional)

    def boolean(self, key: str, optional: bool = False) -> bool:
        return bool(self._get(key, bool, "true or false", optional))

    def day(self, key: str) -> date:
        return self._get(key, date, "a date (YYYY-MM-DD)", False)

    def strings(self, key: str, optional: bool = False) -> tuple[str, ...]:
        values = self._get(key, list, "a list of text", optional) or []
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise self.error(key, "expected a list of non-empty text")
        if len(set(values)) != len(values):
            raise self.error(key, "has duplicates")
        return tuple(values)

    def items(self, key: str) -> list[Any]:
        return self._get(key, list, "a list", False)

    def table(self, key: str) -> Table:
        return Table(self._get(key, dict, "a table", False), self.file, self.field(key))

    def tables(self, key: str, optional: bool = False) -> list[Table]:
        values = self._get(key, list, "a list of tables", optional) or []
        if not values and not optional:
            raise self.error(key, "is empty")
        return [Table(v, self.file, f"{self.field(key)}[{i}]") for i, v in enumerate(values)]

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(unknown[0], "unknown key (a typo?)")


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def unique(items: Iterable[str], table: Table, key: str, what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise table.error(key, f"{what} {item!r} appears twice")
        seen.add(item)


class Parser:
    """What both framework kinds share: sources, citations, info, notes, questions."""

    def __init__(self, root: Table) -> None:
        self.root = root
        self.documents: dict[str, Document] = {}

    def parse_common(self) -> FrameworkInfo:
        sources = self.root.table("sources")
        for doc_id in sources.data:
            t = sources.table(doc_id)
            self.documents[doc_id] = Document(
                id=doc_id,
                title=t.text("title"),
                url=t.text("url"),
                consulted=t.day("consulted"),
                version=t.text("version"),
            )
            t.finish()
        sources.finish()
        f = self.root.table("framework")
        info = FrameworkInfo(
            id=f.text("id"),
            kind=f.text("kind"),
            question_prefix=f.text("question_prefix"),
            jurisdiction=f.text("jurisdiction"),
            title=f.text("title"),
            issuer=f.text("issuer"),
            edition=f.text("edition"),
            in_force=f.day("in_force"),
            citation=self.citation(f),
            documents=tuple(self.documents.values()),
        )
        f.finish()
        return info

    def citation(self, t: Table) -> Citation:
        s = t.table("source")
        doc_id = s.text("doc")
        if doc_id not in self.documents:
            raise s.error("doc", f"{doc_id!r} is not in [sources]")
        source = Source(self.documents[doc_id], s.text("at"))
        s.finish()
        see_also = t.strings("see_also", optional=True)
        for other in see_also:
            if other not in self.documents:
                raise t.error("see_also", f"{other!r} is not in [sources]")
        return Citation(
            source=source,
            verified=t.boolean("verified"),
            note=t.text("note"),
            see_also=tuple(self.documents[d] for d in see_also),
        )

    def notes(self, key: str, optional: bool = False) -> tuple[Note, ...]:
        notes = []
        for t in self.root.tables(key, optional):
            notes.append(Note(id=t.text("id"), text=t.text("text"), citation=self.citation(t)))
            t.finish()
        unique((n.id for n in notes), self.root, key, "id")
        return tuple(notes)

    def questions(self, prefix: str) -> list[Question]:
        questions = []
        for t in self.root.tables("questions"):
            values = t.strings("values")
            questions.append(
                Question(f"{prefix}.{t.text('id')}", t.text("text"), values, self.citation(t))
            )
            t.finish()
        return questions

    def evidenced_by(self, t: Table, basis: str) -> tuple[str, ...]:
        features = t.strings("evidenced_by", optional=True)
        for feature in features:
            if feature not in FEATURES:
                raise t.error(
                    "evidenced_by",
                    f"{feature!r} is not an evidence feature ({', '.join(FEATURES)})",
                )
        if basis == "evidence" and not features:
            raise t.error("evidenced_by", "an evidence-basis datum must name its evidence features")
        if basis == "user" and features:
            raise t.error("evidenced_by", "a user-basis datum takes no evidence features")
        return features

    def basis(self, t: Table) -> str:
        basis = t.text("basis")
        if basis not in ("evidence", "user"):
            raise t.error("basis", f"{basis!r}: expected 'evidence' or 'user'")
        return basis
