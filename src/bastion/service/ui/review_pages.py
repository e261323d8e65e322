"""The review queue and one item: blurred by default, revealed only on purpose, decided fast.

An item's picture is a server-side blurred greyscale preview until the reviewer reveals it. A
reveal is recorded (and limited per day) by `review.reveal`, which hands back a single-use
ticket; the page shows the ticket's rendering for `reveal_seconds`, then asks for the preview
again. Decisions post through htmx and the next item in the queue takes the current one's place.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from bastion import audit, history, review
from bastion.service.ui import pictures
from bastion.service.ui.rendering import SECURITY_HEADERS, is_htmx, render
from bastion.service.ui.session import REVIEWERS, Viewer, page
from bastion.vault import VaultError

router = APIRouter(include_in_schema=False)

CHOICES = {
    "confirm:A": ("confirm", "A"),
    "confirm:B": ("confirm", "B"),
    "confirm:C": ("confirm", "C"),
    "false_positive": ("false_positive", None),
    "escalate": ("escalate", None),
}
SHORTCUTS = (
    ("R", "reveal for a few seconds"),
    ("C", "reveal in colour (toggle)"),
    ("H", "hide now"),
    ("1 / 2 / 3", "confirm as category A / B / C"),
    ("F", "false positive (allow-list it)"),
    ("E", "escalate to a senior reviewer"),
    ("J / K", "next / previous item"),
    ("N", "focus the note"),
)


@dataclass(frozen=True, slots=True)
class Wellness:
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.limit)) if self.limit else 100


def _wellness(store, viewer: Viewer) -> Wellness:
    return Wellness(review.reveals_today(store, viewer.user), review.reveal_limit(viewer.user))


def _evidence_state(record: history.MatchRecord) -> tuple[str, str]:
    """(state, explanation) of what can be shown for an item."""
    if record.content is None:
        return (
            "none",
            "Hash lookup: the platform sent hashes only, so Bastion never held this file. "
            "Decide from the match and its context.",
        )
    ev = record.evidence
    if ev is None:
        why = (
            "This match was raised retroactively, after the upload had been allowed, so its "
            "bytes were not kept."
            if record.match.retroactive
            else "The upload's verdict did not call for preserving it, so its bytes were not kept."
        )
        return "none", "No evidence is held for this content. " + why
    if ev.purged_at is not None:
        return "none", f"The evidence was purged on {ev.purged_at:%Y-%m-%d} (retention ended)."
    if record.content.format is None:
        return (
            "none",
            "The preserved file is not a picture Bastion can show; it matched by its hashes.",
        )
    return "blurred", ""


def _positions(store, sighting_id: int) -> tuple[int | None, int | None, int, int | None]:
    """(previous, next, queue size, 1-based position) in queue order."""
    ids = review.queue_ids(store)
    if sighting_id not in ids:
        return None, (ids[0] if ids else None), len(ids), None
    i = ids.index(sighting_id)
    previous = ids[i - 1] if i > 0 else None
    following = ids[i + 1] if i + 1 < len(ids) else None
    return previous, following, len(ids), i + 1


def _record(store, sighting_id: int) -> tuple[review.QueueItem, history.MatchRecord] | None:
    try:
        item = review.item(store, sighting_id)
    except review.ReviewError:
        return None
    if not item.matches:
        return None
    return item, history.match_record(store, item.matches[0].id)


def _item_context(request: Request, viewer: Viewer, sighting_id: int, **extra) -> dict | None:
    runtime = request.app.state.runtime
    found = _record(runtime.store, sighting_id)
    if found is None:
        return None
    item, record = found
    previous, following, size, position = _positions(runtime.store, sighting_id)
    state, explanation = _evidence_state(record)
    wellness = _wellness(runtime.store, viewer)
    if state == "blurred" and wellness.left == 0:
        state = "limit"
    return {
        "item": item,
        "record": record,
        "previous": previous,
        "next": following,
        "queue_size": size,
        "position": position,
        "state": state,
        "explanation": explanation,
        "wellness": wellness,
        "reveal_seconds": runtime.settings.reveal_seconds,
        "shortcuts": SHORTCUTS,
        "open": any(m.status in review.OPEN for m in item.matches),
        **extra,
    }


@router.get("/ui/review")
def queue_page(request: Request, view: str = "all", viewer: Viewer = page(*REVIEWERS)) -> Response:
    store = request.app.state.runtime.store
    escalated = view == "escalated"
    ids = review.queue_ids(store, 200, escalated_only=escalated)
    items = [review.item(store, i) for i in ids]
    return render(
        request,
        "review_queue.html",
        viewer,
        items=items,
        view="escalated" if escalated else "all",
        stats=review.stats(store),
        wellness=_wellness(store, viewer),
    )


@router.get("/ui/review/{sighting_id}")
def item_page(
    request: Request, sighting_id: int, done: str | None = None, viewer: Viewer = page(*REVIEWERS)
) -> Response:
    store = request.app.state.runtime.store
    context = _item_context(request, viewer, sighting_id, flash=_flash_from(done))
    if context is None:
        return render(
            request, "not_found.html", viewer, status_code=404, what=f"review item {sighting_id}"
        )
    audit.record(store, viewer.actor.event("review.view", "sighting", str(sighting_id)))
    name = "partials/review_panel.html" if is_htmx(request) else "review_item.html"
    return render(request, name, viewer, **context)


@router.get("/ui/review/{sighting_id}/evidence")
def evidence_panel(
    request: Request, sighting_id: int, viewer: Viewer = page(*REVIEWERS)
) -> Response:
    context = _item_context(request, viewer, sighting_id)
    if context is None:
        return Response("no such review item", 404, media_type="text/plain")
    return render(request, "partials/evidence.html", viewer, **context)


def _media(body: bytes) -> Response:
    return Response(body, media_type="image/jpeg", headers=dict(SECURITY_HEADERS))


def _refusal(status: int, message: str) -> Response:
    return Response(message, status, media_type="text/plain", headers=dict(SECURITY_HEADERS))


@router.get("/ui/review/{sighting_id}/preview")
def preview(request: Request, sighting_id: int, viewer: Viewer = page(*REVIEWERS)) -> Response:
    runtime = request.app.state.runtime
    found = _record(runtime.store, sighting_id)
    if found is None or found[0].content_id is None or not found[0].has_evidence:
        return _refusal(404, "no evidence is held for this item")
    try:
        data = runtime.vault.read(
            found[0].content_id,
            viewer.actor,
            f"blurred preview for review of sighting {sighting_id}",
        )
        return _media(pictures.preview(data, runtime.limits))
    except (VaultError, pictures.RenderingError) as exc:
        return _refusal(422, str(exc))


@router.post("/ui/review/{sighting_id}/reveal")
def reveal(
    request: Request,
    sighting_id: int,
    colour: str | None = Form(None),
    viewer: Viewer = page(*REVIEWERS),
) -> Response:
    runtime = request.app.state.runtime
    context = _item_context(request, viewer, sighting_id)
    if context is None:
        return Response("no such review item", 404, media_type="text/plain")
    if context["state"] not in ("blurred", "limit"):
        return render(request, "partials/evidence.html", viewer, **context)
    result = review.reveal(runtime.store, viewer.user, sighting_id, colour=bool(colour))
    wellness = Wellness(result.used_today, result.limit)
    context.update(wellness=wellness, message=result.message, suggest_break=result.suggest_break)
    if not result.allowed:
        context.update(state="limit")
    else:
        context.update(state="revealed", ticket=result.ticket, colour=bool(colour))
    return render(request, "partials/evidence.html", viewer, oob=True, **context)


@router.get("/ui/reveal/{ticket}")
def revealed(request: Request, ticket: str, viewer: Viewer = page(*REVIEWERS)) -> Response:
    runtime = request.app.state.runtime
    try:
        redeemed = review.redeem(runtime.store, viewer.user, ticket)
    except review.ReviewError as exc:
        return _refusal(410, str(exc))
    try:
        data = runtime.vault.read(
            redeemed.content_id,
            viewer.actor,
            f"reveal for review of sighting {redeemed.sighting_id}",
        )
        return _media(pictures.revealed(data, redeemed.colour, runtime.limits))
    except (VaultError, pictures.RenderingError) as exc:
        return _refusal(422, str(exc))


def _flash_from(done: str | None) -> str | None:
    if not done:
        return None
    sighting, _, decision = done.partition(":")
    return _flash(sighting, decision, None) if sighting.isdigit() and decision else None


def _flash(sighting: str | int, decision: str, category: str | None) -> str:
    if decision == "confirm":
        return (
            f"Sighting {sighting} confirmed{' as category ' + category if category else ''}. "
            "The platform webhooks and a hotline report draft are queued."
        )
    if decision == "false_positive":
        return (
            f"Sighting {sighting} closed as a false positive; its hashes are now on the "
            f"'{review.ALLOW_BANK}' allow-list."
        )
    return f"Sighting {sighting} escalated to a senior reviewer."


@router.post("/ui/review/{sighting_id}/decide")
def decide(
    request: Request,
    sighting_id: int,
    choice: str = Form(""),
    note: str = Form(""),
    viewer: Viewer = page(*REVIEWERS),
) -> Response:
    store = request.app.state.runtime.store
    if choice not in CHOICES:
        return _decision_error(request, viewer, sighting_id, "Choose a decision.")
    decision, category = CHOICES[choice]
    ids = review.queue_ids(store)
    following = None
    if sighting_id in ids:
        i = ids.index(sighting_id)
        following = next(iter(ids[i + 1 :] + ids[:i]), None)
    try:
        review.decide(store, viewer.user, sighting_id, decision, category, note.strip()[:2000])
    except review.ReviewError as exc:
        return _decision_error(request, viewer, sighting_id, str(exc).capitalize() + ".")
    flash = _flash(sighting_id, decision, category)
    target = f"/ui/review/{following}" if following else "/ui/review"
    if not is_htmx(request):
        return RedirectResponse(f"{target}?done={sighting_id}:{decision}", 303)
    if following is None:
        return render(
            request,
            "partials/queue_empty.html",
            viewer,
            flash=flash,
            headers={"HX-Push-Url": target},
        )
    context = _item_context(request, viewer, following, flash=flash)
    if context is None:
        return render(request, "partials/queue_empty.html", viewer, flash=flash)
    audit.record(store, viewer.actor.event("review.view", "sighting", str(following)))
    return render(
        request,
        "partials/review_panel.html",
        viewer,
        headers={"HX-Push-Url": target},
        **context,
    )


def _decision_error(request: Request, viewer: Viewer, sighting_id: int, message: str) -> Response:
    context = _item_context(request, viewer, sighting_id, error=message)
    if context is None:
        return render(
            request, "not_found.html", viewer, status_code=404, what=f"review item {sighting_id}"
        )
    name = "partials/review_panel.html" if is_htmx(request) else "review_item.html"
    # htmx swaps only 2xx answers by default; the panel carries the error text itself.
    return render(request, name, viewer, status_code=200 if is_htmx(request) else 409, **context)
