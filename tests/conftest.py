"""Fixtures shared by the whole suite (DESIGN.md): app, db, client, login_as, outbox.

The schema is built by running the real migrations once per session. Each test then runs
inside one outer transaction that is rolled back at the end; the code under test may commit,
which only releases a savepoint. With ``LEARNING_DATABASE_URL`` set the same suite runs on
that database (PostgreSQL in CI) instead of a SQLite file.
"""

from __future__ import annotations

import contextvars
import os
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from learning import create_app
from learning.extensions import db as _db
from learning.extensions import limiter
from tests.databases import drop_everything, fresh_database_url

os.environ.setdefault("LEARNING_ENV", "testing")


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the engine itself; in tests it must use our connection."""

    def get_bind(self, *args, **kwargs):
        if self.bind is not None:
            return self.bind
        return super().get_bind(*args, **kwargs)


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as it does in production.

    The ``db`` fixture keeps an app context pushed for the whole test, and Flask reuses it for
    requests; ``g`` (the signed-in user, the CSRF token, the locale) would then leak from one
    request, or one browser, to the next. A fresh context also gives each request its own
    database session (on the test's connection), like a real request.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(instance_dir) -> str:
    return fresh_database_url("suite", instance_dir)


@pytest.fixture(scope="session")
def app(instance_dir, database_url):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_DIR=instance_dir,
        MAIL_OUTBOX_DIR=instance_dir / "outbox",
        MEDIA_DIR=instance_dir / "media",
        MAIL_SERVER=None,
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        drop_everything(_db.engine)
        upgrade()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database, with everything this test writes rolled back afterwards."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": BoundSession,
                "expire_on_commit": False,  # as in the app (extensions.py)
            }
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _reset_rate_limits(app):
    with app.app_context():
        limiter.reset()
    yield


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """Sign ``user`` in on ``client`` through Flask-Login's session, without the login form."""

    def login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login


class Outbox:
    """The e-mails written to the outbox folder during one test, oldest first."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._seen = set(folder.glob("*.eml"))

    @property
    def messages(self) -> list[EmailMessage]:
        files = sorted(set(self.folder.glob("*.eml")) - self._seen)
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no e-mail to {address}; outbox has {[m['To'] for m in self.messages]}"
        return found[-1]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


@pytest.fixture
def count_queries(db):
    """Count SQL statements issued inside a ``with`` block: ``with count_queries() as n: ...``."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counter():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter


def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


__all__ = ["Outbox", "is_postgres", "text", "text_of"]


def _skip_is_failure(item) -> bool:
    """Under CI a skipped browser test, or a skipped services test with services set, fails."""
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return False
    if item.get_closest_marker("browser"):
        return True
    return bool(item.get_closest_marker("services") and os.environ.get("LEARNING_REDIS_URL"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _skip_is_failure(item):
        report.outcome = "failed"
        report.longrepr = f"skipped, but required when CI=true: {report.longrepr}"
