"""The case report as one self-contained HTML file (styles inline, the chart inline SVG, no
scripts, nothing fetched), rendered from the report document with an autoescaping Jinja2
template. The PDF is this HTML printed by WeasyPrint."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bastion.reports.case.timeline import COLOURS, svg

STATUS_LABELS = {
    "evidenced": "evidence to weigh",
    "not_evidenced": "not found in the evidence",
    "answered": "answered",
    "needs_answer": "needs an answer",
}
# How many linked ids a finding shows before pointing to the appendix.
LINKS_SHOWN = 24


def _datetime(text: str | None, seconds: bool = False) -> str:
    if not text:
        return "—"
    moment = datetime.fromisoformat(text)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " UTC"


def _date(text: str | None) -> str:
    return text[:10] if text else "—"


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _links(ids: list[str], limit: int = LINKS_SHOWN) -> Markup:
    if not ids:
        return Markup('<span class="none">none</span>')
    shown = [Markup('<a href="#{0}">{0}</a>').format(i) for i in ids[:limit]]
    more = len(ids) - limit
    tail = (
        Markup(f' <span class="more">and {more:,} more (see the appendix)</span>')
        if more > 0
        else ""
    )
    return Markup(", ").join(shown) + tail


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bastion.reports.case", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(datetime=_datetime, date=_date, number=_number, links=_links)
    env.globals.update(status_labels=STATUS_LABELS, colours=COLOURS)
    return env


def _css() -> str:
    return (files("bastion.reports.case") / "templates" / "report.css").read_text()


def render_html(document: dict[str, Any], appendix: bool = True) -> str:
    """The report as HTML. `appendix=False` leaves out the per-item appendix (for cases of
    many thousands of items, whose PDF would run to thousands of pages); the report says so and
    points to the JSON, which always lists every item."""
    chart = svg(document["timeline"])
    return (
        _environment()
        .get_template("report.html.j2")
        .render(doc=document, css=Markup(_css()), chart=Markup(chart), appendix=appendix)
    )
