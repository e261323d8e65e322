"""Chart geometry for server-rendered inline SVG: pure functions, no JavaScript.

A chart is a list of rectangles with a colour key and a tooltip, axis ticks and a legend; the
template draws them (templates/partials/chart.html) and the stylesheet colours each key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

LEFT, RIGHT, TOP, BOTTOM = 40.0, 8.0, 10.0, 24.0


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    key: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    y: float
    label: str
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]  # (key, label with total)
    grid: tuple[float, ...]  # y of horizontal grid lines
    empty: bool
    horizontal: bool = False


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _label(n: float) -> str:
    return f"{n:,.0f}"


def stacked_columns(
    days: Sequence[date],
    keys: Sequence[str],
    counts: dict[date, dict[str, int]],
    labels: dict[str, str] | None = None,
    width: int = 640,
    height: int = 200,
) -> Chart:
    """One column per day, stacked by key in the order given (first at the bottom)."""
    labels = labels or {}
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    totals = [sum(counts.get(d, {}).get(k, 0) for k in keys) for d in days]
    top = nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(days))
    bar_w = max(1.0, slot * 0.72)
    bars = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = TOP + plot_h
        for key in keys:
            n = counts.get(day, {}).get(key, 0)
            if n <= 0:
                continue
            h = plot_h * n / top
            base -= h
            bars.append(Bar(x, base, bar_w, h, key, f"{day:%d %b}: {n:,} {labels.get(key, key)}"))
    every = max(1, math.ceil(len(days) / max(2, plot_w // 72)))  # labels ~72 px apart
    x_ticks = tuple(
        Tick(LEFT + i * slot + slot / 2, height - 6, f"{d:%d %b}")
        for i, d in enumerate(days)
        if (len(days) - 1 - i) % every == 0
    )
    y_ticks, grid = _y_axis(top, plot_h)
    legend = tuple(
        (k, f"{labels.get(k, k)} ({sum(counts.get(d, {}).get(k, 0) for d in days):,})")
        for k in keys
    )
    return Chart(width, height, tuple(bars), x_ticks, y_ticks, legend, grid, sum(totals) == 0)


def _y_axis(top: float, plot_h: float) -> tuple[tuple[Tick, ...], tuple[float, ...]]:
    steps = 4
    ticks, grid = [], []
    for j in range(steps + 1):
        value = top * j / steps
        y = TOP + plot_h - plot_h * j / steps
        grid.append(y)
        if value == int(value):
            ticks.append(Tick(LEFT - 6, y + 4, _label(value), "end"))
    return tuple(ticks), tuple(grid)


def horizontal_bars(
    rows: Sequence[tuple[str, dict[str, int]]],
    keys: Sequence[str],
    labels: dict[str, str] | None = None,
    width: int = 640,
    row_height: int = 26,
    label_width: float = 150.0,
) -> Chart:
    """One bar per row (e.g. per bank or hotline), stacked by key, labelled on the left."""
    labels = labels or {}
    rows = list(rows)
    all_keys = list(keys) + sorted({k for _, c in rows for k in c} - set(keys))
    height = int(TOP + max(1, len(rows)) * row_height + 8)
    plot_w = width - label_width - RIGHT - 48
    top = nice_max(max((sum(c.values()) for _, c in rows), default=0))
    bars, ticks = [], []
    for i, (name, counts) in enumerate(rows):
        y = TOP + i * row_height + 4
        x = label_width
        for key in all_keys:
            n = counts.get(key, 0)
            if n <= 0:
                continue
            w = plot_w * n / top
            bars.append(Bar(x, y, w, row_height - 10, key, f"{name}: {n:,} {labels.get(key, key)}"))
            x += w
        middle = y + (row_height - 10) / 2 + 4
        ticks.append(Tick(label_width - 8, middle, name, "end"))
        ticks.append(Tick(x + 6, middle, f"{sum(counts.values()):,}", "start"))
    legend = tuple(
        (k, f"{labels.get(k, k)} ({sum(c.get(k, 0) for _, c in rows):,})")
        for k in all_keys
        if any(c.get(k, 0) for _, c in rows) or k in keys
    )
    return Chart(width, height, tuple(bars), (), tuple(ticks), legend, (), not rows, True)


def columns(
    rows: Sequence[tuple[str, int]],
    key: str,
    unit: str,
    width: int = 320,
    height: int = 160,
    highlight: str | None = None,
) -> Chart:
    """A simple histogram: one labelled column per bucket (e.g. waiting-time buckets)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = nice_max(max((n for _, n in rows), default=0))
    slot = plot_w / max(1, len(rows))
    bar_w = slot * 0.6
    bars, x_ticks = [], []
    for i, (label, n) in enumerate(rows):
        x = LEFT + i * slot + (slot - bar_w) / 2
        h = plot_h * n / top
        bar_key = highlight if highlight and i == len(rows) - 1 and n else key
        if n:
            bars.append(Bar(x, TOP + plot_h - h, bar_w, h, bar_key, f"{label}: {n:,} {unit}"))
        x_ticks.append(Tick(LEFT + i * slot + slot / 2, height - 6, label))
    y_ticks, grid = _y_axis(top, plot_h)
    empty = not any(n for _, n in rows)
    return Chart(width, height, tuple(bars), tuple(x_ticks), y_ticks, (), grid, empty)
