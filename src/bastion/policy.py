"""The verdict policy: matches -> allow, review or block, as data a platform can read and change.

Rules are checked in order; the first rule that any effective match satisfies decides. With no
match the verdict is `allow` (rule `no-match`); an item an allow-list covers is `allow` (rule
`allow-list`); matches no rule covers get `default_match_verdict` (rule `default`).

The default policy blocks only what a hotline graded and Bastion matched confidently: exact
digests, or PDQ at least `margin` bits inside the bank's threshold; everything else goes to a
person.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from bastion.matching import Match, MatchResult

Verdict = Literal["allow", "review", "block"]
VERDICTS = ("allow", "review", "block")
HOTLINES = ("iwf", "ncmec", "caid")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    verdict: Verdict
    description: str = ""
    bank_sources: tuple[str, ...] | None = None
    bank_names: tuple[str, ...] | None = None
    signal_types: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    # For PDQ: the match must be at least this many bits inside the bank's threshold.
    min_margin: int | None = None

    def covers(self, match: Match) -> bool:
        if self.bank_sources is not None and match.bank_source not in self.bank_sources:
            return False
        if self.bank_names is not None and match.bank not in self.bank_names:
            return False
        if self.signal_types is not None and match.signal_type not in self.signal_types:
            return False
        if self.categories is not None and match.category.value not in self.categories:
            return False
        return not (
            self.min_margin is not None
            and match.signal_type == "pdq"
            and match.distance > match.threshold - self.min_margin
        )


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    default_match_verdict: Verdict = "review"
    name: str = "custom"

    def decide(self, result: MatchResult) -> Decision:
        if not result.matches:
            if result.suppressed:
                allow = result.allowed_by[0]
                return Decision("allow", "allow-list", f"allow-listed in bank {allow.bank}")
            return Decision("allow", "no-match", "no match in any bank")
        for rule in self.rules:
            for match in result.matches:
                if rule.covers(match):
                    return Decision(rule.verdict, rule.name, _reason(rule, match))
        first = result.matches[0]
        return Decision(self.default_match_verdict, "default", _reason(None, first))

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "default_match_verdict": self.default_match_verdict,
            "rules": [{k: v for k, v in asdict(r).items() if v is not None} for r in self.rules],
            "implicit": {
                "no-match": "allow when nothing matches",
                "allow-list": "allow when an allow-list entry matches (block matches suppressed)",
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise PolicyError("a policy is an object with a 'rules' list")
        default = data.get("default_match_verdict", "review")
        if default not in VERDICTS:
            raise PolicyError(f"default_match_verdict {default!r} is not one of {VERDICTS}")
        rules = []
        for i, raw in enumerate(data["rules"], start=1):
            if not isinstance(raw, dict) or "name" not in raw or raw.get("verdict") not in VERDICTS:
                raise PolicyError(f"rule {i}: needs a 'name' and a 'verdict' in {VERDICTS}")
            known = set(Rule.__dataclass_fields__)
            unknown = set(raw) - known
            if unknown:
                raise PolicyError(f"rule {i} ({raw['name']}): unknown fields {sorted(unknown)}")
            fields = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
            rules.append(Rule(**fields))
        return cls(
            rules=tuple(rules), default_match_verdict=default, name=data.get("name", "custom")
        )

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise PolicyError(f"{path}: cannot read the policy: {exc}") from None
        try:
            return cls.from_dict(data)
        except PolicyError as exc:
            raise PolicyError(f"{path}: {exc}") from None


def _reason(rule: Rule | None, match: Match) -> str:
    where = f"{match.signal_type} match in {match.bank} ({match.bank_source}, category {match.category.value}"
    if match.signal_type == "pdq":
        where += f", distance {match.distance}/{match.threshold}"
    where += ")"
    return f"{rule.description or rule.name}: {where}" if rule else f"needs a person: {where}"


DEFAULT_POLICY = Policy(
    name="default",
    rules=(
        Rule(
            name="hotline-exact",
            verdict="block",
            description="exact digest listed by a hotline or police database",
            bank_sources=HOTLINES,
            signal_types=("md5", "sha1", "sha256"),
        ),
        Rule(
            name="hotline-pdq",
            verdict="block",
            description="PDQ match well inside a hotline bank's threshold",
            bank_sources=HOTLINES,
            signal_types=("pdq",),
            min_margin=8,
        ),
        Rule(
            name="hotline-video",
            verdict="block",
            description="video listed by a hotline: its frames found at the bank's vPDQ rule",
            bank_sources=HOTLINES,
            signal_types=("vpdq",),
        ),
        Rule(
            name="other-match",
            verdict="review",
            description="match from an unverified bank or near the threshold",
        ),
    ),
)
