"""Parse the USSG §2G2.2 data (kind "ussg-2g2-2"), including the Sentencing Table."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from bastion.guidelines.frameworks import (
    YES_NO_UNKNOWN,
    BaseLevel,
    Characteristic,
    ImageCounting,
    ImageTier,
    Question,
    SentencingTable,
    TableRange,
    UsFramework,
)
from bastion.guidelines.schema import Parser, Table, unique


class UsParser(Parser):
    def parse(self) -> UsFramework:
        info = self.parse_common()
        prefix = info.question_prefix
        bases = []
        for t in self.root.tables("base_levels"):
            when = t.text("when_answer")
            if when not in ("yes", "no"):
                raise t.error("when_answer", f"{when!r}: expected 'yes' or 'no'")
            bases.append(
                BaseLevel(t.text("id"), t.integer("level"), when, t.text("text"), self.citation(t))
            )
            t.finish()
        unique((b.id for b in bases), self.root, "base_levels", "id")
        unique((b.when_answer for b in bases), self.root, "base_levels", "when_answer")
        characteristics = self._characteristics(prefix, {b.id for b in bases})
        counting = self.root.table("image_counting")
        image_counting = ImageCounting(
            counting.text("still_text"),
            counting.text("video_text"),
            counting.integer("images_per_video"),
            self.citation(counting),
        )
        counting.finish()
        if image_counting.images_per_video < 1:
            raise counting.error("images_per_video", "must be at least 1")
        questions = [
            Question(c.question_id, f"Does this apply? {c.text}", YES_NO_UNKNOWN, c.citation)
            for c in characteristics
        ] + self.questions(prefix)
        unique((q.id for q in questions), self.root, "questions", "question id")
        framework = UsFramework(
            info=info,
            base_levels=tuple(bases),
            characteristics=characteristics,
            image_tiers=self._tiers(),
            image_counting=image_counting,
            questions=tuple(questions),
            table=self._table(),
            notes=self.notes("notes"),
            disclaimers=self.notes("disclaimers"),
        )
        self.root.finish()
        return framework

    def _characteristics(self, prefix: str, bases: set[str]) -> tuple[Characteristic, ...]:
        out = []
        for t in self.root.tables("characteristics"):
            basis = self.basis(t)
            requires_base = t.text("requires_base", optional=True)
            if requires_base and requires_base not in bases:
                raise t.error("requires_base", f"{requires_base!r} is not a base level")
            cid = t.text("id")
            out.append(
                Characteristic(
                    id=cid,
                    levels=t.integer("levels"),
                    basis=basis,  # type: ignore[arg-type]
                    text=t.text("text"),
                    group=t.text("group", optional=True),
                    minimum=t.boolean("minimum", optional=True),
                    requires_base=requires_base,
                    evidenced_by=self.evidenced_by(t, basis),
                    question_id=f"{prefix}.{cid}",
                    citation=self.citation(t),
                )
            )
            t.finish()
        unique((c.id for c in out), self.root, "characteristics", "id")
        return tuple(out)

    def _tiers(self) -> tuple[ImageTier, ...]:
        tiers = []
        for t in self.root.tables("image_tiers"):
            tiers.append(
                ImageTier(
                    id=t.text("id"),
                    min_images=t.integer("min_images"),
                    max_images=t.integer("max_images", optional=True),
                    levels=t.integer("levels"),
                    text=t.text("text"),
                    citation=self.citation(t),
                )
            )
            t.finish()
        unique((t.id for t in tiers), self.root, "image_tiers", "id")
        tiers.sort(key=lambda tier: tier.min_images)
        for lower, upper in pairwise(tiers):
            if lower.max_images is None or lower.max_images + 1 != upper.min_images:
                raise self.root.error(
                    "image_tiers", f"{lower.id} and {upper.id} are not contiguous"
                )
        if tiers[0].min_images < 1 or tiers[-1].max_images is not None:
            raise self.root.error(
                "image_tiers", "tiers must start at 1 image or more and the last must be open-ended"
            )
        return tuple(tiers)

    def _table(self) -> SentencingTable:
        t = self.root.table("sentencing_table")
        categories = t.strings("categories")
        low, high = t.integer("min_level"), t.integer("max_level")
        rows = []
        for r in t.tables("rows"):
            level = r.integer("level")
            ranges = r.items("ranges")
            if len(ranges) != len(categories):
                raise r.error("ranges", f"expected {len(categories)} ranges, got {len(ranges)}")
            rows.append((level, tuple(_table_range(r, text) for text in ranges)))
            r.finish()
        if [level for level, _ in rows] != list(range(low, high + 1)):
            raise t.error(
                "rows", f"expected one row for each offense level {low}..{high}, in order"
            )
        table = SentencingTable(
            categories, low, high, t.text("clamp_note"), tuple(rows), self.citation(t)
        )
        t.finish()
        return table


def _table_range(row: Table, text: Any) -> TableRange:
    if not isinstance(text, str):
        raise row.error("ranges", f"expected text such as '27-33', got {text!r}")
    if text == "life":
        return TableRange(None, None)
    low, _, high = text.partition("-")
    try:
        low_months = int(low)
        high_months = None if high == "life" else int(high)
    except ValueError:
        raise row.error("ranges", f"{text!r} is not 'N-M', 'N-life' or 'life'") from None
    if high_months is not None and high_months < low_months:
        raise row.error("ranges", f"{text!r} has its top below its bottom")
    return TableRange(low_months, high_months)
