"""Certificate tasks, and the wiring that queues issuance when a learner may have earned one.

Issuance is looked at when a course is completed (``courses.course_completed``), when a
quiz attempt is marked passed (a quiz named by ``quizzes_passed`` may be passed after the
course is complete, e.g. once an essay is graded), when live attendance is recorded
(``live.attendance_recorded``) and when a city's action plan is approved
(``plans.plan_approved``). The task runs after the commit; the hourly
``certificates.issue_due`` catches anything else (a rule's first day that has come).
"""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from learning.certificates import services, settings
from learning.core.db import begin_write, utcnow
from learning.core.jobs import enqueue_after_commit
from learning.courses.models import Enrolment
from learning.courses.services import course_completed
from learning.extensions import db
from learning.live.services import attendance_recorded
from learning.plans.services import plan_approved
from learning.quizzes.models import QuizAttempt

log = logging.getLogger(__name__)


@shared_task(
    name="certificates.issue_if_complete",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def issue_if_complete(enrolment_id: int) -> str | None:
    """Issue the enrolment's certificate if its learner meets the rules (idempotent)."""
    begin_write(db.session)
    try:
        certificate = services.issue_if_complete(enrolment_id, settings.current(), now=utcnow())
    except services.SigningUnavailable as error:
        db.session.rollback()
        log.error("Certificate for enrolment %s not issued: %s", enrolment_id, error.message)
        return None
    db.session.commit()
    return certificate.uuid if certificate else None


@shared_task(name="certificates.issue_due")
def issue_due() -> int:
    """Periodic catch-up: certificates whose rules became true without an event (a first day
    that has come, rules changed by an instructor)."""
    begin_write(db.session)
    try:
        issued = services.issue_due(settings.current(), now=utcnow())
    except services.SigningUnavailable as error:
        db.session.rollback()
        log.error("Due certificates not issued: %s", error.message)
        return 0
    db.session.commit()
    return len(issued)


def _on_course_completed(enrolment, **_kwargs) -> None:
    enqueue_after_commit(db.session, issue_if_complete, enrolment.id)


def _on_attempt_passed(attempt: QuizAttempt, value, _old, _initiator) -> None:
    if value is True and attempt.enrolment_id is not None:
        enqueue_after_commit(db.session, issue_if_complete, attempt.enrolment_id)


def _check_run_learners(run_id: int, user_ids) -> None:
    enrolment_ids = db.session.scalars(
        select(Enrolment.id).where(
            Enrolment.run_id == run_id,
            Enrolment.user_id.in_(list(user_ids)),
            Enrolment.left_at.is_(None),
        )
    ).all()
    for enrolment_id in enrolment_ids:
        enqueue_after_commit(db.session, issue_if_complete, enrolment_id)


def _on_attendance_recorded(run, user_ids=(), **_kwargs) -> None:
    """Live sessions attended may complete a ``live_sessions`` rule."""
    _check_run_learners(run.id, user_ids)


def _on_plan_approved(plan, user_ids=(), **_kwargs) -> None:
    """An approved plan may complete an ``action_plan`` rule for every member of the team."""
    _check_run_learners(plan.run_id, user_ids)


_connected = False


def connect() -> None:
    """Listen for completions (once per process, whatever the number of apps)."""
    global _connected
    if _connected:
        return
    course_completed.connect(_on_course_completed, weak=False)
    event.listen(QuizAttempt.is_passed, "set", _on_attempt_passed)
    attendance_recorded.connect(_on_attendance_recorded, weak=False)
    plan_approved.connect(_on_plan_approved, weak=False)
    _connected = True
