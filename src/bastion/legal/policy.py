"""The platform's disclosure policy: which data types may be disclosed, over how long a period,
on which legal bases per country.

The default follows Telegram's privacy policy §8.3 (September 2024): on "a valid order from the
relevant judicial authorities" Telegram "may disclose your IP address and phone number"
(https://edit.tosdr.org/points/37329). Nothing else is disclosable unless the platform's own
policy file says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# What a request may ask for (recorded as asked); what may be disclosed is the policy's subset.
DATA_TYPES = (
    "ip_addresses",
    "phone_number",
    "subscriber_details",
    "messages",
    "contacts",
    "content",
)
# Data types the desk can produce at all: the platform records nothing else for it.
PRODUCIBLE = frozenset({"ip_addresses", "phone_number"})
BASES = ("court_order", "warrant", "production_order", "emergency")
JUDICIAL = frozenset({"court_order", "warrant", "production_order", "emergency"})


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the key and what to change."""


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    data_types: frozenset[str] = frozenset({"ip_addresses", "phone_number"})
    max_range_days: int = 365
    default_bases: frozenset[str] = JUDICIAL
    # Per country (ISO 3166-1 alpha-2): the legal bases accepted from its authorities.
    # A "production order" is a UK instrument (PACE 1984 Sch. 1); a US authority sends a court
    # order or a warrant (18 U.S.C. §2703(d), (a)).
    bases_by_country: dict[str, frozenset[str]] = field(
        default_factory=lambda: {
            "GB": frozenset({"court_order", "warrant", "production_order", "emergency"}),
            "US": frozenset({"court_order", "warrant", "emergency"}),
        }
    )

    def bases_for(self, country: str) -> frozenset[str]:
        return self.bases_by_country.get(country.upper(), self.default_bases)

    @classmethod
    def load(cls, path: Path) -> DisclosurePolicy:
        """A policy from JSON: {"data_types": [...], "max_range_days": N, "default_bases":
        [...], "bases_by_country": {"GB": [...]}}; keys left out keep the default."""
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise PolicyError(f"disclosure policy {path}: {exc}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: object, where: str = "policy") -> DisclosurePolicy:
        if not isinstance(raw, dict):
            raise PolicyError(f"{where}: expected a JSON object")
        default = cls()
        unknown = set(raw) - {"data_types", "max_range_days", "default_bases", "bases_by_country"}
        if unknown:
            raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
        types = frozenset(raw.get("data_types", default.data_types))
        if not types <= PRODUCIBLE:
            raise PolicyError(
                f"{where}: data_types {sorted(types - PRODUCIBLE)} cannot be disclosed; the "
                f"desk holds only {sorted(PRODUCIBLE)}"
            )
        days = raw.get("max_range_days", default.max_range_days)
        if not isinstance(days, int) or days < 1:
            raise PolicyError(f"{where}: max_range_days must be a whole number of days >= 1")
        bases = {
            c.upper(): _bases(v, f"{where}: bases_by_country.{c}")
            for c, v in raw.get("bases_by_country", {}).items()
        }
        default_bases = _bases(
            raw.get("default_bases", sorted(default.default_bases)), f"{where}: default_bases"
        )
        return cls(types, days, default_bases, bases or default.bases_by_country)


def _bases(values: object, where: str) -> frozenset[str]:
    if not isinstance(values, list) or not set(values) <= set(BASES):
        raise PolicyError(f"{where} must be a list drawn from {list(BASES)}")
    return frozenset(values)


DEFAULT_POLICY = DisclosurePolicy()
