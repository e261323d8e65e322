"""A client for NCMEC's CyberTipline Reporting API: submit -> upload -> fileinfo -> finish (or
retract), safe to resume after a crash.

Endpoints, parameters and answers follow NCMEC's "CyberTipline Reporting API Technical
Documentation" (sections 3 and 6, Appendix D): HTTP Basic authentication with credentials NCMEC
issues per environment; POST /submit with the <report> XML (text/xml; charset=utf-8) answers a
<reportResponse> with the reportId; POST /upload (multipart: `id`, `file`) answers the fileId and
the MD5 NCMEC computed; POST /fileinfo with <fileDetails>; POST /finish (`id`) answers a
<reportDoneResponse> listing the file ids, which is the provider's receipt under 18 U.S.C.
2258A; POST /retract (`id`) cancels a report that is not finished. NCMEC deletes a report that is
never finished 24 hours after it was opened or 1 hour after its last change, whichever is later.

Every step takes the `SubmissionState` and returns a result holding the next one; see
`cybertip_state` for why that makes the flow safe to retry. Transient failures (connection
refused, HTTP 5xx, NCMEC's server-side codes 1000-1300) are retried with backoff inside a step.
An answer lost after a request went out is retried for submit (the extra report it may open is
never finished, so NCMEC deletes it), fileinfo, finish and retract (a repeat is refused or is a
no-op), but never for upload: a repeat could attach the file twice, so the step stops with
UploadOutcomeUnknown instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

import httpx
from lxml import etree

from bastion.reports.hotline.cybertip_state import FileProgress, SubmissionState
from bastion.reports.hotline.cybertip_transport import (
    CyberTiplineConfig,
    CyberTiplineTransport,
)
from bastion.reports.hotline.cybertip_xml import build_file_details_xml, build_report_xml
from bastion.reports.hotline.errors import (
    CyberTiplineProtocolError,
    ReportAlreadyFinished,
    ReportAlreadyRetracted,
    ReportInputError,
    SubmissionStateError,
    UploadIntegrityError,
    UploadOutcomeUnknown,
    ValidationRejected,
)
from bastion.reports.hotline.model import HotlineReport, ReportedFile


@dataclass(frozen=True, slots=True)
class StatusResult:
    description: str
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Submitted:
    state: SubmissionState
    report_id: int
    report_xml: bytes
    skipped: bool


@dataclass(frozen=True, slots=True)
class Uploaded:
    state: SubmissionState
    index: int
    file_id: str
    server_md5: str | None
    skipped: bool


@dataclass(frozen=True, slots=True)
class DetailsSent:
    state: SubmissionState
    index: int
    file_details_xml: bytes | None
    skipped: bool


@dataclass(frozen=True, slots=True)
class Finished:
    """The receipt: NCMEC's report id and the file ids it holds for it."""

    state: SubmissionState
    report_id: int
    file_ids: tuple[str, ...]
    skipped: bool


@dataclass(frozen=True, slots=True)
class Retracted:
    state: SubmissionState
    report_id: int
    skipped: bool


def report_fingerprint(report: HotlineReport) -> str:
    return hashlib.sha256(build_report_xml(report)).hexdigest()


def begin(report: HotlineReport) -> SubmissionState:
    """A fresh state for a report that has not been sent (validates the report XML)."""
    return SubmissionState(
        report_sha256=report_fingerprint(report),
        files=tuple(FileProgress(sha256=item.sha256) for item in report.files),
    )


Media = bytes | BinaryIO


def _read_checked(index: int, item: ReportedFile, content: Media) -> bytes:
    data = content if isinstance(content, bytes) else content.read()
    if not isinstance(data, bytes):
        raise ReportInputError(f"files[{index}]", "media must be bytes or a binary file object")
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != item.sha256 or len(data) != item.size:
        raise ReportInputError(
            f"files[{index}]",
            f"the bytes given for {item.file_name!r} have SHA-256 {sha256} and {len(data)} bytes; "
            f"the report says {item.sha256} and {item.size} (hand the client the original file)",
        )
    return data


