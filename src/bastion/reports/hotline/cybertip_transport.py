"""The wire under the CyberTipline client: one step's HTTP request with retries, and NCMEC's
answer read into a typed result or a typed error.

Answers are XML (<reportResponse>, <reportDoneResponse>) whose responseCode is 0 for success and
one of NCMEC's codes otherwise (documentation, Appendix D). The code is read whatever the HTTP
status: NCMEC's test environment answered errors with HTTP 200 in recorded sessions, and other
clients also see error statuses with an XML body. Without XML, 401/403 means bad credentials and
5xx a server failure.

Retries: a failure before anything was sent, an HTTP 5xx and NCMEC's server-side codes are tried
again with growing waits. A failure after the request went out (the answer lost) is tried again
only when the caller says a repeat is harmless; otherwise it is UploadOutcomeUnknown.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from lxml import etree

from bastion.reports.hotline.errors import (
    AuthenticationFailed,
    CyberTiplineError,
    CyberTiplineProtocolError,
    CyberTiplineRejected,
    CyberTiplineUnavailable,
    FileNotFound,
    ReportAlreadyFinished,
    ReportAlreadyRetracted,
    ReportNotFound,
    ServerFailure,
    UploadOutcomeUnknown,
    ValidationRejected,
)

PRODUCTION_URL = "https://report.cybertip.org/ispws"
TEST_URL = "https://exttest.cybertip.org/ispws"

# NCMEC's response codes (documentation, Appendix D; "a non-exhaustive list"). 1001 is the code
# the test environment gave for schema errors in 2015 (recorded in ello/ncmec_reporting's
# fixtures); the current documentation lists 4100/4110 instead.
_ERRORS: dict[int, type[CyberTiplineRejected]] = {
    1000: ServerFailure,
    1100: ServerFailure,
    1110: ServerFailure,
    1111: ServerFailure,
    1300: ServerFailure,
    1210: ReportNotFound,
    1001: ValidationRejected,
    2000: AuthenticationFailed,
    3000: AuthenticationFailed,
    3100: AuthenticationFailed,
    3300: AuthenticationFailed,
    4000: ValidationRejected,
    4100: ValidationRejected,
    4110: ValidationRejected,
    4200: ValidationRejected,
    5001: ReportNotFound,
    5002: FileNotFound,
    5101: ReportAlreadyRetracted,
    5102: ReportAlreadyFinished,
}

# Raised before any byte left: trying again cannot duplicate anything.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


@dataclass(frozen=True, slots=True)
class CyberTiplineConfig:
    """Where and as whom to report. `attempts` bounds tries per step for transient failures;
    waits grow from `backoff_seconds` (1x, 2x, 4x ...)."""

    base_url: str
    username: str
    password: str = field(repr=False)
    timeout_seconds: float = 120.0
    attempts: int = 4
    backoff_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError(f"CyberTipline base URL {self.base_url!r} must start with https://")
        if not self.username or not self.password:
            raise ValueError(
                "CyberTipline username and password are both required (NCMEC issues them)"
            )
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CyberTiplineConfig:
        """BASTION_CYBERTIP_URL (default: NCMEC's test environment), BASTION_CYBERTIP_USERNAME,
        and BASTION_CYBERTIP_PASSWORD or BASTION_CYBERTIP_PASSWORD_FILE (a file holding it);
        optionally BASTION_CYBERTIP_ATTEMPTS, _BACKOFF_SECONDS, _TIMEOUT_SECONDS."""
        env = os.environ if environ is None else environ
        password = env.get("BASTION_CYBERTIP_PASSWORD", "")
        if not password and env.get("BASTION_CYBERTIP_PASSWORD_FILE"):
            try:
                with open(env["BASTION_CYBERTIP_PASSWORD_FILE"], encoding="utf-8") as handle:
                    password = handle.read().strip()
            except OSError as exc:
                raise ValueError(f"BASTION_CYBERTIP_PASSWORD_FILE: {exc.strerror}") from None
        username = env.get("BASTION_CYBERTIP_USERNAME", "")
        if not username or not password:
            raise ValueError(
                "set BASTION_CYBERTIP_USERNAME and BASTION_CYBERTIP_PASSWORD (or _PASSWORD_FILE) "
                "to the credentials NCMEC issued"
            )
        try:
            tuning = {
                key: kind(env[name])
                for key, name, kind in (
                    ("attempts", "BASTION_CYBERTIP_ATTEMPTS", int),
                    ("backoff_seconds", "BASTION_CYBERTIP_BACKOFF_SECONDS", float),
                    ("timeout_seconds", "BASTION_CYBERTIP_TIMEOUT_SECONDS", float),
                )
                if env.get(name)
            }
        except ValueError:
            raise ValueError(
                "BASTION_CYBERTIP_ATTEMPTS, _BACKOFF_SECONDS and _TIMEOUT_SECONDS must be numbers"
            ) from None
        return cls(
            base_url=env.get("BASTION_CYBERTIP_URL", TEST_URL),
            username=username,
            password=password,
            **tuning,
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """NCMEC's answer to one step: the XML root, the Request-ID header, and whether an earlier
    try's answer was lost after sending (so this answer may be to a repeat)."""

    root: etree._Element
    request_id: str | None
    after_lost_answer: bool


class CyberTiplineTransport:
    """HTTP Basic over httpx to one CyberTipline environment."""

    def __init__(
        self,
        config: CyberTiplineConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            auth=httpx.BasicAuth(config.username, config.password),
            timeout=config.timeout_seconds,
            transport=transport,
            headers={"User-Agent": "bastion-cybertip/1"},
            # A fresh connection per request: a kept-alive connection that the server closed
            # while idle fails only once the request is written, which would look like a lost
            # answer and block an upload for nothing. A report makes a handful of requests.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self._http.close()

    def call(
        self, step: str, method: str, path: str, *, answer_lost_is_safe: bool, **kwargs: object
    ) -> Answer:
        """One step's request (`method`, `path`, httpx keyword arguments) with retries."""
        lost = False
        last: CyberTiplineError | None = None
        for attempt in range(self.config.attempts):
            if attempt:
                self._sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
            try:
                response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
            except _NOT_SENT as exc:
                last = CyberTiplineUnavailable(
                    step, f"cannot reach {self.config.base_url} ({type(exc).__name__})"
                )
                continue
            except httpx.TransportError as exc:
                if not answer_lost_is_safe:
                    raise UploadOutcomeUnknown(
                        step, f"no answer after sending ({type(exc).__name__})"
                    ) from None
                lost = True
                last = CyberTiplineUnavailable(
                    step, f"no answer after sending ({type(exc).__name__})"
                )
                continue
            try:
                root, request_id = parse(step, response)
            except CyberTiplineError as exc:
                exc.after_lost_answer = lost
                if not exc.transient:
                    raise
                last = exc
                continue
            return Answer(root, request_id, lost)
        assert last is not None
        raise last


def parse(step: str, response: httpx.Response) -> tuple[etree._Element, str | None]:
    """NCMEC's answer as (XML root, Request-ID), or the typed error it stands for."""
    request_id = response.headers.get("Request-ID")
    status = response.status_code
    root = None
    if response.content.strip():
        try:
            root = etree.fromstring(
                response.content,
                parser=etree.XMLParser(resolve_entities=False, no_network=True),
            )
        except etree.XMLSyntaxError:
            root = None
    if root is None or root.tag not in ("reportResponse", "reportDoneResponse"):
        if status in (401, 403):
            raise AuthenticationFailed(
                step, "credentials refused", http_status=status, request_id=request_id
            )
        if status >= 500:
            raise CyberTiplineUnavailable(
                step, "server error", http_status=status, request_id=request_id
            )
        raise CyberTiplineProtocolError(
            step,
            "the answer is not a CyberTipline XML response",
            http_status=status,
            request_id=request_id,
        )
    try:
        code = int((root.findtext("responseCode") or "").strip())
    except ValueError:
        raise CyberTiplineProtocolError(
            step,
            "the answer has no numeric <responseCode>",
            http_status=status,
            request_id=request_id,
        ) from None
    description = root.findtext("responseDescription")
    if code != 0:
        kind = _ERRORS.get(code, CyberTiplineRejected)
        raise kind(
            step,
            "NCMEC refused the request",
            http_status=status,
            response_code=code,
            description=description,
            request_id=request_id,
        )
    if not 200 <= status < 300:
        if status >= 500:
            raise CyberTiplineUnavailable(
                step, "server error", http_status=status, request_id=request_id
            )
        raise CyberTiplineProtocolError(
            step, "HTTP error with a success code", http_status=status, request_id=request_id
        )
    return root, request_id
