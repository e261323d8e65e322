"""`bastion case assess | report | answer | mark-production | chat-meta`: the guideline
assessment of a scanned case in the terminal, the court-ready report, and what people add."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table

from bastion.cli.app import console, err_console, fail
from bastion.cli.scan import case_app

STATUS_STYLE = {
    "evidenced": "[bold red]evidence to weigh[/]",
    "not_evidenced": "[dim]not found[/]",
    "answered": "[bold blue]answered[/]",
    "needs_answer": "[yellow]needs an answer[/]",
}


def _case(store, name: str) -> int:
    from bastion.scan.pipeline import ScanError, case_id

    try:
        return case_id(store, name)
    except ScanError as exc:
        raise fail(str(exc)) from None


def _actor():
    from bastion.audit import Actor

    return Actor.cli()


def _assessment(store, name: str):
    from bastion.cases.assessment import assess_case
    from bastion.guidelines import FactsError

    _case(store, name)
    try:
        return assess_case(store, name, _actor().name)
    except FactsError as exc:
        raise fail(f"the recorded answers do not fit the guideline: {exc}") from None


def _ids(ids: tuple[str, ...] | list[str], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")


def _day(moment) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "-"


def _print_assessment(a, show_items: bool) -> None:
    ev, t, g = a.evidence, a.table, a.guideline
    c = a.custody
    owner = (c.owner_id or "identified") if ev.owner_known else "[yellow]not identifiable[/]"
    console.print(
        f"[bold]Case {c.case_name}[/] ({c.status}): {c.source_kind} at {c.source_path}\n"
        f"{ev.references:,} references, {len(ev.items):,} distinct matched images in "
        f"{len(ev.refs):,} message references; account owner {owner}"
    )
    counts = Table(title="Counts (images by content / copies = message references; UTC dates)")
    for col in (
        "activity",
        "cat.",
        "still img",
        "still copies",
        "moving img",
        "moving copies",
        "first",
        "last",
    ):
        counts.add_column(col, justify="left" if col in ("activity", "cat.") else "right")
    from bastion.cases.counts import ROWS

    for row in ROWS:
        if row.sub and not t.images(row.id):
            continue
        for n, cell in enumerate(t.row(row.id)):
            counts.add_row(
                (("  " if row.sub else "") + row.label) if n == 0 else "",
                cell.category,
                f"{cell.still_images:,}",
                f"{cell.still_copies:,}",
                f"{cell.moving_images:,}",
                f"{cell.moving_copies:,}",
                _day(cell.first),
                _day(cell.last),
                style=None if cell.images else "dim",
            )
        counts.add_section()
    console.print(counts)

    features = Table(title="Features in the evidence", show_lines=True)
    for col in ("feature", "found", "what the export shows", "evidence"):
        features.add_column(col, overflow="fold")
    for f in a.features:
        evidence = ""
        if f.found:
            evidence = f"items: {_ids(f.item_ids)}" + (
                f"\nmessages: {_ids(f.ref_ids)}" if f.ref_ids else ""
            )
        body = f.summary + "".join(f"\n- {d}" for d in f.details)
        features.add_row(f.title, "[bold]yes[/]" if f.found else "[dim]no[/]", body, evidence)
    console.print(features)

    chats = Table(title="Chats")
    for col in (
        "chat",
        "type",
        "members",
        "refs",
        "received",
        "sent by owner",
        "other",
        "first",
        "last",
    ):
        chats.add_column(col, overflow="fold")
    for ch in a.chats:
        members = (
            f"{ch.member_count:,} ({ch.fact.given_by})" if ch.member_count is not None else "-"
        )
        chats.add_row(
            ch.name, ch.kind, members, str(ch.references), str(ch.received),
            str(ch.distributed), str(ch.other), _day(ch.first), _day(ch.last),
        )  # fmt: skip
    console.print(chats)

    console.print(f"\n[bold]Guideline[/]: {g.framework.title} ({g.framework.id})")
    if g.category:
        console.print(g.category.reason)
    cells = Table(title="Cells the evidence opens")
    for col in ("activity", "category", "starting point", "range", "source"):
        cells.add_column(col, overflow="fold")
    for cell in g.cells:
        cells.add_row(
            cell.activity.label,
            cell.category.id,
            cell.cell.starting_point.text,
            cell.cell.range_text,
            ("verified" if cell.cell.citation.verified else "[yellow]unverified[/]")
            + f": {cell.cell.citation.source.at}",
        )
    console.print(cells)
    for message in g.messages:
        console.print(f"[dim]{message}[/]")
    factors = Table(title="Factors")
    for col in ("factor", "status", "basis"):
        factors.add_column(col, overflow="fold")
    found = {f.id: f for f in a.features if f.found}
    for f in g.factors:
        basis = f.reason
        if f.status == "needs_answer":
            basis = f"question {f.factor.question_id}"
        elif f.status == "evidenced":
            basis = " ".join(found[x].summary for x in f.factor.evidenced_by if x in found)
            basis = (basis or f.reason) + f"\n{_ids(f.evidence_ids)}"
        factors.add_row(f.factor.text, STATUS_STYLE[f.status], basis)
    console.print(factors)

    if a.user.answers or a.user.production or a.user.chat_facts:
        answers = Table(title="What people recorded")
        for col in ("what", "answer", "given by", "recorded (UTC)"):
            answers.add_column(col, overflow="fold")
        for x in a.user.answers:
            answers.add_row(
                x.question, x.value + (f" ({x.detail})" if x.detail else ""), x.given_by,
                x.recorded_at.strftime("%Y-%m-%d %H:%M"),
            )  # fmt: skip
        for fact in a.user.chat_facts.values():
            said = []
            if fact.member_count is not None:
                said.append(f"{fact.member_count:,} members")
            if fact.owner_posts is not None:
                said.append(
                    "owner posts as the chat"
                    if fact.owner_posts
                    else "owner does not post as the chat"
                )
            answers.add_row(
                f"chat {fact.chat_name or fact.chat_key}",
                "; ".join(said),
                fact.given_by,
                fact.recorded_at[:16],
            )
        for m in a.user.production:
            answers.add_row(
                f"production mark {m.id}", f"{m.category}: {m.note}" + (f" ({m.item_id})" if m.item_id else ""),
                m.given_by, m.recorded_at.strftime("%Y-%m-%d %H:%M"),
            )  # fmt: skip
        console.print(answers)
    if g.questions:
        console.print(
            f"\n[bold]{len(g.questions)} questions still open[/] (the evidence cannot show them; "
            "Bastion never guesses):"
        )
        factor_questions = {f.factor.question_id for f in g.factors}
        console.print(
            "  factors above: " + ", ".join(q.id for q in g.questions if q.id in factor_questions)
        )
        for q in g.questions:
            if q.id not in factor_questions:
                console.print(f"  [bold]{q.id}[/] ({'/'.join(q.values)}): {q.text}")
        console.print(
            f"[dim]Answer with `bastion case answer {c.case_name} QUESTION VALUE --by NAME`, "
            f"`bastion case assess {c.case_name} --answers FILE` or `--ask`.[/]"
        )

    if show_items:
        items = Table(title="Matched items")
        for col in ("item", "cat.", "kind", "copies", "activities", "first", "sha256"):
            items.add_column(col, overflow="fold")
        for i in ev.items:
            dates = i.dates
            items.add_row(
                i.id, i.category, "moving" if i.moving else "still", str(len(i.refs)),
                ", ".join(sorted(x.value for x in i.activities)),
                _day(dates[0] if dates else None), i.sha256,
            )  # fmt: skip
        console.print(items)

    console.print("\n[bold]Limitations[/]")
    for limit in a.limitations:
        console.print(f"- {limit}")
    console.print(Panel("\n".join(a.disclaimers), title="Decision support, not legal advice"))


def _ask(store, cid: int, name: str, by: str | None) -> int:
    from bastion.cases.answers import AnswerError, record_answer

    a = _assessment(store, name)
    open_questions = [q for q in a.guideline.questions if q.id != "ew.production"]
    if not open_questions:
        return 0
    if not sys.stdin.isatty():
        raise fail("--ask needs a terminal; give the answers with --answers FILE instead")
    who = by or Prompt.ask("Who is giving these answers (name and role)?")
    recorded = 0
    for q in open_questions:
        choice = Prompt.ask(
            f"[bold]{q.id}[/] {q.text}", choices=[*q.values, "skip"], default="skip"
        )
        if choice == "skip":
            continue
        detail = Prompt.ask("  detail (optional)", default="")
        try:
            if record_answer(
                store, cid, name, q.id, choice, actor=_actor(), given_by=who, detail=detail
            ):
                recorded += 1
        except AnswerError as exc:
            raise fail(str(exc)) from None
    return recorded


@case_app.command("assess")
def case_assess(
    name: str = typer.Argument(..., help="Case name."),
    answers: Path = typer.Option(
        None, "--answers", help="A YAML or JSON file of answers, chat facts and production marks."
    ),
    ask: bool = typer.Option(False, "--ask", help="Ask the open questions one by one."),
    by: str = typer.Option(None, "--by", help="Who gives the answers asked (with --ask)."),
    items: bool = typer.Option(False, "--items", help="List every matched item too."),
    as_json: bool = typer.Option(False, "--json", help="The report document as JSON instead."),
) -> None:
    """The case against the sentencing guideline: counts, features, cells, factors, questions."""
    from bastion.cases import answers_file
    from bastion.cases.answers import AnswerError
    from bastion.cli.store import open_store

    store = open_store()
    cid = _case(store, name)
    if answers is not None:
        try:
            applied = answers_file.apply(store, cid, name, answers, _actor())
        except AnswerError as exc:
            raise fail(f"{answers}: {exc} (nothing from the file was recorded)") from None
        err_console.print(
            f"Recorded from {answers.name}: {applied.answers} answers, {applied.chats} chat facts, "
            f"{applied.production} production marks ({applied.unchanged} unchanged)."
        )
    if ask:
        err_console.print(f"Recorded {_ask(store, cid, name, by)} answers.")
    a = _assessment(store, name)
    if as_json:
        from bastion.reports.case import build_document

        print(json.dumps(build_document(a), indent=2, ensure_ascii=False))
        return
    _print_assessment(a, items)


@case_app.command("report")
def case_report(
    name: str = typer.Argument(..., help="Case name."),
    fmt: str = typer.Option("html", "--format", "-f", help="html, pdf or json."),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write it (default CASE-report.FORMAT; '-' for stdout).",
    ),
    no_appendix: bool = typer.Option(
        False,
        "--no-appendix",
        help="Leave the per-item appendix out of HTML/PDF (large cases); JSON always has it.",
    ),
) -> None:
    """A self-contained, printable report: custody, counts, timeline, chats, features,
    the guideline assessment, people's answers, limitations and every item (no images)."""
    from bastion.cli.store import open_store
    from bastion.reports.case import PdfUnavailable, build_document, render_html, render_pdf

    if fmt not in ("html", "pdf", "json"):
        raise fail(f"--format {fmt!r}: expected html, pdf or json")
    if str(output) == "-" and fmt == "pdf":
        raise fail("a PDF is not written to the terminal: give --output FILE.pdf")
    store = open_store()
    document = build_document(_assessment(store, name))
    if fmt == "json":
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    elif fmt == "html":
        data = render_html(document, appendix=not no_appendix).encode()
    else:
        try:
            data = render_pdf(document, appendix=not no_appendix)
        except PdfUnavailable as exc:
            raise fail(str(exc)) from None
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        return
    target = output or Path(f"{name}-report.{fmt}")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from None
    from bastion.audit import record

    record(store, _actor().event("case.report", "case", name, format=fmt, output=str(target)))
    err_console.print(f"Wrote {target} ({len(data):,} bytes).")


