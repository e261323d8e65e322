"""Shared fixtures: the benign reference set and generated benign pictures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _reference_root() -> Path | None:
    candidates = [
        os.environ.get("BASTION_REFERENCE"),
        ROOT.parent / "shared" / "reference",
        Path("/work/shared/reference"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "pdq" / "expected.csv").is_file():
            return Path(candidate)
    return None


REFERENCE = _reference_root()


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference (read in place, never copied). Set BASTION_REFERENCE elsewhere."""
    if REFERENCE is None:
        pytest.fail(
            "benign reference set not found: expected ../shared/reference beside the project "
            "(or set BASTION_REFERENCE)"
        )
    return REFERENCE


@pytest.fixture(scope="session")
def pdq_images(reference: Path) -> Path:
    return reference / "pdq" / "images"
