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


FILLER_OVERRIDES = {
    ("items", "kind"): "reading",
    ("course_runs", "enrolment_mode"): "open",
    ("courses", "video_threshold"): 0.9,
}


def _insert_row(connection, table, **values):
    """One row of ``table`` as the schema stands, every required column filled."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    row = {}
    for column in table.columns:
        if column.name in values:
            row[column.name] = values[column.name]
        elif column.primary_key or column.nullable or column.server_default is not None:
            continue
        elif (table.name, column.name) in FILLER_OVERRIDES:
            row[column.name] = FILLER_OVERRIDES[(table.name, column.name)]
        elif column.foreign_keys:
            row[column.name] = 1
        elif isinstance(column.type, sa.Boolean):
            row[column.name] = False
        elif isinstance(column.type, sa.Integer | sa.Float | sa.Numeric):
            row[column.name] = 0
        elif isinstance(column.type, sa.DateTime):
            row[column.name] = datetime(2026, 1, 1, tzinfo=UTC)
        elif isinstance(column.type, sa.JSON):
            row[column.name] = []
        else:
            row[column.name] = f"{table.name}-{column.name}"[
                : getattr(column.type, "length", None) or 200
            ]
    return connection.execute(table.insert().values(**row)).inserted_primary_key[0]


def test_upgrades_keep_what_learners_did(empty_database):
    """Rebuilding a table (SQLite's batch migrations) must not cascade-delete the rows that
    point at it: a learner's progress survives every later migration."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    engine = db.engine
    upgrade(revision="0006_certificates")
    tables = sa.MetaData()
    tables.reflect(bind=engine)
    with engine.begin() as connection:
        for name in ("users", "courses", "course_runs", "enrolments", "modules", "items"):
            extra = {"ends_at": datetime(2026, 2, 1, tzinfo=UTC)} if name == "course_runs" else {}
            _insert_row(connection, tables.tables[name], id=1, **extra)
        _insert_row(connection, tables.tables["item_progress"])

    upgrade()

    with engine.connect() as connection:
        counts = {
            name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
            for name in ("modules", "items", "enrolments", "item_progress")
        }
    assert counts == {"modules": 1, "items": 1, "enrolments": 1, "item_progress": 1}
    if engine.dialect.name == "sqlite":
        # Every pooled connection enforces foreign keys again once the migrations are done.
        connections = [engine.connect() for _ in range(3)]
        try:
            for connection in connections:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            for connection in connections:
                connection.close()