@case_app.command("answer")
def case_answer(
    name: str = typer.Argument(..., help="Case name."),
    question: str = typer.Argument(..., help="Question id, e.g. ew.previous-convictions."),
    value: str = typer.Argument(
        ..., help="The answer: yes, no or unknown (as the question allows)."
    ),
    by: str = typer.Option(None, "--by", help="Who gives the answer (name and role)."),
    detail: str = typer.Option(None, "--detail", help="What the answer rests on."),
) -> None:
    """Answer a question the evidence cannot answer; recorded with who gave it and when."""
    from bastion.cases.answers import AnswerError, record_answer
    from bastion.cli.store import open_store

    store = open_store()
    cid = _case(store, name)
    try:
        done = record_answer(
            store, cid, name, question, value, actor=_actor(), given_by=by, detail=detail
        )
    except AnswerError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"Recorded {question} = {value} (by {done.given_by})."
        if done
        else "Unchanged: that answer already stands."
    )


@case_app.command("chat-meta")
def case_chat_meta(
    name: str = typer.Argument(..., help="Case name."),
    chat: str = typer.Argument(..., help="The chat's id or exact name."),
    members: int = typer.Option(None, "--members", help="How many members the chat has."),
    owner_posts: str = typer.Option(
        None,
        "--owner-posts",
        help="yes/no: the account owner posts in it as the chat (a channel admin).",
    ),
    note: str = typer.Option(None, "--note", help="Where the fact comes from."),
    by: str = typer.Option(None, "--by", help="Who gives it (name and role)."),
) -> None:
    """Record what the export cannot carry about a chat: its member count, and whether the
    account owner posts in it as the chat itself."""
    from bastion.cases.answers import AnswerError, record_chat_fact
    from bastion.cli.store import open_store

    flag = None
    if owner_posts is not None:
        if owner_posts.lower() not in ("yes", "no"):
            raise fail("--owner-posts takes yes or no")
        flag = owner_posts.lower() == "yes"
    store = open_store()
    cid = _case(store, name)
    try:
        done = record_chat_fact(
            store,
            cid,
            name,
            chat,
            actor=_actor(),
            members=members,
            owner_posts=flag,
            note=note,
            given_by=by,
        )
    except AnswerError as exc:
        raise fail(str(exc)) from None
    console.print(f"Recorded for {done.chat_name or done.chat_key}." if done else "Unchanged.")


