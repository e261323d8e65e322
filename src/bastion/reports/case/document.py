"""The case report as one plain document (JSON-ready): the JSON format is this document, and
the HTML and PDF are rendered from it, so all three carry the same content.

Schema `bastion.case-report/1`. Dates are ISO 8601 in UTC. Item ids (`img-...`) and reference
ids (`ref-...`) are the evidence model's stable ids (bastion.cases.evidence); every finding
lists the ones behind it. No media: hashes, paths and message references only.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bastion.cases.activities import Activity
from bastion.cases.assessment import CaseAssessment
from bastion.cases.counts import ROWS
from bastion.cases.evidence import EvidenceItem, EvidenceRef
from bastion.guidelines.citation import Citation
from bastion.reports.case.timeline import buckets

SCHEMA = "bastion.case-report/1"


def _n(count: int, one: str) -> str:
    return f"{count:,} {one}{'' if count == 1 else 's'}"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _citation(c: Citation) -> dict[str, Any]:
    d = c.source.document
    return {
        "document": d.id,
        "title": d.title,
        "url": d.url,
        "at": c.source.at,
        "consulted": d.consulted.isoformat(),
        "verified": c.verified,
        "note": c.note,
    }


def _split(ids: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        "items": [i for i in ids if i.startswith("img-")],
        "refs": [i for i in ids if i.startswith("ref-")],
    }


def _ref(r: EvidenceRef) -> dict[str, Any]:
    return {
        "id": r.id,
        "ref": r.ref,
        "item": r.item_id,
        "activity": r.activity.value,
        "activity_label": r.activity.label,
        "guideline_activity": r.activity.guideline_activity,
        "basis": r.basis,
        "chat": r.chat_name,
        "chat_key": r.chat_key,
        "chat_type": r.chat_type,
        "message_id": r.message_id,
        "date": _when(r.date),
        "date_source": r.date_source,
        "sender": r.sender_name,
        "sender_id": r.sender_id,
        "sender_is_owner": r.sender_is_owner,
        "forwarded_from": r.forwarded_from,
        "path": r.path,
        "category": r.category,
        "moving": r.moving,
        "matched_via": r.matched_via,
        "parts": [
            {"role": p.role, "ref": p.ref, "path": p.path, "sha256": p.sha256} for p in r.parts
        ],
    }


def _item(i: EvidenceItem, marks: dict[str, list[int]]) -> dict[str, Any]:
    dates = i.dates
    return {
        "id": i.id,
        "category": i.category,
        "moving": i.moving,
        "matched_via": i.matched_via,
        "sha256": i.sha256,
        "md5": i.md5,
        "pdq": i.pdq,
        "guideline_activity": i.guideline_activity,
        "activities": sorted(a.value for a in i.activities),
        "copies": len(i.refs),
        "first": _when(dates[0]) if dates else None,
        "last": _when(dates[-1]) if dates else None,
        "banks_disagree": i.banks_disagree,
        "production_marks": marks.get(i.id, []),
        "matches": [
            {
                "bank": m["bank"],
                "category": m["category"],
                "source_label": m["source_label"],
                "signal_type": m["signal_type"],
                "value": m["value"],
                "distance": m["distance"],
                "variant": m["variant"],
                "entry_id": m["entry_id"],
            }
            for m in i.matches
        ],
        "paths": list(i.paths),
        "refs": [_ref(r) for r in i.refs],
    }


def _count_table(a: CaseAssessment) -> dict[str, Any]:
    rows = []
    for row in ROWS:
        cells = [
            {
                "category": c.category,
                "still_images": c.still_images,
                "still_copies": c.still_copies,
                "moving_images": c.moving_images,
                "moving_copies": c.moving_copies,
                "images": c.images,
                "copies": c.copies,
                "first": _when(c.first),
                "last": _when(c.last),
                "undated_copies": c.undated_copies,
                "items": list(c.item_ids),
                "refs": list(c.ref_ids),
            }
            for c in a.table.row(row.id)
        ]
        rows.append(
            {
                "id": row.id,
                "label": row.label,
                "sub": row.sub,
                "cells": cells,
                "images": sum(c["images"] for c in cells),
                "copies": sum(c["copies"] for c in cells),
            }
        )
    return {
        "categories": list(a.table.categories),
        "rows": rows,
        "definitions": [
            "Images: distinct images by content (SHA-256 of what matched). Copies: message "
            "references to them (tdesktop saves a file once however many messages send it).",
            "An image appears in every row its references show: Possession holds every matched "
            "image (each is in the export); one received and later forwarded is in Distribution too.",
            "Making by simple downloading is sentenced as possession (the guideline, as quoted "
            "in R v Jaycock [2024] EWCA Crim 954).",
            "Thumbnails and previews are attached to their original and never counted on their own.",
        ],
    }


def _grouped(data) -> list[dict[str, Any]]:
    """Unverified data with the same note as one entry: many factors share one."""
    groups: dict[str, list[str]] = {}
    for d in data:
        groups.setdefault(d.citation.note, []).append(d.label)
    return [{"labels": labels, "note": note} for note, labels in groups.items()]


def _guideline(a: CaseAssessment) -> dict[str, Any]:
    g, f = a.guideline, a.framework
    info = g.framework
    factors = []
    for finding in g.factors:
        answer = finding.answer
        factors.append(
            {
                "id": finding.factor.id,
                "kind": finding.factor.kind,
                "basis": finding.factor.basis,
                "text": finding.factor.text,
                "status": finding.status,
                "reason": finding.reason,
                "evidenced_by": list(finding.factor.evidenced_by),
                "evidence": _split(finding.evidence_ids),
                "question": finding.factor.question_id,
                "answer": None
                if answer is None
                else {
                    "value": answer.value,
                    "given_by": answer.given_by,
                    "detail": answer.detail,
                    "given_at": answer.given_at,
                },
                "citation": _citation(finding.factor.citation),
            }
        )
    return {
        "framework": {
            "id": info.id,
            "title": info.title,
            "issuer": info.issuer,
            "jurisdiction": info.jurisdiction,
            "edition": info.edition,
            "in_force": info.in_force.isoformat(),
            "citation": _citation(info.citation),
        },
        "category": None
        if g.category is None
        else {
            "id": g.category.category.id,
            "definition": g.category.category.definition,
            "reason": g.category.reason,
            "citation": _citation(g.category.category.citation),
        },
        "categories": [
            {"id": c.id, "definition": c.definition, "verified": c.citation.verified}
            for c in f.categories
        ],
        "activities": [
            {
                "id": act.id,
                "label": act.label,
                "includes": [
                    {"text": n.text, "verified": n.citation.verified} for n in act.includes
                ],
            }
            for act in f.activities
        ],
        "cells": [
            {
                "activity": c.activity.id,
                "activity_label": c.activity.label,
                "category": c.category.id,
                "starting_point": c.cell.starting_point.text,
                "range": c.cell.range_text,
                "reason": c.reason,
                "citation": _citation(c.cell.citation),
            }
            for c in g.cells
        ],
        "step1_notes": [
            {"id": n.id, "text": n.text, "citation": _citation(n.citation)} for n in g.step1_notes
        ],
        "factors": factors,
        "questions": [{"id": q.id, "text": q.text, "values": list(q.values)} for q in g.questions],
        "messages": list(g.messages),
        "statutory_maxima": [
            {
                "id": m.id,
                "offence": m.offence,
                "provision": m.provision,
                "applies_to": list(m.applies_to),
                "on_indictment": m.on_indictment.text,
                "summary": m.summary,
                "citation": _citation(m.citation),
            }
            for m in g.statutory_maxima
        ],
        "guilty_plea": {
            "applicability": g.guilty_plea.applicability,
            "stages": [
                {
                    "stage": s.stage,
                    "max_reduction": str(s.max_reduction),
                    "verified": s.citation.verified,
                }
                for s in g.guilty_plea.stages
            ],
            "citation": _citation(g.guilty_plea.citation),
        },
        "notification": {
            "applicability": g.notification.applicability,
            "rows": [
                {"description": r.description, "period": r.period, "verified": r.citation.verified}
                for r in g.notification.rows
            ],
            "citation": _citation(g.notification.citation),
        },
        "unverified": [
            {"label": d.label, "at": d.citation.source.at, "note": d.citation.note}
            for d in g.unverified
        ],
        "unverified_groups": _grouped(g.unverified),
        "sources": [
            {
                "id": d.id,
                "title": d.title,
                "url": d.url,
                "consulted": d.consulted.isoformat(),
                "version": d.version,
            }
            for d in info.documents
        ],
    }


def _answers(a: CaseAssessment) -> dict[str, Any]:
    u = a.user
    texts = {q.id: q.text for q in a.framework.questions}

    def answer(x) -> dict[str, Any]:
        return {
            "question": x.question,
            "question_text": texts.get(x.question, ""),
            "value": x.value,
            "detail": x.detail,
            "given_by": x.given_by,
            "recorded_by": x.recorded_by,
            "recorded_at": _when(x.recorded_at),
            "source": x.source,
        }

    def mark(m) -> dict[str, Any]:
        return {
            "id": m.id,
            "item": m.item_id,
            "category": m.category,
            "note": m.note,
            "given_by": m.given_by,
            "recorded_by": m.recorded_by,
            "recorded_at": _when(m.recorded_at),
            "withdrawn_at": _when(m.withdrawn_at),
            "withdrawn_by": m.withdrawn_by,
            "withdrawn_reason": m.withdrawn_reason,
            "source": m.source,
        }

    def fact(c) -> dict[str, Any]:
        return {
            "chat_key": c.chat_key,
            "chat": c.chat_name,
            "members": c.member_count,
            "owner_posts": c.owner_posts,
            "note": c.note,
            "given_by": c.given_by,
            "recorded_by": c.recorded_by,
            "recorded_at": c.recorded_at,
            "source": c.source,
        }

    current_ids = {x.id for x in u.answers}
    return {
        "current": [answer(x) for x in u.answers],
        "superseded": [answer(x) for x in u.answer_history if x.id not in current_ids],
        "chat_facts": [fact(c) for c in u.chat_facts.values()],
        "chat_history": [fact(c) for c in u.chat_history],
        "production": [mark(m) for m in u.production],
        "withdrawn": [mark(m) for m in u.withdrawn],
    }


def _summary(a: CaseAssessment) -> list[str]:
    ev, t, g = a.evidence, a.table, a.guideline
    if not ev.items:
        return [
            f"No media in this case matched the hash lists used ({ev.references:,} references "
            "scanned). Hash matching finds only known material: this does not show that the "
            "account holds none."
        ]
    cats = ", ".join(f"{c} {t.cell('possession', c).images:,}" for c in t.categories)
    moving = sum(1 for i in ev.items if i.moving)
    lines = [
        f"{len(ev.items):,} distinct images matched known material (by category: {cats}; "
        f"{len(ev.items) - moving:,} still, {moving:,} moving), in {t.copies('possession'):,} "
        "message references."
    ]
    if a.period:
        lines.append(
            f"They are referenced from {a.period.first.isoformat()} to "
            f"{a.period.last.isoformat()} ({a.period.days:,} days)."
        )
    if t.images("distribution"):
        chats = sum(1 for c in a.chats if c.distributed)
        lines.append(
            f"The account owner sent, posted or forwarded {t.images('distribution'):,} of them "
            f"in {_n(t.copies('distribution'), 'message')} into {_n(chats, 'chat')}."
        )
    elif not ev.owner_known:
        lines.append(
            "The export does not identify the account owner: distribution cannot be shown and "
            "everything is counted as possession."
        )
    else:
        lines.append("No matched image was sent, posted or forwarded by the account owner.")
    if g.category is not None:
        columns = "; ".join(
            f"{c.activity.label.lower()}: category {c.category.id}" for c in g.cells
        )
        lines.append(
            f"Under the guideline's step 1 the most serious images are category "
            f"{g.category.category.id} ({columns}). The starting points and ranges below are "
            "the guideline's, for the court to apply."
        )
    return lines


def build_document(a: CaseAssessment) -> dict[str, Any]:
    c, ev = a.custody, a.evidence
    marks: dict[str, list[int]] = {}
    for m in a.user.production:
        if m.item_id:
            marks.setdefault(m.item_id, []).append(m.id)
    activity_counts = Counter(r.activity for r in ev.refs)
    return {
        "schema": SCHEMA,
        "title": f"Case {c.case_name}: evidence and sentencing guideline assessment",
        "generated_at": _when(c.generated_at),
        "generated_by": c.generated_by,
        "tool": {"name": "bastion", "version": c.report_tool_version},
        "disclaimers": list(a.disclaimers),
        "summary": _summary(a),
        "case": {
            "name": c.case_name,
            "status": c.status,
            "source_path": c.source_path,
            "source_kind": c.source_kind,
            "owner_id": c.owner_id,
            "owner_identified": ev.owner_known,
            "references": ev.references,
            "states": dict(sorted(ev.states.items())),
            "matched_items": len(ev.items),
            "matched_references": len(ev.refs),
            "activities": {
                act.value: activity_counts.get(act, 0)
                for act in Activity
                if activity_counts.get(act)
            },
        },
        "custody": {
            "source_sha256": c.source_sha256,
            "source_path": c.source_path,
            "source_kind": c.source_kind,
            "scan_tool_version": c.scan_tool_version,
            "report_tool_version": c.report_tool_version,
            "operator": c.operator,
            "scan_started_at": _when(c.started_at),
            "scan_finished_at": _when(c.finished_at),
            "runs": c.runs,
            "settings": {
                k: v
                for k, v in c.settings.items()
                if k in ("mode", "dihedral", "max_pixels", "max_file_bytes")
            },
            "problems": list(c.problems),
            "banks": [
                {
                    "name": b.name,
                    "source": b.source,
                    "kind": b.kind,
                    "version": b.version,
                    "entries": b.entries,
                    "pdq_threshold": b.pdq_threshold,
                    "imports": [
                        {
                            "version": i.version,
                            "at": _when(i.at),
                            "operation": i.operation,
                            "added": i.added,
                            "removed": i.removed,
                            "source_file": i.source_file,
                            "source_sha256": i.source_sha256,
                        }
                        for i in b.imports
                    ],
                }
                for b in c.banks
            ],
            "files_hashed": len(c.files),
            "files": [{"key": f.key, "sha256": f.sha256, "state": f.state} for f in c.files],
            "manifest_sha256": c.manifest_sha256,
            "answer_sources": list(c.answer_sources),
            "generated_at": _when(c.generated_at),
            "generated_by": c.generated_by,
        },
        "count_table": _count_table(a),
        "guideline_counts": [
            {"category": x.category, "activity": x.activity, "moving": x.moving, "count": x.count}
            for x in a.counts
        ],
        "timeline": buckets(ev),
        "chats": [
            {
                "key": ch.key,
                "name": ch.name,
                "type": ch.type,
                "kind": ch.kind,
                "members": ch.member_count,
                "members_given_by": ch.fact.given_by if ch.fact else None,
                "members_note": ch.fact.note if ch.fact else None,
                "owner_posts": ch.fact.owner_posts if ch.fact else None,
                "references": ch.references,
                "received": ch.received,
                "distributed": ch.distributed,
                "other": ch.other,
                "images": ch.images,
                "categories": dict(sorted(ch.categories.items())),
                "first": _when(ch.first),
                "last": _when(ch.last),
                "items": list(ch.item_ids),
                "refs": list(ch.ref_ids),
            }
            for ch in a.chats
        ],
        "features": [
            {
                "id": f.id,
                "title": f.title,
                "found": f.found,
                "summary": f.summary,
                "details": list(f.details),
                "items": list(f.item_ids),
                "refs": list(f.ref_ids),
            }
            for f in a.features
        ],
        "guideline": _guideline(a),
        "answers": _answers(a),
        "limitations": list(a.limitations),
        "items": [_item(i, marks) for i in ev.items],
    }
