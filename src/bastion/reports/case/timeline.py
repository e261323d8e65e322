"""The timeline of matched references by category, as data (`buckets`) and as a chart (`svg`).

Bars above the axis count references the account received or held; bars below it count the
ones the account owner sent, posted or forwarded. The bucket (day, week, month or year) is
chosen from the span so that the chart stays readable. Plain SVG written here: no images, no
scripts, nothing fetched, and WeasyPrint draws it as it is.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from bastion.cases.evidence import Evidence

COLOURS = {"A": "#7f1d1d", "B": "#ea580c", "C": "#facc15", "unknown": "#9ca3af"}
ORDER = ("A", "B", "C", "unknown")


def _unit(first: date, last: date) -> str:
    span = (last - first).days
    if span <= 45:
        return "day"
    if span <= 240:
        return "week"
    if span <= 5 * 366:
        return "month"
    return "year"


def _start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def _next(day: date, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def _label(day: date, unit: str) -> str:
    if unit == "month":
        return day.strftime("%b %Y")
    if unit == "year":
        return str(day.year)
    return day.isoformat()


def buckets(evidence: Evidence) -> dict[str, Any]:
    """References per bucket and category, split into received/held and distributed."""
    dated = [r for r in evidence.refs if r.date is not None]
    if not dated:
        return {"unit": None, "buckets": [], "undated": len(evidence.refs)}
    days = [r.date.date() for r in dated]
    unit = _unit(min(days), max(days))
    start, end = _start(min(days), unit), _start(max(days), unit)
    table: dict[date, dict[str, dict[str, int]]] = {}
    day = start
    while day <= end:
        table[day] = {"possession": {}, "distribution": {}}
        day = _next(day, unit)
    for r in dated:
        side = "distribution" if r.distributed else "possession"
        cell = table[_start(r.date.date(), unit)][side]
        cell[r.category] = cell.get(r.category, 0) + 1
    return {
        "unit": unit,
        "buckets": [
            {"start": d.isoformat(), "label": _label(d, unit), **sides}
            for d, sides in table.items()
        ],
        "undated": len(evidence.refs) - len(dated),
    }


def _nice_max(n: int) -> int:
    """The scale's top: an even number at or above n (so its half is a whole number too)."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if n <= step * 4:
            top = step * ((n + step - 1) // step) if n else step
            return top + (top % 2)
    return n + (n % 2)


def svg(timeline: dict[str, Any], width: int = 720) -> str:
    """The chart as an inline SVG element (empty string when nothing is dated)."""
    rows = timeline["buckets"]
    if not rows:
        return ""
    top_max = max((sum(b["possession"].values()) for b in rows), default=0)
    low_max = max((sum(b["distribution"].values()) for b in rows), default=0)
    left, right, legend_h, label_h = 44, 10, 22, 30
    up_h = 150 if low_max else 190
    down_h = 90 if low_max else 0
    height = legend_h + up_h + down_h + label_h
    plot_w = width - left - right
    step = plot_w / len(rows)
    bar_w = max(min(step * 0.7, 40), 1.5)
    top_scale = _nice_max(top_max)
    low_scale = _nice_max(low_max) if low_max else 1
    axis_y = legend_h + up_h
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="DejaVu Sans, Liberation Sans, '
        f'Arial, sans-serif" font-size="9">',
        "<title>Matched references over time by category</title>",
    ]
    x = left
    for cat in ORDER:
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{COLOURS[cat]}"/>')
        out.append(
            f'<text x="{x + 14}" y="13">{"ungraded" if cat == "unknown" else "category " + cat}</text>'
        )
        x += 92
    out.append(
        f'<text x="{width - right}" y="13" text-anchor="end" fill="#374151">'
        f"per {timeline['unit']}, UTC</text>"
    )
    # Gridlines and the axis scale.
    for frac in (0.5, 1.0):
        y = axis_y - up_h * frac * 0.92
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{round(top_scale * frac):,}</text>'
        )
    if low_max:
        for frac in (0.5, 1.0):
            y = axis_y + down_h * frac * 0.85
            out.append(
                f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            )
            out.append(
                f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{round(low_scale * frac):,}</text>'
            )
    out.append(
        f'<text x="10" y="{legend_h + up_h / 2:.1f}" transform="rotate(-90 10 {legend_h + up_h / 2:.1f})" '
        'text-anchor="middle" fill="#374151">received or held</text>'
    )
    if low_max:
        out.append(
            f'<text x="10" y="{axis_y + down_h / 2:.1f}" transform="rotate(-90 10 {axis_y + down_h / 2:.1f})" '
            'text-anchor="middle" fill="#374151">sent by owner</text>'
        )
    for n, b in enumerate(rows):
        cx = left + step * n + (step - bar_w) / 2
        y = axis_y
        for cat in ORDER:
            count = b["possession"].get(cat, 0)
            if count:
                h = up_h * 0.92 * count / top_scale
                y -= h
                out.append(
                    f'<rect x="{cx:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[cat]}"><title>{escape(b["label"])}: {count} category {cat}</title></rect>'
                )
        y = axis_y
        for cat in ORDER:
            count = b["distribution"].get(cat, 0)
            if count:
                h = down_h * 0.85 * count / low_scale
                out.append(
                    f'<rect x="{cx:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[cat]}" stroke="#111827" stroke-width="0.6">'
                    f"<title>{escape(b['label'])}: {count} category {cat} sent</title></rect>"
                )
                y += h
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" stroke="#111827"/>'
    )
    every = max(1, round(len(rows) / 8))
    base = legend_h + up_h + down_h + 12
    for n, b in enumerate(rows):
        if n % every:
            continue
        cx = left + step * n + step / 2
        out.append(
            f'<text x="{cx:.1f}" y="{base}" text-anchor="middle">{escape(b["label"])}</text>'
        )
        out.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{axis_y}" y2="{axis_y + 3}" stroke="#111827"/>'
        )
    out.append("</svg>")
    return "\n".join(out)
