"""How far one CyberTipline submission has got, as a value the caller persists after each step.

NCMEC's API has no idempotency key: a second POST /submit opens a second report and a second
POST /upload attaches the file twice. Safety therefore rests on this record. The client reads
it before every step and returns a new one after; the caller stores it (a JSON column, an outbox
payload) before doing anything else. A resumed worker hands the stored state back and the client
skips what is done: it never opens a second report once a report id is recorded, never uploads
a file that has a file id (or whose upload may have reached NCMEC), and never finishes twice.

`report_sha256` ties the state to the exact report XML it was opened with, so a state is never
resumed against a different report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from bastion.reports.hotline.errors import SubmissionStateError

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class FileProgress:
    """One file of the report: its SHA-256 (to match it to the report's file), the file id and
    MD5 NCMEC returned for the upload, whether its details were sent, and two markers written
    before a request goes out: `upload_uncertain` (an upload was sent and no answer recorded, so
    the file may or may not be at NCMEC) and `details_attempted`."""

    sha256: str
    file_id: str | None = None
    server_md5: str | None = None
    details_sent: bool = False
    upload_uncertain: bool = False
    details_attempted: bool = False

    @property
    def uploaded(self) -> bool:
        return self.file_id is not None


@dataclass(frozen=True, slots=True)
class SubmissionState:
    report_sha256: str
    files: tuple[FileProgress, ...]
    report_id: int | None = None
    finished: bool = False
    retracted: bool = False
    acknowledged_file_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def next_step(self) -> str:
        """`submit`, `upload N`, `fileinfo N`, `finish`, `done`, `retracted` or `blocked N` (an
        upload whose outcome is unknown needs a decision; see UploadOutcomeUnknown)."""
        if self.retracted:
            return "retracted"
        if self.finished:
            return "done"
        if self.report_id is None:
            return "submit"
        for i, item in enumerate(self.files):
            if item.upload_uncertain:
                return f"blocked {i}"
            if not item.uploaded:
                return f"upload {i}"
            if not item.details_sent:
                return f"fileinfo {i}"
        return "finish"

    def noted(self, note: str) -> SubmissionState:
        return replace(self, notes=(*self.notes, note))

    def with_file(self, index: int, **changes: Any) -> SubmissionState:
        files = list(self.files)
        files[index] = replace(files[index], **changes)
        return replace(self, files=tuple(files))

    def forget_uncertain_upload(self, index: int) -> SubmissionState:
        """Declare that the unanswered upload of file `index` did not reach NCMEC, so it may be
        uploaded again. Only for a caller who knows it (for example from NCMEC's support); the
        safe default is to retract and submit afresh."""
        self._check_index(index)
        return self.with_file(index, upload_uncertain=False)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.files):
            raise SubmissionStateError(
                f"file index {index} is outside this report's {len(self.files)} files"
            )

    def to_json(self) -> str:
        payload = {
            "version": STATE_VERSION,
            "report_sha256": self.report_sha256,
            "report_id": self.report_id,
            "finished": self.finished,
            "retracted": self.retracted,
            "acknowledged_file_ids": list(self.acknowledged_file_ids),
            "notes": list(self.notes),
            "files": [
                {
                    "sha256": f.sha256,
                    "file_id": f.file_id,
                    "server_md5": f.server_md5,
                    "details_sent": f.details_sent,
                    "upload_uncertain": f.upload_uncertain,
                    "details_attempted": f.details_attempted,
                }
                for f in self.files
            ],
        }
        return json.dumps(payload, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SubmissionState:
        try:
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                raise SubmissionStateError(
                    f"submission state version {data.get('version')!r}; this Bastion reads "
                    f"version {STATE_VERSION}"
                )
            return cls(
                report_sha256=str(data["report_sha256"]),
                report_id=None if data["report_id"] is None else int(data["report_id"]),
                finished=bool(data["finished"]),
                retracted=bool(data["retracted"]),
                acknowledged_file_ids=tuple(str(i) for i in data["acknowledged_file_ids"]),
                notes=tuple(str(n) for n in data["notes"]),
                files=tuple(
                    FileProgress(
                        sha256=str(f["sha256"]),
                        file_id=f["file_id"],
                        server_md5=f["server_md5"],
                        details_sent=bool(f["details_sent"]),
                        upload_uncertain=bool(f["upload_uncertain"]),
                        details_attempted=bool(f["details_attempted"]),
                    )
                    for f in data["files"]
                ),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            if isinstance(exc, SubmissionStateError):
                raise
            raise SubmissionStateError(f"stored submission state is not readable: {exc}") from None
