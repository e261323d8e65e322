"""Checking a disclosure package: the signature over the manifest, every file's SHA-256, no
file missing or added, and every record inside the manifest's scope. `bastion legal verify`
prints the result; an authority can run it on what it received."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bastion.legal import signing
from bastion.legal.package import DATA_FILES, FORMAT

SIGNED_EXTRAS = {"manifest.json", "manifest.sig", "public-key.pem"}


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    fingerprint: str = ""
    key_source: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(path: Path, public_key: Path | None = None) -> Verdict:
    verdict = Verdict()
    try:
        with zipfile.ZipFile(path) as z:
            files = {name: z.read(name) for name in z.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        verdict.problems.append(f"{path} is not a readable package (zip): {exc}")
        return verdict
    verify_files(files, public_key, verdict)
    return verdict


def verify_files(files: dict[str, bytes], public_key: Path | None, verdict: Verdict) -> None:
    for needed in ("manifest.json", "manifest.sig"):
        if needed not in files:
            verdict.problems.append(f"{needed} is missing")
            return
    try:
        if public_key is not None:
            key = signing.load_public(public_key.read_bytes(), str(public_key))
            verdict.key_source = str(public_key)
        else:
            key = signing.load_public(files.get("public-key.pem", b""), "public-key.pem")
            verdict.key_source = "the key inside the package (check its fingerprint)"
    except (OSError, signing.SigningError) as exc:
        verdict.problems.append(str(exc))
        return
    verdict.fingerprint = signing.fingerprint(key)
    if not signing.valid(key, files["manifest.sig"], files["manifest.json"]):
        verdict.problems.append(
            "the signature does not match manifest.json (altered or another key)"
        )
        return
    manifest = json.loads(files["manifest.json"])
    verdict.manifest = manifest
    if manifest.get("format") != FORMAT:
        verdict.problems.append(f"unknown package format {manifest.get('format')!r}")
    listed = {f["name"]: f for f in manifest.get("files", [])}
    for name in sorted(set(files) - set(listed) - SIGNED_EXTRAS):
        verdict.problems.append(f"{name} is in the package but not in the manifest")
    for name, entry in listed.items():
        data = files.get(name)
        if data is None:
            verdict.problems.append(f"{name} is listed in the manifest but missing")
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            verdict.problems.append(f"{name}: SHA-256 differs from the manifest (file altered)")
    if set(listed) != set(DATA_FILES):
        verdict.problems.append(f"the manifest should list exactly {', '.join(DATA_FILES)}")
    if not verdict.problems:
        verdict.problems.extend(scope_problems(manifest, files))


def scope_problems(manifest: dict, files: dict[str, bytes]) -> list[str]:
    """Every record in data.json and data.csv lies inside the manifest's scope."""
    scope = manifest["scope"]
    start, end = (datetime.fromisoformat(scope[k]) for k in ("date_from", "date_to"))
    records = json.loads(files["data.json"])["records"]
    rows = list(csv.DictReader(io.StringIO(files["data.csv"].decode())))
    problems = []
    if len(records) != manifest["records"] or len(rows) != manifest["records"]:
        problems.append("the number of records differs between the manifest and the data files")
    for r in records + rows:
        at = datetime.fromisoformat(r["observed_at_utc"])
        if (
            r["account_id"] not in scope["accounts"]
            or r["data_type"] not in scope["data_types"]
            or not start <= at < end
        ):
            problems.append(f"a record of {r['account_id']!r} lies outside the approved scope")
    return problems
