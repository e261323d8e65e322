"""A lawful request's lifecycle as pure functions over frozen dataclasses.

    received -> verified -> reviewed -> approved -> produced -> delivered
         \\________\\___________\\-> rejected

Each step function takes a request and returns the next one, or raises `StepRefused` naming
what is missing. The state is derived from the steps recorded, never stored on its own, so it
cannot disagree with them. The emergency path (basis "emergency") lets one legal officer
produce after verification; the review and both approvals must then follow within 72 hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bastion.legal.policy import BASES, DATA_TYPES, DisclosurePolicy

# Checks a legal officer confirms before anything else (Telegram discloses only on "a valid
# order from the relevant judicial authorities": the order and its sender must be real).
CHECKS = {
    "identity": "The requesting officer's identity was confirmed independently",
    "channel": "The request arrived through, or was confirmed via, the authority's official channel",
    "document": "The order is complete, signed and in date, and names these accounts",
}
REQUIRED_APPROVALS = 2
EMERGENCY_REVIEW_WITHIN = timedelta(hours=72)
MAX_ACCOUNTS = 100
COUNTRY = re.compile(r"^[A-Z]{2}$")


class StepRefused(ValueError):
    """A step that is not allowed now, or not with these values. `field` names the input at
    fault; `conflict` is true when the request's state (not the input) is the problem."""

    def __init__(self, message: str, field: str | None = None, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


@dataclass(frozen=True, slots=True)
class Scope:
    """Accounts, data types and a half-open period [date_from, date_to)."""

    platform: str
    accounts: tuple[str, ...]
    data_types: tuple[str, ...]
    date_from: datetime
    date_to: datetime

    def covers(self, account: str, data_type: str, at: datetime) -> bool:
        return (
            account in self.accounts
            and data_type in self.data_types
            and self.date_from <= at < self.date_to
        )

    def within(self, other: Scope) -> bool:
        return (
            self.platform == other.platform
            and set(self.accounts) <= set(other.accounts)
            and set(self.data_types) <= set(other.data_types)
            and other.date_from <= self.date_from
            and self.date_to <= other.date_to
        )


@dataclass(frozen=True, slots=True)
class Intake:
    reference: str
    authority: str
    country: str
    officer: str
    contact: str
    basis: str
    requested: Scope
    deadline: datetime
    document_sha256: str

    @property
    def emergency(self) -> bool:
        return self.basis == "emergency"


@dataclass(frozen=True, slots=True)
class Verification:
    by: str
    at: datetime
    checks: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    by: str
    at: datetime
    decision: str  # "approve" or "reject"
    reasons: str
    scope: Scope | None = None  # what may be disclosed, when approved
    retrospective: bool = False  # an emergency disclosure reviewed after the fact


@dataclass(frozen=True, slots=True)
class Approval:
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Production:
    by: str
    at: datetime
    scope: Scope
    package_sha256: str
    records: int
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    by: str
    at: datetime
    method: str
    recipient: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    by: str
    at: datetime
    reasons: str


@dataclass(frozen=True, slots=True)
class LegalRequest:
    id: int
    intake: Intake
    received_at: datetime
    created_by: str
    verification: Verification | None = None
    review: Review | None = None
    approvals: tuple[Approval, ...] = ()
    production: Production | None = None
    delivery: Delivery | None = None
    rejection: Rejection | None = None
    version: int = 1

    @property
    def state(self) -> str:
        if self.rejection is not None:
            return "rejected"
        if self.delivery is not None:
            return "delivered"
        if self.production is not None:
            return "produced"
        if self.approved:
            return "approved"
        if self.review is not None:
            return "reviewed"
        if self.verification is not None:
            return "verified"
        return "received"

    @property
    def approved(self) -> bool:
        return (
            self.review is not None
            and self.review.decision == "approve"
            and len(self.approvals) >= REQUIRED_APPROVALS
        )

    @property
    def closed(self) -> bool:
        return self.state in ("rejected", "delivered") and not self.review_pending

    @property
    def review_pending(self) -> bool:
        """An emergency disclosure still waiting for its review or second approval (a review
        that finds it unjustified closes it: the finding is the record)."""
        if self.review is not None and self.review.decision == "reject":
            return False
        return self.production is not None and self.production.emergency and not self.approved

    @property
    def review_due(self) -> datetime | None:
        if not self.review_pending:
            return None
        return self.production.at + EMERGENCY_REVIEW_WITHIN  # type: ignore[union-attr]

    @property
    def outcome(self) -> str:
        """For the transparency report: fulfilled, partial, rejected or pending."""
        if self.production is None:
            return "rejected" if self.rejection is not None else "pending"
        if self.delivery is None:
            return "pending"
        asked = self.intake.requested
        return "fulfilled" if asked.within(self.production.scope) else "partial"


# -- intake --------------------------------------------------------------------------------


def check_intake(intake: Intake) -> None:
    """Raise StepRefused naming the first field a request cannot be recorded with."""
    for name in ("reference", "authority", "officer", "contact"):
        if not getattr(intake, name).strip():
            raise StepRefused(f"{name} is required", name)
    if not COUNTRY.match(intake.country):
        raise StepRefused("country must be a two-letter ISO 3166 code such as GB", "country")
    if intake.basis not in BASES:
        raise StepRefused(f"basis must be one of {', '.join(BASES)}", "basis")
    scope = intake.requested
    if not scope.platform.strip():
        raise StepRefused("platform is required", "platform")
    if not scope.accounts or any(not a.strip() for a in scope.accounts):
        raise StepRefused("name at least one account, none of them blank", "accounts")
    if len(scope.accounts) > MAX_ACCOUNTS:
        raise StepRefused(f"at most {MAX_ACCOUNTS} accounts per request", "accounts")
    if len(set(scope.accounts)) != len(scope.accounts):
        raise StepRefused("an account is named twice", "accounts")
    unknown = [t for t in scope.data_types if t not in DATA_TYPES]
    if not scope.data_types or unknown:
        raise StepRefused(f"data_types must be drawn from {', '.join(DATA_TYPES)}", "data_types")
    if scope.date_from >= scope.date_to:
        raise StepRefused("date_from must be before date_to", "date_to")


# -- steps ---------------------------------------------------------------------------------


def _require(request: LegalRequest, *states: str, step: str) -> None:
    if request.state not in states:
        raise StepRefused(
            f"request {request.id} is {request.state}; {step} needs it to be "
            + " or ".join(states),
            conflict=True,
        )


def verify(
    request: LegalRequest, checks: tuple[str, ...], by: str, at: datetime, note: str = ""
) -> LegalRequest:
    _require(request, "received", step="verification")
    missing = [c for c in CHECKS if c not in checks]
    if missing:
        raise StepRefused(
            "every check must be confirmed before review (missing: "
            + ", ".join(missing)
            + "); reject the request if one cannot be",
            "checks",
        )
    return replace(request, verification=Verification(by, at, tuple(CHECKS), note))


def policy_problems(
    policy: DisclosurePolicy, intake: Intake, scope: Scope
) -> list[tuple[str, str]]:
    """Why `scope` may not be disclosed for this request: (field, reason) pairs; empty if it
    may."""
    problems: list[tuple[str, str]] = []
    bases = policy.bases_for(intake.country)
    if intake.basis not in bases:
        problems.append(
            (
                "basis",
                f"a {intake.basis} is not accepted from {intake.country} "
                f"(accepted: {', '.join(sorted(bases))})",
            )
        )
    barred = sorted(set(scope.data_types) - policy.data_types)
    if barred:
        problems.append(
            (
                "data_types",
                f"{', '.join(barred)} may not be disclosed under the policy "
                f"(allowed: {', '.join(sorted(policy.data_types))})",
            )
        )
    if not scope.accounts:
        problems.append(("accounts", "approve at least one account"))
    if not scope.data_types:
        problems.append(("data_types", "approve at least one data type"))
    if scope.date_from >= scope.date_to:
        problems.append(("date_to", "date_from must be before date_to"))
    elif scope.date_to - scope.date_from > timedelta(days=policy.max_range_days):
        problems.append(
            ("date_to", f"the period is longer than the policy's {policy.max_range_days} days")
        )
    if not scope.within(intake.requested):
        problems.append(
            (
                "accounts",
                "the approved scope must lie within what was requested: the named "
                "accounts, the data types asked for and the requested dates",
            )
        )
    return problems


def review(
    request: LegalRequest,
    policy: DisclosurePolicy,
    decision: str,
    reasons: str,
    by: str,
    at: datetime,
    scope: Scope | None = None,
) -> LegalRequest:
    """Legal review against the policy, with reasons. Approving records the scope that may be
    disclosed (all or part of what was asked); rejecting closes the request."""
    retrospective = request.review_pending and request.review is None
    if not retrospective:
        _require(request, "verified", step="legal review")
    if decision not in ("approve", "reject"):
        raise StepRefused("decision must be approve or reject", "decision")
    if not reasons.strip():
        raise StepRefused("give the reasons for the decision", "reasons")
    if decision == "reject":
        done = replace(request, review=Review(by, at, "reject", reasons, None, retrospective))
        if retrospective:
            return done  # the data has gone; the finding is recorded for the record
        return replace(done, rejection=Rejection(by, at, reasons))
    if scope is None:
        raise StepRefused("an approval must say which accounts, data types and dates", "accounts")
    problems = policy_problems(policy, request.intake, scope)
    if problems:
        field, _ = problems[0]
        raise StepRefused("; ".join(reason for _, reason in problems), field)
    return replace(request, review=Review(by, at, "approve", reasons, scope, retrospective))


def approve(request: LegalRequest, by: str, at: datetime, note: str = "") -> LegalRequest:
    """One of the two approvals; the same person can never give both."""
    if not (request.review_pending and request.review is not None):
        _require(request, "reviewed", step="approval")
    if request.review is None or request.review.decision != "approve":
        raise StepRefused("the legal review did not approve disclosure", conflict=True)
    if any(a.by == by for a in request.approvals):
        raise StepRefused(
            f"{by} has already approved request {request.id}; a second legal officer must "
            "give the other approval",
            conflict=True,
        )
    if len(request.approvals) >= REQUIRED_APPROVALS:
        raise StepRefused("the request already has both approvals", conflict=True)
    return replace(request, approvals=(*request.approvals, Approval(by, at, note)))


def disclosure_scope(request: LegalRequest, policy: DisclosurePolicy) -> Scope:
    """What a package for this request may contain, or StepRefused if nothing may be produced.

    Normally the reviewed scope, once both approvals are in. On the emergency path, before
    review: the accounts and dates requested, limited to the data types the policy allows."""
    if request.approved and request.state == "approved":
        return request.review.scope  # type: ignore[union-attr,return-value]
    if request.intake.emergency and request.state == "verified":
        asked = request.intake.requested
        allowed = tuple(t for t in asked.data_types if t in policy.data_types)
        if not allowed:
            raise StepRefused("none of the data types requested may be disclosed", "data_types")
        return replace(asked, data_types=allowed)
    raise StepRefused(
        f"request {request.id} is {request.state}: nothing may be produced until the legal "
        f"review approves it and {REQUIRED_APPROVALS} different legal officers have approved "
        "it (or, for an emergency request, it is verified)",
        conflict=True,
    )


def produce(
    request: LegalRequest,
    policy: DisclosurePolicy,
    by: str,
    at: datetime,
    package_sha256: str,
    records: int,
) -> LegalRequest:
    scope = disclosure_scope(request, policy)
    emergency = not request.approved
    return replace(
        request,
        production=Production(by, at, scope, package_sha256, records, emergency),
    )


def deliver(
    request: LegalRequest, by: str, at: datetime, method: str, recipient: str, note: str = ""
) -> LegalRequest:
    _require(request, "produced", step="the delivery record")
    if not method.strip():
        raise StepRefused(
            "say how the package was delivered (e.g. the authority's portal)", "method"
        )
    if not recipient.strip():
        raise StepRefused("say to whom the package was delivered", "recipient")
    return replace(request, delivery=Delivery(by, at, method, recipient, note))


def reject(request: LegalRequest, reasons: str, by: str, at: datetime) -> LegalRequest:
    _require(request, "received", "verified", "reviewed", "approved", step="rejection")
    if not reasons.strip():
        raise StepRefused("give the reasons for rejecting the request", "reasons")
    return replace(request, rejection=Rejection(by, at, reasons))
