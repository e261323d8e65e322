"""The case report as a PDF: the HTML report printed by WeasyPrint (A4), same content.

WeasyPrint needs Pango at run time (Debian: libpango-1.0-0 and libpangoft2-1.0-0) and a font
(fonts-dejavu-core). The renderer fetches nothing: the report has no images, stylesheets or
fonts to load, and any attempt is refused, so a report can never pull content in.
"""

from __future__ import annotations

from typing import Any

from bastion.reports.case.html import render_html


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) cannot be loaded; the message says what to
    install."""


def _refuse(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"the case report fetches nothing (asked for {url[:80]!r})")


def render_pdf(document: dict[str, Any], appendix: bool = True) -> bytes:
    # Importing WeasyPrint sets Pillow's global ImageFile.LOAD_TRUNCATED_IMAGES = True
    # (weasyprint/images.py), which would make bastion.media accept truncated files in the same
    # process; the report has no images, so the flag is put back at once.
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            f"cannot load WeasyPrint ({type(exc).__name__}: {exc}); install it with "
            "`pip install weasyprint` and Pango (Debian: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 fonts-dejavu-core), or write --format html and print that"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    return HTML(string=render_html(document, appendix), url_fetcher=_refuse).write_pdf()
