"""The case report: a self-contained, printable account of a scanned case's evidence and the
sentencing guideline framework applied to it, as HTML, PDF (same content) or JSON.

```python
from bastion.cases.assessment import assess_case
from bastion.reports.case import build_document, render_html, render_pdf

document = build_document(assess_case(store, "op-harbour", generated_by="cli:jd@laptop"))
html = render_html(document)          # str, one file, nothing to fetch
pdf = render_pdf(document)            # bytes (WeasyPrint)
```

No report ever contains an image: hashes, paths and message references only.
"""

from bastion.reports.case.document import SCHEMA, build_document
from bastion.reports.case.html import render_html
from bastion.reports.case.pdf import PdfUnavailable, render_pdf

__all__ = ["SCHEMA", "PdfUnavailable", "build_document", "render_html", "render_pdf"]
