"""Service settings: environment variables (BASTION_*) over an optional TOML file, validated at
start so a typo fails loudly with the setting's name rather than at the first request."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bastion.legal.policy import DEFAULT_POLICY as DEFAULT_DISCLOSURE_POLICY
from bastion.legal.policy import DisclosurePolicy
from bastion.legal.policy import PolicyError as DisclosurePolicyError
from bastion.policy import DEFAULT_POLICY, Policy, PolicyError


class SettingsError(ValueError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASTION_", extra="forbid")

    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in BASTION_HOME"
    )
    max_upload_bytes: int = Field(64 * 1024 * 1024, gt=0, description="Largest accepted upload")
    max_image_pixels: int = Field(200_000_000, gt=0, description="Decompression-bomb limit")
    pdq_mode: str = Field("fast", description="fast or exact")
    dihedral: bool = Field(True, description="Match rotations and mirrors of images")
    pdq_views: bool = Field(
        True, description="Match trimmed and zoom-out PDQ views too (false: plain PDQ)"
    )
    lookback_days: float = Field(30.0, ge=0, description="Retroactive matching window")
    index_refresh_seconds: float = Field(1.0, gt=0, le=5, description="Bank change polling")
    policy_file: Path | None = Field(None, description="JSON verdict policy (default built in)")
    content_cache_size: int = Field(
        50_000, ge=0, description="Hashes remembered by content SHA-256"
    )
    key_cache_seconds: float = Field(5.0, ge=0, description="API key cache (revocation delay)")
    legal_signing_key: Path | None = Field(
        None, description="Ed25519 private key (PEM) that signs disclosure packages"
    )
    legal_policy_file: Path | None = Field(
        None, description="JSON disclosure policy (default: IP addresses and phone numbers)"
    )
    account_retention_days: int = Field(
        365, ge=1, description="Days the desk keeps account identifiers and IP events"
    )
    reveal_seconds: float = Field(
        5.0, gt=0, le=30, description="How long a revealed item stays unblurred in the review UI"
    )

    @field_validator("pdq_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in ("fast", "exact"):
            raise ValueError("must be 'fast' or 'exact'")
        return value

    @field_validator("policy_file")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("legal_policy_file", "legal_signing_key")
    @classmethod
    def _legal_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    def disclosure_policy(self) -> DisclosurePolicy:
        if self.legal_policy_file is None:
            return DEFAULT_DISCLOSURE_POLICY
        return DisclosurePolicy.load(self.legal_policy_file)

    def policy(self) -> Policy:
        return Policy.load(self.policy_file) if self.policy_file else DEFAULT_POLICY


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Settings from `config_file` (or BASTION_CONFIG), overridden by BASTION_* variables and
    then by `overrides`. Raises SettingsError naming each bad setting."""
    path = config_file or (
        Path(os.environ["BASTION_CONFIG"]) if os.environ.get("BASTION_CONFIG") else None
    )
    from_file: dict[str, object] = {}
    if path is not None:
        try:
            from_file = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"config file {path}: {exc}") from None
        from_file = {k: v for k, v in from_file.items() if f"BASTION_{k.upper()}" not in os.environ}
    try:
        settings = Settings(
            **{**from_file, **{k: v for k, v in overrides.items() if v is not None}}
        )
        settings.policy()
        settings.disclosure_policy()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(f"invalid settings ({problems})") from None
    except (PolicyError, DisclosurePolicyError) as exc:
        raise SettingsError(str(exc)) from None
    return settings
