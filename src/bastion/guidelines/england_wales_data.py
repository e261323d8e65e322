"""Parse the England & Wales offence guideline data (kind "ew-iioc")."""

from __future__ import annotations

from fractions import Fraction

from bastion.guidelines.frameworks import (
    YES_NO_UNKNOWN,
    Activity,
    Category,
    Cell,
    EwFramework,
    Factor,
    GuiltyPlea,
    Note,
    Notification,
    NotificationRow,
    PleaStage,
    Question,
    SentenceScale,
    StatutoryMaximum,
)
from bastion.guidelines.schema import Parser, Table, unique
from bastion.guidelines.sentences import CUSTODY_UNITS, Sentence


class EwParser(Parser):
    def parse(self) -> EwFramework:
        info = self.parse_common()
        s = self.root.table("sentence_scale")
        scale = SentenceScale(s.strings("community_order_levels"), self.citation(s))
        s.finish()
        categories = []
        for t in self.root.tables("categories"):
            categories.append(
                Category(t.text("id"), t.integer("rank"), t.text("definition"), self.citation(t))
            )
            t.finish()
        unique((c.id for c in categories), self.root, "categories", "id")
        _ranks(self.root, "categories", [c.rank for c in categories])
        activities = []
        for t in self.root.tables("activities"):
            includes = []
            for n in t.tables("includes", optional=True):
                includes.append(Note(n.text("id"), n.text("text"), self.citation(n)))
                n.finish()
            activities.append(
                Activity(
                    t.text("id"),
                    t.integer("rank"),
                    t.text("label"),
                    tuple(includes),
                    self.citation(t),
                )
            )
            t.finish()
        unique((a.id for a in activities), self.root, "activities", "id")
        _ranks(self.root, "activities", [a.rank for a in activities])
        cells = self._cells(scale, {c.id for c in categories}, {a.id for a in activities})
        factors = self._factors(info.question_prefix)
        questions = [
            Question(f.question_id, f"Does this apply? {f.text}", YES_NO_UNKNOWN, f.citation)
            for f in factors
        ] + self.questions(info.question_prefix)
        unique((q.id for q in questions), self.root, "questions", "question id")
        framework = EwFramework(
            info=info,
            scale=scale,
            categories=tuple(sorted(categories, key=lambda c: c.rank)),
            activities=tuple(sorted(activities, key=lambda a: a.rank)),
            step1_notes=self.notes("step1_notes"),
            cells=cells,
            factors=factors,
            questions=tuple(questions),
            statutory_maxima=self._maxima(scale, {a.id for a in activities}),
            guilty_plea=self._guilty_plea(),
            notification=self._notification(),
            disclaimers=self.notes("disclaimers"),
        )
        self.root.finish()
        return framework

    def sentence(self, t: Table, key: str, scale: SentenceScale) -> Sentence:
        s = t.table(key)
        kind = s.text("kind")
        if kind == "community_order":
            level = s.text("level")
            if level not in scale.community_order_levels:
                raise s.error(
                    "level",
                    f"{level!r} is not on the scale ({', '.join(scale.community_order_levels)})",
                )
            sentence = Sentence.community_order(level, scale.community_order_levels.index(level))
        elif kind == "custody":
            amount, unit = s.integer("amount"), s.text("unit")
            if unit not in CUSTODY_UNITS or amount is None or amount <= 0:
                raise s.error("unit", f"expected a positive amount of {', '.join(CUSTODY_UNITS)}")
            sentence = Sentence.custody(amount, unit)
        else:
            raise s.error("kind", f"{kind!r}: expected 'custody' or 'community_order'")
        s.finish()
        return sentence

    def _cells(
        self, scale: SentenceScale, categories: set[str], activities: set[str]
    ) -> tuple[Cell, ...]:
        cells = []
        for t in self.root.tables("cells"):
            category, activity = t.text("category"), t.text("activity")
            if category not in categories:
                raise t.error("category", f"{category!r} is not a category")
            if activity not in activities:
                raise t.error("activity", f"{activity!r} is not an activity")
            cell = Cell(
                category=category,
                activity=activity,
                starting_point=self.sentence(t, "starting_point", scale),
                range_low=self.sentence(t, "range_low", scale),
                range_high=self.sentence(t, "range_high", scale),
                citation=self.citation(t),
            )
            if not cell.range_low <= cell.starting_point <= cell.range_high:
                raise t.error(
                    "starting_point",
                    f"{cell.starting_point} is outside the range {cell.range_text}",
                )
            t.finish()
            cells.append(cell)
        unique((f"{c.category} x {c.activity}" for c in cells), self.root, "cells", "cell")
        missing = {(c, a) for c in categories for a in activities} - {
            (c.category, c.activity) for c in cells
        }
        if missing:
            c, a = sorted(missing)[0]
            raise self.root.error("cells", f"no cell for category {c} x {a}")
        return tuple(cells)

    def _factors(self, prefix: str) -> tuple[Factor, ...]:
        factors = []
        for t in self.root.tables("factors"):
            kind = t.text("kind")
            if kind not in ("statutory_aggravating", "aggravating", "mitigating"):
                raise t.error(
                    "kind", f"{kind!r}: expected statutory_aggravating, aggravating or mitigating"
                )
            basis = self.basis(t)
            factor_id = t.text("id")
            factors.append(
                Factor(
                    id=factor_id,
                    kind=kind,  # type: ignore[arg-type]
                    basis=basis,  # type: ignore[arg-type]
                    text=t.text("text"),
                    evidenced_by=self.evidenced_by(t, basis),
                    question_id=f"{prefix}.{factor_id}",
                    citation=self.citation(t),
                )
            )
            t.finish()
        unique((f.id for f in factors), self.root, "factors", "id")
        return tuple(factors)

    def _maxima(self, scale: SentenceScale, activities: set[str]) -> tuple[StatutoryMaximum, ...]:
        maxima = []
        for t in self.root.tables("statutory_maxima"):
            applies_to = t.strings("applies_to")
            for a in applies_to:
                if a not in activities:
                    raise t.error("applies_to", f"{a!r} is not an activity")
            maxima.append(
                StatutoryMaximum(
                    id=t.text("id"),
                    offence=t.text("offence"),
                    provision=t.text("provision"),
                    applies_to=applies_to,
                    on_indictment=self.sentence(t, "on_indictment", scale),
                    summary=t.text("summary"),
                    citation=self.citation(t),
                )
            )
            t.finish()
        unique((m.id for m in maxima), self.root, "statutory_maxima", "id")
        return tuple(maxima)

    def _guilty_plea(self) -> GuiltyPlea:
        g = self.root.table("guilty_plea")
        stages = []
        for t in g.tables("stages"):
            text = t.text("max_reduction")
            try:
                fraction = Fraction(text)
            except (ValueError, ZeroDivisionError):
                raise t.error(
                    "max_reduction", f"{text!r} is not a fraction such as '1/3'"
                ) from None
            if not 0 < fraction <= 1:
                raise t.error("max_reduction", f"{text} is not between 0 and 1")
            stages.append(PleaStage(t.text("id"), t.text("stage"), fraction, self.citation(t)))
            t.finish()
        unique((s.id for s in stages), g, "stages", "id")
        plea = GuiltyPlea(g.text("applicability"), self.citation(g), tuple(stages))
        g.finish()
        return plea

    def _notification(self) -> Notification:
        n = self.root.table("notification")
        rows = []
        for t in n.tables("rows"):
            rows.append(
                NotificationRow(
                    t.text("id"), t.text("description"), t.text("period"), self.citation(t)
                )
            )
            t.finish()
        unique((r.id for r in rows), n, "rows", "id")
        notification = Notification(n.text("applicability"), self.citation(n), tuple(rows))
        n.finish()
        return notification


def _ranks(table: Table, key: str, ranks: list[int | None]) -> None:
    if sorted(r for r in ranks if r is not None) != list(range(1, len(ranks) + 1)):
        raise table.error(key, f"ranks must be 1..{len(ranks)}, each once; got {ranks}")
