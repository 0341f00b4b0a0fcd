"""``enqueue_after_commit``: a task is sent once the transaction commits, never on rollback."""

from __future__ import annotations

import pytest
from celery import shared_task

from learning.core.jobs import PENDING_KEY, enqueue_after_commit
from tests.factories import create_user
from tests.helpers import side_app

RAN: list[tuple] = []


@shared_task(name="tests.record_call")
def record_call(*args, **kwargs) -> None:
    """Remember that it ran, and whether the row it was given exists for a fresh session."""
    from learning.accounts.models import User
    from learning.extensions import db

    user_id = kwargs.get("user_id")
    seen = db.session.get(User, user_id) is not None if user_id else None
    RAN.append((args, kwargs.get("tag"), seen))


@pytest.fixture(autouse=True)
def _clear():
    RAN.clear()
    yield
    RAN.clear()


def test_task_runs_only_after_commit(db):
    enqueue_after_commit(db.session, record_call, 1, 2, tag="after")
    db.session.flush()
    assert RAN == []
    db.session.commit()
    assert RAN == [((1, 2), "after", None)]
    db.session.commit()  # a second commit does not send it again
    assert len(RAN) == 1


def test_task_sees_the_committed_row(db):
    user = create_user()
    enqueue_after_commit(db.session, record_call, user_id=user.id, tag="row")
    db.session.commit()
    assert RAN == [((), "row", True)]


def test_a_released_savepoint_sends_nothing_before_the_real_commit(db):
    user = create_user()
    enqueue_after_commit(db.session, record_call, user_id=user.id, tag="outer")
    with db.session.begin_nested():
        create_user()
    assert RAN == [], "a savepoint released is not a commit"
    db.session.commit()
    assert RAN == [((), "outer", True)]


def test_nothing_is_sent_on_rollback(db):
    enqueue_after_commit(db.session, record_call, tag="dropped")
    db.session.rollback()
    assert RAN == []
    assert PENDING_KEY not in db.session.info
    db.session.commit()
    assert RAN == []


def test_a_rolled_back_savepoint_keeps_the_tasks_of_the_outer_transaction(db):
    enqueue_after_commit(db.session, record_call, tag="outer")
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    assert RAN == []
    db.session.commit()
    assert [tag for _, tag, _ in RAN] == ["outer"]


def test_tasks_run_in_order(db):
    for n in range(3):
        enqueue_after_commit(db.session, record_call, n, tag="order")
    db.session.commit()
    assert [args for args, _, _ in RAN] == [(0,), (1,), (2,)]


def test_task_is_sent_through_this_apps_celery(app, db, tmp_path, monkeypatch):
    """With several apps in one process, the task goes through the committing app's Celery."""
    ours = app.extensions["celery"]
    with side_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://") as other:
        # Make the other app's Celery the process default, as creating it last would.
        theirs = other.extensions["celery"]
        theirs.set_default()
        theirs.set_current()
        try:
            sent = []
            task = ours.tasks["tests.record_call"]
            monkeypatch.setattr(
                type(task), "apply_async", lambda self, args, kwargs: sent.append(self.app)
            )
            enqueue_after_commit(db.session, record_call, tag="bound")
            db.session.commit()
        finally:
            ours.set_default()
            ours.set_current()
    assert sent == [ours]
    assert RAN == []
