"""The UK referral as HTML and PDF, for people: the same content as the JSON document.

HTML comes from a Jinja2 template (autoescaped); the PDF from WeasyPrint, which needs Pango at
run time (Debian: libpango-1.0-0, libpangoft2-1.0-0, and a font such as fonts-dejavu-core). The
renderer fetches nothing: no images, no stylesheets or fonts from the network, so a report can
never pull content in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bastion.reports.hotline.errors import PdfUnavailable
from bastion.reports.hotline.referral import Referral

TITLES = {
    "nca": "CSEA content report for the National Crime Agency",
    "iwf": "Referral to the Internet Watch Foundation",
}
RECIPIENTS = {"nca": "National Crime Agency (UK)", "iwf": "Internet Watch Foundation (UK)"}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bastion.reports.hotline", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_referral_html(referral: Referral) -> str:
    return (
        _environment()
        .get_template("referral.html")
        .render(
            r=referral,
            title=TITLES[referral.recipient],
            recipient=RECIPIENTS[referral.recipient],
            when=_when,
        )
    )


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"the referral renderer fetches nothing (asked for {url[:80]!r})")


def render_referral_pdf(referral: Referral) -> bytes:
    """The referral as a PDF (A4). Raises PdfUnavailable when WeasyPrint cannot load."""
    # Importing WeasyPrint sets Pillow's global ImageFile.LOAD_TRUNCATED_IMAGES = True
    # (weasyprint/images.py), which would make bastion.media accept truncated files in the same
    # process. Referrals have no images, so the flag is put back at once.
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(f"{type(exc).__name__}: {exc}") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    document = HTML(string=render_referral_html(referral), url_fetcher=_refuse_fetch)
    return document.write_pdf()
