"""Migrations: one head, and an empty database upgraded to exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

import learning.accounts.models  # noqa: F401 - every model must be in the metadata compared
from learning.extensions import db
from tests.databases import fresh_database_url
from tests.helpers import side_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def test_one_head():
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_every_revision_can_be_downgraded():
    for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions():
        source = Path(script.path).read_text()
        assert "def downgrade" in source, script.revision
        body = source.split("def downgrade", 1)[1]
        assert "op." in body, f"{script.revision} has an empty downgrade"


def schema_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


@pytest.fixture
def empty_database(tmp_path):
    url = fresh_database_url("migrations", tmp_path)
    with side_app(tmp_path, SQLALCHEMY_DATABASE_URI=url) as app, app.app_context():
        yield app


def test_upgrade_gives_exactly_the_models_schema_and_downgrade_undoes_it(empty_database):
    engine = db.engine
    assert inspect(engine).get_table_names() == []

    upgrade()

    with engine.connect() as connection:
        assert schema_differences(connection) == []
    tables = set(inspect(engine).get_table_names())
    assert set(db.metadata.tables) <= tables

    downgrade(revision="base")

    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.connect() as connection:
        # The comparison does see a schema that is not the models' one.
        missing = {d[1].name for d in schema_differences(connection) if d[0] == "add_table"}
    assert missing == set(db.metadata.tables)

    upgrade()  # and back up again, as a deployment after a rollback would

    with engine.connect() as connection:
        assert schema_differences(connection) == []
