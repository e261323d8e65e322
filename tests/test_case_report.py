"""`bastion case report` and `bastion case assess`: the report's content in HTML, PDF and JSON,
self-contained and without images, and the commands as a user runs them."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from bastion.cases.assessment import assess_case
from bastion.cases.evidence import Evidence, build_evidence
from bastion.reports.case import SCHEMA, build_document, render_html
from bastion.reports.case.timeline import buckets, svg
from tests.case_scenarios import GIVEN_BY, built_scenarios
from tests.test_case_evidence import ref


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return built_scenarios(tmp_path_factory)


@pytest.fixture(scope="module")
def document(cases) -> dict:
    store, _ = cases
    return build_document(assess_case(store, "channel-with-facts", "tester"))


@pytest.fixture(scope="module")
def html(document) -> str:
    return render_html(document)


@pytest.fixture(scope="module")
def written(cases, tmp_path_factory) -> dict[str, bytes]:
    """The PDF and JSON reports as `bastion case report` writes them."""
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for fmt in ("pdf", "json"):
        target = folder / f"report.{fmt}"
        done = bastion(cases, "case", "report", "channel-with-facts", "-f", fmt, "-o", str(target))
        assert done.returncode == 0, done.stderr
        assert f"Wrote {target}" in done.stderr
        out[fmt] = target.read_bytes()
    return out


@pytest.fixture(scope="module")
def pdf_pages(written) -> list[str]:
    reader = PdfReader(io.BytesIO(written["pdf"]))
    return [page.extract_text() for page in reader.pages]


def test_the_html_report_is_self_contained_and_has_no_images(html) -> None:
    for forbidden in ("<img", "<script", "<link", "<object", "<iframe", "src=", "url("):
        assert forbidden not in html.lower(), forbidden
    assert re.findall(r'href="(?!#)', html) == []  # every link stays inside the report


def test_every_link_in_the_html_report_lands_on_an_item_or_message(html, document) -> None:
    targets = set(re.findall(r'href="#([^"]+)"', html))
    anchors = set(re.findall(r'id="([^"]+)"', html))
    assert targets and targets <= anchors
    feature = next(f for f in document["features"] if f["id"] == "groups_or_channels")
    assert set(feature["refs"]) <= targets


def test_the_report_carries_the_disclaimers_and_marks_unverified_data(html) -> None:
    assert "Decision support, not legal advice." in html
    assert "Hash matching finds only known material" in html
    assert "unverified" in html and "10. Unverified guideline data" in html


def test_the_report_sets_out_custody_counts_chats_answers_limits_and_items(html, document) -> None:
    custody = document["custody"]
    assert custody["source_sha256"] in html and custody["manifest_sha256"] in html
    bank = custody["banks"][0]
    assert bank["name"] == "hotline" and bank["imports"][-1]["version"] == bank["version"]
    for heading in ("Chain of custody", "3. Counts", "4. Timeline", "5. Chats",
                    "6. Features", "7. Guideline assessment", "8. What people recorded",
                    "9. Limitations", "Appendix A. Matched items"):  # fmt: skip
        assert heading in html
    assert "<svg" in html and GIVEN_BY in html and "5,000" in html
    for item in document["items"]:
        assert f'id="{item["id"]}"' in html and item["sha256"] in html


def test_the_json_report_is_the_same_document(document, cases, tmp_path) -> None:
    assert document["schema"] == SCHEMA
    again = json.loads(json.dumps(document))
    rows = {r["id"]: r for r in again["count_table"]["rows"]}
    b = next(c for c in rows["distribution"]["cells"] if c["category"] == "B")
    assert (b["still_images"], b["still_copies"]) == (1, 2)
    assert [(c["activity"], c["category"]) for c in again["guideline"]["cells"]] == [
        ("distribution", "B")
    ]
    assert again["chats"][0]["members"] == 5000


def test_the_pdf_has_the_same_content_and_the_disclaimer_on_every_page(pdf_pages, document) -> None:
    assert len(pdf_pages) > 3
    assert "Case channel-with-facts" in pdf_pages[0]
    assert all("Decision support, not legal advice" in p for p in pdf_pages)
    text = " ".join(" ".join(pdf_pages).split())  # table cells wrap across lines
    assert "1 year's custody" in text and "26 weeks' custody - 2 years' custody" in text
    for item in document["items"]:
        assert item["id"] in text


def test_a_case_with_no_match_still_reports_what_was_scanned(cases) -> None:
    store, _ = cases
    html = render_html(build_document(assess_case(store, "empty", "tester")))
    assert "No media in this case matched the hash lists used" in html
    assert "No item matched." in html and "No dated matched reference to chart." in html


def _evidence(days: list[int]) -> Evidence:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    refs = [
        ref(n, date=start + timedelta(days=d), sha256=f"{n:064x}", category="ABC"[n % 3])
        for n, d in enumerate(days, start=1)
    ]
    return build_evidence(refs)


def test_the_timeline_picks_its_bucket_from_the_span_and_counts_references() -> None:
    short = buckets(_evidence([0, 0, 3]))
    assert short["unit"] == "day" and len(short["buckets"]) == 4
    assert short["buckets"][0]["possession"] == {"B": 1, "C": 1}
    long = buckets(_evidence([0, 100, 400]))
    assert long["unit"] == "month" and long["buckets"][0]["label"] == "Jan 2024"
    assert sum(sum(b["possession"].values()) for b in long["buckets"]) == 3


def test_the_timeline_chart_is_plain_svg_with_a_bar_per_category_and_bucket() -> None:
    chart = svg(buckets(_evidence([0, 0, 3])))
    assert chart.startswith("<svg") and "<script" not in chart
    assert len(re.findall(r"<rect[^>]*><title>", chart)) == 3
    assert svg({"unit": None, "buckets": [], "undated": 0}) == ""


# -- the commands ----------------------------------------------------------------------------


def bastion(cases, *args: str) -> subprocess.CompletedProcess[str]:
    store, _ = cases
    url = store.engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "BASTION_DATABASE_URL": url},
        timeout=300,
    )


def test_case_assess_records_an_answers_file_and_shows_the_assessment(cases, tmp_path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "given_by: Jane Doe, defence solicitor\nanswers:\n  ew.previous-convictions: no\n"
    )
    done = bastion(cases, "case", "assess", "cli-case", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    assert "Recorded from answers.yaml: 1 answers" in done.stderr
    assert "Possession" in done.stdout and "Distribution" in done.stdout
    assert "ew.previous-convictions" in done.stdout and "Jane Doe" in done.stdout
    assert "Decision support, not legal advice" in done.stdout


def test_case_assess_refuses_a_bad_answers_file_and_records_nothing(cases, tmp_path) -> None:
    answers = tmp_path / "bad.yaml"
    answers.write_text("answers:\n  ew.remorse: perhaps\n")
    done = bastion(cases, "case", "assess", "cli-case", "--answers", str(answers))
    assert done.returncode == 2 and "perhaps" in done.stderr and "nothing" in done.stderr
    assert "Traceback" not in done.stderr


def test_case_report_writes_a_pdf_and_the_json_document(written, document) -> None:
    assert written["pdf"].startswith(b"%PDF")
    from_cli = json.loads(written["json"])
    assert from_cli["case"] == document["case"] and from_cli["items"] == document["items"]


def test_case_commands_name_an_unknown_case_and_list_the_known_ones(cases) -> None:
    done = bastion(cases, "case", "report", "no-such-case")
    assert done.returncode == 2 and "no case named 'no-such-case'" in done.stderr
    assert "cli-case" in done.stderr and "Traceback" not in done.stderr


def test_chat_meta_and_mark_production_from_the_command_line(cases) -> None:
    done = bastion(cases, "case", "chat-meta", "cli-case", "Open Lounge", "--members", "12000",
                   "--by", "DC Example", "--note", "group info page")  # fmt: skip
    assert done.returncode == 0, done.stderr
    refused = bastion(cases, "case", "mark-production", "cli-case", "--category", "A")
    assert refused.returncode == 2 and "never inferred" in refused.stderr
    shown = bastion(cases, "case", "assess", "cli-case")
    assert "12,000 members" in shown.stdout


def test_a_report_without_the_appendix_says_where_every_item_is(document) -> None:
    html = render_html(document, appendix=False)
    assert "Left out of this copy at the user's request" in html
    assert not any(f'id="{i["id"]}"' in html for i in document["items"])


def test_the_manifest_digest_can_be_recomputed_from_the_files_the_json_lists(document) -> None:
    import hashlib

    custody = document["custody"]
    lines = "".join(f"{f['key']}\t{f['sha256'] or ''}\n" for f in custody["files"])
    assert hashlib.sha256(lines.encode()).hexdigest() == custody["manifest_sha256"]
    assert len(custody["files"]) == custody["files_hashed"] > 0
