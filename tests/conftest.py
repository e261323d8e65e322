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


# -- databases -------------------------------------------------------------------------------
# Store tests run against both the embedded SQLite default and a real PostgreSQL server.
# .ci/run makes sure PostgreSQL is up and sets BASTION_REQUIRE_POSTGRES=1, so that there an
# unreachable server fails the run instead of skipping those tests.

PG_ADMIN_URL = os.environ.get(
    "BASTION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_url():
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bastion_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure
        admin.dispose()
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if os.environ.get("BASTION_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(store) -> None:
    from sqlalchemy import text

    from bastion.store.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    from bastion.store import Store

    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'bastion.db'}")
    else:
        s = Store.open(request.getfixturevalue("postgres_url"))
        _truncate_all(s)
    yield s
    s.close()
