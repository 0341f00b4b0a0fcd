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
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

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
    session.info.setdefault(PENDING_KEY, []).append((task, args, kwargs))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
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
