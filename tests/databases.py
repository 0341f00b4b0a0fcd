"""Where tests get databases of their own: a SQLite file, or a fresh PostgreSQL database.

``LEARNING_DATABASE_URL`` names the PostgreSQL database the suite may use; tests that need
an empty database of their own (migrations, a live server, a worker process) get a sibling
database ``<name>_<suffix>`` created fresh.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine, make_url


def base_url() -> str | None:
    return os.environ.get("LEARNING_DATABASE_URL") or None


def fresh_database_url(suffix: str, folder: Path) -> str:
    """An empty database for ``suffix``: dropped and created anew on each call."""
    url = base_url()
    if url is None:
        path = Path(folder) / f"{suffix}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise RuntimeError(f"tests support SQLite and PostgreSQL, not {parsed.drivername}")
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_everything(engine: Engine) -> None:
    """Drop every table (the alembic version table too) so migrations start from nothing."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)
