"""Typed errors of hotline reporting. Messages name the input (field, file, step) and say what to
do; they never contain media bytes, only hashes, ids and the hotline's own words."""

from __future__ import annotations


class ReportInputError(ValueError):
    """The facts given for a report are incomplete or malformed (a field of the input model)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"report input: {field}: {problem}")


class SchemaViolation(ValueError):
    """An XML document that does not follow the CyberTipline schema Bastion ships.

    `problems` holds one (line, path, message) per schema error, in document order."""

    def __init__(self, document: str, problems: tuple[tuple[int, str, str], ...]) -> None:
        self.document = document
        self.problems = problems
        listed = "; ".join(f"line {line}: {message}" for line, _, message in problems)
        super().__init__(
            f"{document} XML does not follow the CyberTipline schema: {listed} (NCMEC rejects "
            "missing, unknown and out-of-order elements; build documents with "
            "bastion.reports.hotline rather than by hand)"
        )


class ReferralError(ValueError):
    """A UK referral document (JSON) that does not follow the referral schema."""

    def __init__(self, problems: tuple[tuple[str, str], ...]) -> None:
        self.problems = problems
        listed = "; ".join(f"{path or 'document'}: {message}" for path, message in problems)
        super().__init__(
            f"referral document does not follow schema bastion.referral/1: {listed} "
            "(see docs/reports.md for the schema)"
        )


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it loads (Pango) are missing."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"cannot render PDF: {detail} (WeasyPrint needs the Debian packages libpango-1.0-0, "
            "libpangoft2-1.0-0 and fonts-dejavu-core; the JSON referral needs none of them)"
        )


class SubmissionStateError(ValueError):
    """A step asked of a submission whose recorded state does not allow it (for example a
    resumed state that belongs to a different report, or an upload after finish)."""


class CyberTiplineError(Exception):
    """A CyberTipline request that did not succeed.

    `step` is the call (submit, upload, fileinfo, finish, retract, status); `response_code` and
    `description` are NCMEC's own (None when no XML answer came back); `request_id` is the
    server's Request-ID header, which NCMEC asks for when you contact them about an error.
    `transient` says whether trying again later may succeed."""

    transient: bool = False
    advice: str = ""
    # For errors after which the caller must persist a changed state (an upload marked as in
    # flight, a file id received with a wrong MD5): the state to save. Otherwise None.
    state: object | None = None
    # True when an earlier try of the same step was sent and its answer lost, so this answer
    # may be about a repeat (NCMEC refusing to do twice what it already did).
    after_lost_answer: bool = False

    def __init__(
        self,
        step: str,
        detail: str,
        *,
        http_status: int | None = None,
        response_code: int | None = None,
        description: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.step = step
        self.detail = detail
        self.http_status = http_status
        self.response_code = response_code
        self.description = description
        self.request_id = request_id
        parts = [f"CyberTipline {step}: {detail}"]
        if response_code is not None:
            parts.append(f"(NCMEC code {response_code}: {description or 'no description'})")
        if http_status is not None:
            parts.append(f"[HTTP {http_status}]")
        if request_id:
            parts.append(f"[Request-ID {request_id}]")
        if self.advice:
            parts.append(f"- {self.advice}")
        super().__init__(" ".join(parts))


class CyberTiplineUnavailable(CyberTiplineError):
    transient = True
    advice = (
        "the server could not be reached or failed; the step can be retried with the same state"
    )


class CyberTiplineProtocolError(CyberTiplineError):
    advice = "the answer was not a CyberTipline XML response; check the configured base URL"


class CyberTiplineRejected(CyberTiplineError):
    """NCMEC answered with a non-zero responseCode."""

    advice = "NCMEC refused the request; see its description"


class AuthenticationFailed(CyberTiplineRejected):
    advice = "check the username and password NCMEC issued for this environment (GET /status)"


class ValidationRejected(CyberTiplineRejected):
    advice = "the document or form did not pass NCMEC's validation; fix the input and resubmit"


class ReportNotFound(CyberTiplineRejected):
    advice = (
        "NCMEC does not know this report id (unfinished reports are deleted 24 hours after "
        "opening or 1 hour after the last change); start a new submission"
    )


class FileNotFound(CyberTiplineRejected):
    advice = "NCMEC does not know this file id for the report; upload the file again"


class ReportAlreadyRetracted(CyberTiplineRejected):
    advice = "the report was retracted; start a new submission if it must be filed"


class ReportAlreadyFinished(CyberTiplineRejected):
    advice = "the report is finished: files, file details and retraction are no longer possible"


class ServerFailure(CyberTiplineRejected):
    transient = True
    advice = "NCMEC reported a failure on its side; retry the step later with the same state"


class UploadOutcomeUnknown(CyberTiplineError):
    transient = False
    advice = (
        "the connection failed after the file was sent, so NCMEC may or may not hold it; "
        "Bastion never uploads a file twice, so either retract this report and submit afresh, "
        "or mark the upload as not done (SubmissionState.forget_uncertain_upload) if you know "
        "it failed"
    )


class UploadIntegrityError(CyberTiplineError):
    advice = (
        "NCMEC received bytes whose MD5 differs from the file's; retract the report and submit "
        "afresh"
    )
