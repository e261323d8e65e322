"""Storage: SQLAlchemy models, sessions and Alembic migrations (SQLite default, PostgreSQL)."""

from bastion.store.db import Store, StoreError, database_url

__all__ = ["Store", "StoreError", "database_url"]
