"""A fake NCMEC CyberTipline Reporting API: a real HTTP server on 127.0.0.1 for tests.

It speaks the protocol the way NCMEC's documentation describes it: HTTP Basic authentication;
POST /submit (report XML), /upload (multipart id + file), /fileinfo (fileDetails XML), /finish
and /retract (form field id); GET /status. Answers are <reportResponse> or <reportDoneResponse>
with NCMEC's response codes. Submitted XML is validated against Bastion's shipped XSD, so a
missing or out-of-order element gets code 4100 with the validator's message. It enforces the
order of steps (no upload to an unknown, finished or retracted report; details only for a file
of that report and only once; no finish or retract twice).

It records every request (`requests`) and every report (`reports`) so tests can assert what was
sent. Of uploaded files it keeps only the name, size and MD5, never the bytes.

Faults for tests: `fail_next(path, status)` answers the next request(s) to a path with an HTTP
error before doing anything; `lose_answer_next(path)` does the work and then breaks the
connection, as a lost answer does; `answer_wrong_md5` makes /upload report a different MD5.

Not verified against NCMEC (marked [U] in docs/reports.md): the HTTP status NCMEC uses with an
error code (the 2015-2016 test environment answered 200, configurable here as
`error_http_status`), the answer to bad credentials (here 401 with code 2000), and the code for a
second fileinfo about the same file (here 4000).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import uuid
from base64 import b64decode
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from lxml import etree

from bastion.reports.hotline.cybertip_xml import validate
from bastion.reports.hotline.errors import SchemaViolation


@dataclass
class FakeFile:
    file_id: str
    name: str
    size: int
    md5: str
    details_xml: bytes | None = None


@dataclass
class FakeReport:
    report_id: int
    xml: bytes
    files: dict[str, FakeFile] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    user: str | None
    response_code: int | None
    http_status: int
    report_id: int | None = None


class _Rejection(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description


DESCRIPTIONS = {
    2000: "Authentication required",
    4000: "Invalid request",
    4100: "Validation failed",
    4110: "Malformed XML submittal",
    4200: "Malformed file submittal",
    5001: "Report does not exist",
    5002: "File does not exist",
    5101: "Report already retracted",
    5102: "Report already finished",
}


def _xml(root_tag: str, **children: object) -> bytes:
    root = etree.Element(root_tag)
    for tag, value in children.items():
        if isinstance(value, list):
            holder = etree.SubElement(root, tag)
            for item in value:
                etree.SubElement(holder, "fileId").text = str(item)
        elif value is not None:
            etree.SubElement(root, tag).text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class FakeCyberTipline:
    def __init__(
        self, username: str = "esp-test", password: str = "s3cret", *, error_http_status: int = 200
    ) -> None:
        self.username = username
        self.password = password
        self.error_http_status = error_http_status
        self.answer_wrong_md5 = False
        self.reports: dict[int, FakeReport] = {}
        self.requests: list[Received] = []
        self._next_id = 7_000_000
        self._faults: dict[str, list[int]] = {}
        self._lose: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.app = self._build_app()

    # -- test controls -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every report, request and pending fault (one server can serve many tests)."""
        with self._lock:
            self.reports.clear()
            self.requests.clear()
            self._faults.clear()
            self._lose.clear()
            self.answer_wrong_md5 = False

    def fail_next(self, path: str, status: int = 503, times: int = 1) -> None:
        with self._lock:
            self._faults.setdefault(path, []).extend([status] * times)

    def lose_answer_next(self, path: str, times: int = 1) -> None:
        with self._lock:
            self._lose[path] = self._lose.get(path, 0) + times

    def calls(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def finished_reports(self) -> list[FakeReport]:
        return [r for r in self.reports.values() if r.finished]

    # -- server --------------------------------------------------------------------------------

    def start(self) -> FakeCyberTipline:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="critical", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("fake CyberTipline did not start")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/ispws"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- protocol ------------------------------------------------------------------------------

    def _user(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if (user, password) == (self.username, self.password) else None

    def _answer(
        self, path: str, user: str | None, code: int, body: bytes, report_id: int | None
    ) -> Response:
        status = 200 if code == 0 else self.error_http_status
        with self._lock:
            self.requests.append(Received(path, user, code, status, report_id))
        return Response(
            body,
            status_code=status,
            media_type="application/xml",
            headers={"Request-ID": uuid.uuid4().hex},
        )

    def _success(self, path: str, user: str | None, report: FakeReport, **extra) -> Response:
        """The reportResponse every successful call returns: code 0, "Success", the report id
        and whatever else the call reports (a file id, a hash)."""
        body = _xml(
            "reportResponse",
            responseCode=0,
            responseDescription="Success",
            reportId=report.report_id,
            **extra,
        )
        return self._answer(path, user, 0, body, report.report_id)

    def _reject(self, path: str, user: str | None, exc: _Rejection) -> Response:
        return self._answer(
            path,
            user,
            exc.code,
            _xml("reportResponse", responseCode=exc.code, responseDescription=exc.description),
            None,
        )

    def _report(self, raw: str | None, *, open_only: bool = True) -> FakeReport:
        try:
            report = self.reports[int(str(raw))]
        except (ValueError, KeyError):
            raise _Rejection(5001, DESCRIPTIONS[5001]) from None
        if open_only and report.retracted:
            raise _Rejection(5101, DESCRIPTIONS[5101])
        if open_only and report.finished:
            raise _Rejection(5102, DESCRIPTIONS[5102])
        return report

    @staticmethod
    def _validated(body: bytes, document: str) -> etree._Element:
        try:
            return validate(body, document)
        except SchemaViolation as exc:
            if (
                exc.problems
                and exc.problems[0][1] == ""
                and "root element" not in exc.problems[0][2]
            ):
                raise _Rejection(4110, f"{DESCRIPTIONS[4110]} - {exc.problems[0][2]}") from None
            detail = "; ".join(message for _, _, message in exc.problems)
            raise _Rejection(4100, f"{DESCRIPTIONS[4100]} - {detail}") from None

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        async def guarded(path: str, request: Request, handler) -> Response:
            with fake._lock:
                faults = fake._faults.get(path)
                fault = faults.pop(0) if faults else None
                lose = fake._lose.get(path, 0) > 0
                if lose:
                    fake._lose[path] -= 1
            if fault is not None:
                with fake._lock:
                    fake.requests.append(Received(path, None, None, fault))
                return Response("upstream unavailable", status_code=fault)
            user = fake._user(request)
            if user is None:
                with fake._lock:
                    fake.requests.append(Received(path, None, 2000, 401))
                body = _xml(
                    "reportResponse", responseCode=2000, responseDescription=DESCRIPTIONS[2000]
                )
                return Response(
                    body,
                    status_code=401,
                    media_type="application/xml",
                    headers={"WWW-Authenticate": 'Basic realm="ispws"'},
                )
            try:
                response = await handler(request, user)
            except _Rejection as exc:
                response = fake._reject(path, user, exc)
            if lose:
                return _BrokenResponse()
            return response

        @app.get("/ispws/status")
        async def status(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                host = request.client.host if request.client else "?"
                return fake._answer(
                    "/status",
                    user,
                    0,
                    _xml(
                        "reportResponse",
                        responseCode=0,
                        responseDescription=f"Remote User : {user}, Remote Ip : {host}",
                    ),
                    None,
                )

            return await guarded("/status", request, handle)

        @app.post("/ispws/submit")
        async def submit(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                body = await request.body()
                fake._validated(body, "report")
                with fake._lock:
                    fake._next_id += 1
                    report = FakeReport(fake._next_id, body)
                    fake.reports[report.report_id] = report
                return fake._success("/submit", user, report)

            return await guarded("/submit", request, handle)

        @app.post("/ispws/upload")
        async def upload(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                form = await request.form()
                report = fake._report(form.get("id"))
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    raise _Rejection(4200, DESCRIPTIONS[4200])
                data = await upload.read()
                digest = hashlib.md5(data).hexdigest()
                item = FakeFile(uuid.uuid4().hex, upload.filename or "", len(data), digest)
                if fake.answer_wrong_md5:
                    digest = hashlib.md5(data + b"!").hexdigest()
                with fake._lock:
                    report.files[item.file_id] = item
                return fake._success("/upload", user, report, fileId=item.file_id, hash=digest)

            return await guarded("/upload", request, handle)

        @app.post("/ispws/fileinfo")
        async def fileinfo(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                root = fake._validated(await request.body(), "fileDetails")
                report = fake._report(root.findtext("reportId"))
                item = report.files.get((root.findtext("fileId") or "").strip())
                if item is None:
                    raise _Rejection(5002, DESCRIPTIONS[5002])
                if item.details_xml is not None:
                    raise _Rejection(
                        4000, f"{DESCRIPTIONS[4000]} - file details already submitted for this file"
                    )
                item.details_xml = etree.tostring(root)
                return fake._success("/fileinfo", user, report)

            return await guarded("/fileinfo", request, handle)

        @app.post("/ispws/finish")
        async def finish(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                report = fake._report((await request.form()).get("id"))
                report.finished = True
                return fake._answer(
                    "/finish",
                    user,
                    0,
                    _xml(
                        "reportDoneResponse",
                        responseCode=0,
                        reportId=report.report_id,
                        files=list(report.files),
                    ),
                    report.report_id,
                )

            return await guarded("/finish", request, handle)

        @app.post("/ispws/retract")
        async def retract(request: Request) -> Response:
            async def handle(request: Request, user: str) -> Response:
                report = fake._report((await request.form()).get("id"))
                report.retracted = True
                return fake._success("/retract", user, report)

            return await guarded("/retract", request, handle)

        return app


class _BrokenResponse(Response):
    """Promises a body it never sends, so the server drops the connection: a lost answer."""

    async def __call__(self, scope, receive, send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b"<", "more_body": False})
        await asyncio.sleep(0)
