"""Celery wired to Flask, and ``enqueue_after_commit``.

Tasks run inside an app context. A task is only sent once the database transaction that
produced its data has committed: a worker must never look for a row that does not exist yet,
and a rolled-back request must not send an e-mail about something that did not happen.
Without ``LEARNING_REDIS_URL`` Celery runs tasks eagerly, in-process, at the same moment.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger(__name__)

PENDING_KEY = "capacity_pending_tasks"


def init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # A fresh app context gives the task its own database session, even when it runs
            # eagerly inside a request.
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue_after_commit(session: Session, task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` with these arguments once ``session`` commits; forget it on rollback."""
    if has_app_context():
        # A shared task resolves to the process's default Celery app, which is the one of the
        # Flask app created last; send it through this app's Celery (its broker, its eager
        # setting, its app context) so that several apps can live in one process.
        task = current_app.extensions["celery"].tasks[task.name]
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        # Tie the tasks to a transaction: a rollback before any query would otherwise leave
        # them queued for the next commit.
        session.begin()
    session.info.setdefault(PENDING_KEY, []).append((task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # Releasing a SAVEPOINT fires after_commit too, but nothing is committed yet: the
        # tasks wait for the outermost commit (a worker would find no row, and an in-process
        # task would wait on the write lock that this very transaction holds).
        return
    pending = session.info.pop(PENDING_KEY, [])
    for task, args, kwargs in pending:
        task.apply_async(args=args, kwargs=kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    # Only the outermost rollback drops the queue; a rolled-back savepoint keeps the rest.
    if previous_transaction.parent is None:
        dropped = session.info.pop(PENDING_KEY, [])
        if dropped:
            log.info("Dropped %d task(s) after rollback", len(dropped))