class CyberTiplineClient:
    """Synchronous client; one per worker. `transport` and `sleep` are for tests and proxies."""

    def __init__(
        self,
        config: CyberTiplineConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.transport = CyberTiplineTransport(config, transport=transport, sleep=sleep)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> CyberTiplineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the steps -----------------------------------------------------------------------------

    def status(self) -> StatusResult:
        """GET /status: checks that the server is reachable and the credentials work."""
        answer = self.transport.call("status", "GET", "/status", answer_lost_is_safe=True)
        return StatusResult(answer.root.findtext("responseDescription") or "", answer.request_id)

    def submit(self, report: HotlineReport, state: SubmissionState) -> Submitted:
        """POST /submit, once: a state that has a report id returns it without a request."""
        xml = build_report_xml(report)
        self._check_belongs(report, xml, state)
        if state.retracted:
            raise SubmissionStateError("this submission was retracted; begin() a new one")
        if state.report_id is not None:
            return Submitted(state, state.report_id, xml, skipped=True)
        answer = self.transport.call(
            "submit",
            "POST",
            "/submit",
            content=xml,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            answer_lost_is_safe=True,
        )
        report_id = self._int(answer.root, "reportId", "submit")
        new = replace(state, report_id=report_id)
        if answer.after_lost_answer:
            new = new.noted(
                "an answer to /submit was lost and the request repeated: NCMEC may hold an extra "
                "unfinished report, which it deletes after 24 hours"
            )
        return Submitted(new, report_id, xml, skipped=False)

    def upload(
        self,
        report: HotlineReport,
        state: SubmissionState,
        index: int,
        content: Media,
        *,
        save: Callable[[SubmissionState], None] | None = None,
    ) -> Uploaded:
        """POST /upload of file `index`, at most once. With `save`, the state is first saved
        with the upload marked as in flight, so that even a crash mid-request can never lead to
        a second upload of the same file."""
        self._check_belongs(report, None, state)
        state._check_index(index)
        item, progress = report.files[index], state.files[index]
        if progress.uploaded:
            return Uploaded(state, index, progress.file_id or "", progress.server_md5, skipped=True)
        report_id = self._open_report_id(state, "upload")
        if progress.upload_uncertain:
            raise UploadOutcomeUnknown(
                "upload",
                f"file {index} ({item.file_name}, SHA-256 {item.sha256}) was sent earlier and no "
                "answer was recorded",
            )
        data = _read_checked(index, item, content)
        in_flight = state.with_file(index, upload_uncertain=True)
        if save is not None:
            save(in_flight)
        try:
            root = self.transport.call(
                "upload",
                "POST",
                "/upload",
                data={"id": str(report_id)},
                files={"file": (item.file_name, data, "application/octet-stream")},
                answer_lost_is_safe=False,
            ).root
        except UploadOutcomeUnknown as exc:
            exc.state = in_flight
            raise
        file_id = (root.findtext("fileId") or "").strip()
        if not file_id:
            raise CyberTiplineProtocolError("upload", "the answer has no fileId")
        server_md5 = (root.findtext("hash") or "").strip().lower() or None
        done = state.with_file(
            index, file_id=file_id, server_md5=server_md5, upload_uncertain=False
        )
        if server_md5 is not None and server_md5 != item.md5:
            error = UploadIntegrityError(
                "upload",
                f"file {index} ({item.file_name}): NCMEC computed MD5 {server_md5}, the file's is "
                f"{item.md5} (file id {file_id})",
            )
            error.state = done
            raise error
        return Uploaded(done, index, file_id, server_md5, skipped=False)

    def send_file_details(
        self,
        report: HotlineReport,
        state: SubmissionState,
        index: int,
        *,
        save: Callable[[SubmissionState], None] | None = None,
    ) -> DetailsSent:
        """POST /fileinfo for uploaded file `index`, once."""
        self._check_belongs(report, None, state)
        state._check_index(index)
        progress = state.files[index]
        if progress.details_sent:
            return DetailsSent(state, index, None, skipped=True)
        report_id = self._open_report_id(state, "fileinfo")
        if not progress.uploaded:
            raise SubmissionStateError(
                f"file {index} is not uploaded yet; next step: {state.next_step}"
            )
        xml = build_file_details_xml(report_id, progress.file_id or "", report.files[index])
        repeated = progress.details_attempted
        attempt = state.with_file(index, details_attempted=True)
        if save is not None:
            save(attempt)
        try:
            self.transport.call(
                "fileinfo",
                "POST",
                "/fileinfo",
                content=xml,
                headers={"Content-Type": "text/xml; charset=utf-8"},
                answer_lost_is_safe=True,
            )
        except ValidationRejected as exc:
            if not (repeated or exc.after_lost_answer):
                raise
            # NCMEC takes file details once per file; a refusal of a repeat after an attempt
            # whose answer was lost means the first one was recorded.
            done = attempt.with_file(index, details_sent=True).noted(
                f"file {index}: a repeated /fileinfo was refused (code {exc.response_code}); the "
                "earlier attempt is taken as recorded"
            )
            return DetailsSent(done, index, xml, skipped=False)
        return DetailsSent(attempt.with_file(index, details_sent=True), index, xml, skipped=False)

    def finish(self, state: SubmissionState) -> Finished:
        """POST /finish, once every file is uploaded and described. A repeat after a lost answer
        that NCMEC refuses as already finished counts as finished."""
        if state.retracted:
            raise SubmissionStateError("this submission was retracted; it cannot be finished")
        if state.finished:
            return Finished(state, state.report_id or 0, state.acknowledged_file_ids, skipped=True)
        report_id = self._open_report_id(state, "finish")
        if state.next_step != "finish":
            raise SubmissionStateError(
                f"report {report_id} is not ready to finish; next step: {state.next_step}"
            )
        try:
            root = self.transport.call(
                "finish", "POST", "/finish", data={"id": str(report_id)}, answer_lost_is_safe=True
            ).root
        except ReportAlreadyFinished:
            ids = tuple(f.file_id or "" for f in state.files)
            done = replace(state, finished=True, acknowledged_file_ids=ids).noted(
                "NCMEC answered a repeated /finish with 'already finished'; the receipt's file "
                "list is taken from this state"
            )
            return Finished(done, report_id, ids, skipped=False)
        ids = tuple((e.text or "").strip() for e in root.iterfind("files/fileId"))
        done = replace(state, finished=True, acknowledged_file_ids=ids)
        missing = [f.file_id for f in state.files if f.file_id not in ids]
        if missing:
            done = done.noted(f"NCMEC's receipt does not list file ids {missing}")
        return Finished(done, report_id, ids, skipped=False)

    def retract(self, state: SubmissionState) -> Retracted:
        """POST /retract: cancel a report that is not finished."""
        if state.finished:
            raise SubmissionStateError(
                f"report {state.report_id} is finished; NCMEC does not allow retracting it"
            )
        if state.report_id is None:
            return Retracted(replace(state, retracted=True), 0, skipped=True)
        if state.retracted:
            return Retracted(state, state.report_id, skipped=True)
        with contextlib.suppress(ReportAlreadyRetracted):
            self.transport.call(
                "retract",
                "POST",
                "/retract",
                data={"id": str(state.report_id)},
                answer_lost_is_safe=True,
            )
        return Retracted(replace(state, retracted=True), state.report_id, skipped=False)

    def submit_all(
        self,
        report: HotlineReport,
        media: Callable[[int, ReportedFile], Media],
        save: Callable[[SubmissionState], None],
        state: SubmissionState | None = None,
    ) -> Finished:
        """Run every remaining step, calling `save` with the new state after each (and before
        each upload). `media(index, file)` returns the file's bytes or an open binary file."""
        state = state or begin(report)
        result = self.submit(report, state)
        if not result.skipped:
            save(result.state)
        state = result.state
        for index, item in enumerate(report.files):
            if not state.files[index].uploaded:
                uploaded = self.upload(report, state, index, media(index, item), save=save)
                state = uploaded.state
                save(state)
            details = self.send_file_details(report, state, index, save=save)
            if not details.skipped:
                state = details.state
                save(state)
        finished = self.finish(state)
        if not finished.skipped:
            save(finished.state)
        return finished

    # -- plumbing ------------------------------------------------------------------------------

    def _check_belongs(
        self, report: HotlineReport, xml: bytes | None, state: SubmissionState
    ) -> None:
        fingerprint = hashlib.sha256(
            xml if xml is not None else build_report_xml(report)
        ).hexdigest()
        if fingerprint != state.report_sha256 or tuple(f.sha256 for f in state.files) != tuple(
            f.sha256 for f in report.files
        ):
            raise SubmissionStateError(
                "this submission state belongs to a different report (its report XML or files "
                "differ); resume with the report it was begun with, or begin() a new one"
            )

    @staticmethod
    def _open_report_id(state: SubmissionState, step: str) -> int:
        if state.report_id is None:
            raise SubmissionStateError(f"cannot {step} before the report is submitted")
        if state.retracted or state.finished:
            raise SubmissionStateError(
                f"cannot {step}: report {state.report_id} is {state.next_step}"
            )
        return state.report_id

    @staticmethod
    def _int(root: etree._Element, tag: str, step: str) -> int:
        try:
            return int((root.findtext(tag) or "").strip())
        except ValueError:
            raise CyberTiplineProtocolError(step, f"the answer has no numeric <{tag}>") from None
