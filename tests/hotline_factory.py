"""Hotline reports about benign synthetic pictures, hashed by Bastion itself.

The pictures are generated (bastion.synthetic); "category A" on them is only a label, as on
every test picture in this repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bastion import synthetic
from bastion.hashing import hash_bytes
from bastion.reports.hotline import (
    CaptureEvent,
    Chat,
    HotlineReport,
    Incident,
    IncidentType,
    IpCapture,
    ListMatch,
    Person,
    ReportedFile,
    ReportedUser,
    Reporter,
)

WHEN = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def picture(seed: int) -> bytes:
    return synthetic.encode(synthetic.photo_like(seed, 96, 72))


def reported_file(
    data: bytes, name: str, *, category: str = "A", viewed: bool = False
) -> ReportedFile:
    hashes = hash_bytes(data, name)
    assert hashes.digests is not None and hashes.pdq is not None
    return ReportedFile(
        file_name=name,
        size=hashes.digests.size,
        md5=hashes.digests.md5,
        sha1=hashes.digests.sha1,
        sha256=hashes.digests.sha256,
        pdq=hashes.pdq.hex,
        viewed_by_platform=viewed,
        publicly_available=True,
        original_file_name=f"IMG_{name}",
        uploaded_at=WHEN,
        upload_ip=IpCapture("203.0.113.7", WHEN, CaptureEvent.UPLOAD, port=51234),
        exif_present=False,
        matches=(
            ListMatch(
                bank="iwf-2026-11",
                source="iwf",
                category=category,
                signal_type="md5",
                source_label=category,
                source_id=f"iwf-{name}",
            ),
            ListMatch(
                bank="local-pdq", source="local", category=category, signal_type="pdq", distance=12
            ),
        ),
    )


def sample(n_files: int = 2) -> tuple[HotlineReport, list[bytes]]:
    """A complete report about `n_files` synthetic pictures, and their bytes in file order."""
    media = [picture(seed) for seed in range(1, n_files + 1)]
    files = tuple(
        reported_file(data, f"picture-{i}.jpg", category="AB"[i % 2], viewed=i == 0)
        for i, data in enumerate(media)
    )
    report = HotlineReport(
        reference="case-2026-0042",
        reporter=Reporter(
            organisation="Example Messaging Ltd",
            platform="Examplegram",
            reporting_person=Person(
                "Alex", "Reviewer", ("trust@example.org",), ("+44 20 7946 0000",)
            ),
            contact_person=Person("Sam", "Legal", ("legal@example.org",)),
            company_template="Legal process: legal@example.org. Data kept for one year.",
            legal_url="https://example.org/law-enforcement",
        ),
        incident=Incident(
            type=IncidentType.CHILD_PORNOGRAPHY,
            occurred_at=WHEN,
            summary="Two files matching hotline hash lists were posted in a public channel.",
            chat=Chat("public_channel", True, "Example channel", "-100200300", 5400),
        ),
        reported_user=ReportedUser(
            account_id="user-991",
            username="example_user",
            display_names=("Example User",),
            phones=("+447700900123",),
            ip_captures=(IpCapture("198.51.100.23", WHEN, CaptureEvent.LOGIN),),
        ),
        files=files,
    )
    return report, media


def minimal() -> HotlineReport:
    """The least a report can say: type, time, reporter email."""
    report, _ = sample(0)
    return replace(report, reported_user=None, incident=replace(report.incident, chat=None))
