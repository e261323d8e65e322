"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bastion.store.models import Base


def test_migrations_match_the_models(store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_opening_twice_is_idempotent(store) -> None:
    from bastion.store import Store

    again = Store.open(str(store.engine.url.render_as_string(hide_password=False)))
    again.close()
