"""The quarterly transparency report: per country, requests received, fulfilled, partly
fulfilled, rejected and still open, and the accounts whose data was disclosed (Telegram
publishes the same counts each quarter: privacy policy §8.3, https://t.me/transparency)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bastion.legal.requests import LegalRequest

OUTCOMES = ("fulfilled", "partial", "rejected", "pending")
LABELS = {
    "fulfilled": "fulfilled",
    "partial": "partly fulfilled",
    "rejected": "rejected",
    "pending": "in progress",
}
QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


class QuarterError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = QUARTER.match(text.strip())
        if not m:
            raise QuarterError(f"quarter {text[:20]!r} should look like 2026Q3")
        year = int(m.group(1))
        if not 1970 <= year <= 9998:
            raise QuarterError(f"quarter {text[:20]!r}: the year must be between 1970 and 9998")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, when: datetime) -> Quarter:
        return cls(when.year, (when.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        if self.number == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, 3 * self.number + 1, 1, tzinfo=UTC)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass(frozen=True, slots=True)
class CountryRow:
    country: str
    received: int
    fulfilled: int
    partial: int
    rejected: int
    pending: int
    accounts_affected: int


@dataclass(frozen=True, slots=True)
class Report:
    quarter: str
    start: str
    end: str
    countries: tuple[CountryRow, ...]
    total: CountryRow


def report(quarter: Quarter, received: Sequence[LegalRequest]) -> Report:
    """Counts over the requests received in the quarter, by their outcome today. "Accounts
    affected" counts distinct accounts whose data was disclosed."""
    by_country: dict[str, list[LegalRequest]] = {}
    for r in received:
        by_country.setdefault(r.intake.country, []).append(r)
    rows = tuple(_row(c, rs) for c, rs in sorted(by_country.items()))
    return Report(
        str(quarter),
        quarter.start.date().isoformat(),
        quarter.end.date().isoformat(),
        rows,
        _row("all", list(received)),
    )


def _row(country: str, requests: Sequence[LegalRequest]) -> CountryRow:
    outcomes = [r.outcome for r in requests]
    affected = {
        (r.production.scope.platform, a)
        for r in requests
        if r.production is not None and r.outcome in ("fulfilled", "partial")
        for a in r.production.scope.accounts
    }
    return CountryRow(country, len(requests), *(outcomes.count(o) for o in OUTCOMES), len(affected))


def as_json(rep: Report) -> str:
    return json.dumps(asdict(rep), indent=2)


def as_csv(rep: Report) -> str:
    out = io.StringIO()
    fields = list(CountryRow.__slots__)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["quarter", *fields])
    for row in (*rep.countries, rep.total):
        writer.writerow([rep.quarter, *(getattr(row, f) for f in fields)])
    return out.getvalue()


def chart(rep: Report):
    """Requests per country by outcome, for the UI and the HTML report."""
    from bastion.service.ui.charts import horizontal_bars

    return horizontal_bars(
        [(c.country, {o: getattr(c, o) for o in OUTCOMES}) for c in rep.countries],
        OUTCOMES,
        LABELS,
    )


def as_html(rep: Report) -> str:
    return TEMPLATES.get_template("transparency.html").render(
        report=rep, chart=chart(rep), labels=LABELS, outcomes=OUTCOMES
    )


def render(rep: Report, fmt: str) -> str:
    renderers = {"json": as_json, "csv": as_csv, "html": as_html}
    if fmt not in renderers:
        raise QuarterError(f"format must be one of {', '.join(renderers)}")
    return renderers[fmt](rep)
