"""The disclosure package: exactly the approved accounts, data types and period, nothing else.

The scope is applied twice: in the database queries (records.select_in_scope) and again here,
row by row, before anything is written. The package is one zip file:

    data.json, data.csv     the records
    cover-letter.pdf        what is disclosed, to whom, on which basis
    manifest.json           the scope and the SHA-256 of each file above
    manifest.sig            Ed25519 signature of manifest.json
    public-key.pem          the key that signed it (check its fingerprint out of band)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bastion.audit import Actor
from bastion.legal import desk, records, signing
from bastion.legal import requests as rq
from bastion.legal.policy import DisclosurePolicy
from bastion.legal.records import Disclosed
from bastion.legal.requests import LegalRequest, Scope
from bastion.store.db import Store
from bastion.store.types import utcnow

FORMAT = "bastion-disclosure/1"
DATA_FILES = ("data.json", "data.csv", "cover-letter.pdf")
CSV_COLUMNS = ("account_id", "data_type", "value", "observed_at_utc", "source")
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


class PackageError(RuntimeError):
    """The package cannot be built (no signing key, PDF unavailable); the message says why."""


def in_scope(found: Sequence[Disclosed], scope: Scope) -> list[Disclosed]:
    """The second filter: only rows whose account, data type and time the scope covers."""
    return [d for d in found if scope.covers(d.account_id, d.data_type, d.at)]


def _scope_json(scope: Scope) -> dict[str, Any]:
    return {
        "platform": scope.platform,
        "accounts": list(scope.accounts),
        "data_types": list(scope.data_types),
        "date_from": scope.date_from.isoformat(),
        "date_to": scope.date_to.isoformat(),
    }


def _row(d: Disclosed) -> dict[str, str]:
    return {
        "account_id": d.account_id,
        "data_type": d.data_type,
        "value": d.value,
        "observed_at_utc": d.at.isoformat(),
        "source": d.source,
    }


def data_json(request: LegalRequest, scope: Scope, rows: Sequence[Disclosed]) -> bytes:
    body = {
        "reference": request.intake.reference,
        "scope": _scope_json(scope),
        "records": [_row(d) for d in rows],
    }
    return json.dumps(body, indent=2, sort_keys=True).encode()


def data_csv(rows: Sequence[Disclosed]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in rows:
        # A leading = + - @ would be a formula in a spreadsheet (CSV injection); quote it away.
        writer.writerow({k: _cell(v) for k, v in _row(d).items()})
    return out.getvalue().encode()


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "@") else value


def _refuse(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"the cover letter fetches nothing (asked for {url[:80]!r})")


def cover_letter(manifest: dict[str, Any]) -> bytes:
    html = TEMPLATES.get_template("cover_letter.html").render(manifest=manifest)
    # Importing WeasyPrint flips Pillow's LOAD_TRUNCATED_IMAGES; put it back (reports/case/pdf.py).
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PackageError(
            f"cannot load WeasyPrint ({type(exc).__name__}: {exc}); install Pango (Debian: "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    return HTML(string=html, url_fetcher=_refuse).write_pdf()


def build(
    request: LegalRequest,
    scope: Scope,
    found: Sequence[Disclosed],
    key: signing.Ed25519PrivateKey,
    produced_at: datetime,
    produced_by: str,
) -> tuple[bytes, int]:
    """The signed zip and the number of records in it. Only rows `scope` covers are written,
    whatever `found` holds."""
    rows = in_scope(found, scope)
    public = key.public_key()
    review = request.review
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "request_id": request.id,
        "reference": request.intake.reference,
        "authority": request.intake.authority,
        "country": request.intake.country,
        "officer": request.intake.officer,
        "basis": request.intake.basis,
        "request_document_sha256": request.intake.document_sha256,
        "emergency": not request.approved,
        "partial": not request.intake.requested.within(scope),
        "review_reasons": review.reasons if review and review.decision == "approve" else "",
        "approved_by": [a.by for a in request.approvals],
        "scope": _scope_json(scope),
        "records": len(rows),
        "produced_at": produced_at.isoformat(),
        "produced_by": produced_by,
        "key_fingerprint": signing.fingerprint(public),
    }
    files = {
        "data.json": data_json(request, scope, rows),
        "data.csv": data_csv(rows),
        "cover-letter.pdf": cover_letter(manifest),
    }
    manifest["files"] = [
        {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in files.items()
    ]
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    files["manifest.json"] = manifest_bytes
    files["manifest.sig"] = key.sign(manifest_bytes)
    files["public-key.pem"] = signing.public_pem(public)
    out = io.BytesIO()
    stamp = produced_at.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, stamp), data)
    return out.getvalue(), len(rows)


def produce(
    store: Store,
    request_id: int,
    policy: DisclosurePolicy,
    key_path: Path | None,
    actor: Actor,
) -> LegalRequest:
    """Build, sign and keep the package for an approved (or verified emergency) request.
    Refused, with nothing built, for any request that may not produce."""
    request = desk.get(store, request_id)
    scope = rq.disclosure_scope(request, policy)  # raises before any data is read
    if key_path is None:
        raise PackageError(
            "no signing key is configured: create one with `bastion legal keygen PATH` and set "
            "BASTION_LEGAL_SIGNING_KEY=PATH"
        )
    try:
        key = signing.load_private(key_path)
    except signing.SigningError as exc:
        raise PackageError(str(exc)) from None
    at = utcnow()
    data, count = build(request, scope, records.select_in_scope(store, scope), key, at, actor.name)
    name = f"disclosure-{request.id}-{at:%Y%m%dT%H%M%SZ}.zip"
    document = desk.document_of(name, "application/zip", data)
    return desk.apply(
        store,
        request_id,
        lambda r: rq.produce(r, policy, actor.name, at, document.sha256, count),
        actor,
        "legal.produce",
        {
            # Counts, not account ids or values: auditors read the trail, only `legal` the data.
            "package_sha256": document.sha256,
            "records": count,
            "accounts": len(scope.accounts),
            "data_types": list(scope.data_types),
            "date_from": scope.date_from,
            "date_to": scope.date_to,
            "emergency": not request.approved,
        },
        package=document,
    )


def scope_summary(scope: Scope) -> dict[str, Any]:
    return _scope_json(scope)
