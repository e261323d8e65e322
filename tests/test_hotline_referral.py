"""The UK referral (NCA, IWF): a validated JSON document with the report's facts, and a PDF of
the same content with no images."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from importlib import resources

import jsonschema
import pypdf
import pytest

from bastion.reports.hotline import (
    PdfUnavailable,
    ReferralError,
    build_referral,
    parse_referral,
    referral_json,
    referral_json_schema,
    render_referral_html,
    render_referral_pdf,
)
from bastion.reports.hotline.referral import KNOWN_MATERIAL_NOTICE, referral_json_schema_text
from tests.hotline_factory import WHEN, minimal, sample


@pytest.fixture(scope="module")
def referral():
    report, _ = sample()
    return build_referral(report, "nca", created_at=WHEN)


@pytest.fixture(scope="module")
def pdf_text(referral):
    try:
        pdf = render_referral_pdf(referral)
    except PdfUnavailable as exc:
        pytest.skip(str(exc))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return pdf, text, images


def test_referral_round_trips_through_json(referral):
    assert parse_referral(referral_json(referral)) == referral


def test_referral_json_names_its_schema(referral):
    document = json.loads(referral_json(referral))
    assert document["schema"] == "bastion.referral/1"
    assert document["recipient"] == "nca"


def test_shipped_json_schema_is_the_models_schema():
    shipped = resources.files("bastion.reports.hotline").joinpath("schemas/referral-1.schema.json")
    assert shipped.read_text() == referral_json_schema_text()


def test_referral_validates_against_the_json_schema(referral):
    jsonschema.validate(json.loads(referral_json(referral)), referral_json_schema())


def test_bad_hash_is_refused_with_its_path(referral):
    document = json.loads(referral_json(referral))
    document["items"][1]["sha256"] = "not-a-hash"
    with pytest.raises(ReferralError, match=r"items\.1\.sha256"):
        parse_referral(json.dumps(document))


def test_unknown_field_is_refused(referral):
    document = json.loads(referral_json(referral))
    document["image_base64"] = "AAAA"
    with pytest.raises(ReferralError, match="image_base64"):
        parse_referral(json.dumps(document))


def test_missing_reference_is_refused(referral):
    document = json.loads(referral_json(referral))
    del document["reference"]
    with pytest.raises(ReferralError, match="reference"):
        parse_referral(json.dumps(document))


def test_unknown_recipient_is_refused():
    with pytest.raises(ReferralError, match="recipient"):
        build_referral(minimal(), "fbi")  # type: ignore[arg-type]


def test_referral_says_hash_matching_identifies_only_known_material(referral):
    assert KNOWN_MATERIAL_NOTICE in referral.notices
    assert "only known material" in KNOWN_MATERIAL_NOTICE


def test_categories_count_each_item_once_under_its_most_serious_match():
    report, _ = sample(3)
    both = replace(report.files[1], matches=report.files[1].matches + report.files[0].matches)
    report = replace(report, files=(report.files[0], both, report.files[2]))
    assert build_referral(report, "iwf", created_at=WHEN).categories == {"A": 3}


def test_nca_and_iwf_referrals_cite_different_bases():
    report, _ = sample()
    nca = build_referral(report, "nca", created_at=WHEN)
    iwf = build_referral(report, "iwf", created_at=WHEN)
    assert "section 66" in nca.legal_basis
    assert "Internet Watch Foundation" in iwf.legal_basis


def test_referral_json_carries_no_media_bytes(referral):
    _, media = sample()
    text = referral_json(referral)
    for data in media:
        assert base64.b64encode(data[60:120]).decode()[8:48] not in text
        assert data[64:96].hex() not in text


def test_html_escapes_text_from_the_platform():
    report = minimal()
    report = replace(
        report, incident=replace(report.incident, summary="<img src=x onerror=alert(1)>")
    )
    html = render_referral_html(build_referral(report, "iwf", created_at=WHEN))
    assert "<img" not in html
    assert "&lt;img src=x" in html


def test_pdf_opens_and_holds_the_key_facts(referral, pdf_text):
    pdf, text, _ = pdf_text
    assert pdf.startswith(b"%PDF-")
    flat = "".join(text.split())
    for fact in (
        referral.reference,
        referral.provider.organisation,
        referral.reported_user.account_id,
        referral.items[0].sha256,
        referral.items[1].md5,
        "198.51.100.23",
        "iwf-2026-11",
    ):
        assert "".join(fact.split()) in flat
    assert "onlyknownmaterial" in flat


def test_pdf_contains_no_images(pdf_text):
    _, _, images = pdf_text
    assert images == 0


def test_rendering_a_pdf_leaves_pillows_truncated_image_guard_alone(pdf_text):
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
