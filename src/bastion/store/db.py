"""Opening the database: the embedded SQLite default or PostgreSQL, migrated to the newest schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bastion.config import bastion_home

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(Exception):
    """The database cannot be opened or used; the message says which and what to do."""


def database_url(explicit: str | None = None) -> str:
    """BASTION_DATABASE_URL, else a SQLite file in BASTION_HOME."""
    url = explicit or os.environ.get("BASTION_DATABASE_URL")
    if not url:
        home = bastion_home()
        home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{home / 'bastion.db'}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the service, a second CLI) proceed while an import writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"BASTION_DATABASE_URL {url!r} is not a database URL; expected e.g. "
            "postgresql://user@host/db or sqlite:///path/to/bastion.db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise StoreError(
        f"unsupported database {parsed.get_backend_name()!r}: Bastion runs on SQLite or PostgreSQL"
    )


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent; serialised on PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes starting together must not both create the tables.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(725001)")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database at {engine.url!r}: {exc.orig}") from None


class Store:
    """The database behind every Bastion feature."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = True) -> Store:
        engine = make_engine(database_url(url))
        if upgrade:
            migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)