@case_app.command("mark-production")
def case_mark_production(
    name: str = typer.Argument(..., help="Case name."),
    category: str = typer.Option(
        None, "--category", help="A, B or C: the most serious image produced."
    ),
    note: str = typer.Option(None, "--note", help="What shows production (required)."),
    item: str = typer.Option(
        None, "--item", help="The item produced, e.g. img-3f2c9a1b0d (optional)."
    ),
    by: str = typer.Option(None, "--by", help="Who marks it (name and role)."),
    withdraw: int = typer.Option(
        None, "--withdraw", help="Withdraw this mark id instead (with --note as the reason)."
    ),
) -> None:
    """Mark production (taking or making images at source). Never inferred from hash matches."""
    from bastion.cases.answers import AnswerError, mark_production, withdraw_production
    from bastion.cli.store import open_store

    store = open_store()
    cid = _case(store, name)
    try:
        if withdraw is not None:
            mark = withdraw_production(store, cid, name, withdraw, note or "", actor=_actor())
            console.print(f"Withdrew production mark {mark.id}.")
            return
        if category is None:
            raise fail("give --category A, B or C and --note (or --withdraw ID)")
        done = mark_production(
            store,
            cid,
            name,
            category.upper(),
            note or "",
            actor=_actor(),
            item_id=item,
            given_by=by,
        )
    except AnswerError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"Recorded production mark {done.id} (category {done.category})."
        if done
        else "Unchanged: that mark stands."
    )
