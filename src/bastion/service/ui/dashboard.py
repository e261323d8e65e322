"""The dashboard: what was matched, decided, reported and delivered, as charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion import trends
from bastion.service.ui import charts
from bastion.service.ui.rendering import render
from bastion.service.ui.session import OVERSIGHT, Viewer, page

router = APIRouter(include_in_schema=False)

WINDOWS = (7, 30, 90)
CATEGORY_LABELS = {
    "A": "category A",
    "B": "category B",
    "C": "category C",
    "unknown": "uncategorised",
}
DECISION_LABELS = {
    "confirm": "confirmed",
    "false_positive": "false positive",
    "escalate": "escalated",
}


@router.get("/ui/dashboard")
def dashboard(request: Request, days: int = 30, viewer: Viewer = page(*OVERSIGHT)) -> Response:
    days = days if days in WINDOWS else 30
    view = trends.overview(request.app.state.runtime.store, days)
    m = view.matches_by_day
    v = view.verdicts_by_day
    d = view.deliveries_by_day
    figures = {
        "matches": charts.stacked_columns(m.days, m.keys, m.counts, CATEGORY_LABELS),
        "banks": charts.horizontal_bars(
            view.matches_by_bank, ("A", "B", "C", "unknown"), CATEGORY_LABELS
        ),
        "verdicts": charts.stacked_columns(v.days, v.keys, v.counts),
        "decisions": charts.horizontal_bars(
            [(DECISION_LABELS[k], {k: view.decisions.get(k, 0)}) for k in DECISION_LABELS],
            tuple(DECISION_LABELS),
            DECISION_LABELS,
            width=320,
            label_width=110,
        ),
        "queue_ages": charts.columns(view.queue_ages, "queue", "items waiting", highlight="late"),
        "review_times": charts.columns(view.review_times, "wait", "decisions"),
        "reports": charts.horizontal_bars(
            [(hotline.upper(), counts) for hotline, counts in view.reports],
            ("draft", "queued", "submitting", "acknowledged", "exported", "failed"),
            width=320,
            label_width=70,
        ),
        "outbox": charts.horizontal_bars(
            [("all jobs", view.outbox)],
            ("done", "pending", "running", "dead"),
            width=320,
            label_width=70,
        ),
        "deliveries": charts.stacked_columns(d.days, d.keys, d.counts, height=160),
    }
    return render(
        request,
        "dashboard.html",
        viewer,
        view=view,
        days=days,
        windows=WINDOWS,
        figures=figures,
        matches_total=m.total(),
        dead=view.outbox.get("dead", 0),
    )
