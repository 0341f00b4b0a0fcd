"""Quiz tasks: close overdue attempts (periodic), tell learners their grade is final."""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from learning.core import mail
from learning.core.db import utcnow
from learning.courses.models import Enrolment
from learning.extensions import db
from learning.quizzes import services
from learning.quizzes.models import QuizAttempt


@shared_task(name="quizzes.close_overdue_attempts")
def close_overdue_attempts() -> int:
    """Submit and grade every attempt left open past its deadline (idempotent)."""
    count = services.close_overdue_attempts(now=utcnow())
    db.session.commit()
    return count


@shared_task(
    name="quizzes.send_attempt_graded_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_attempt_graded_email(attempt_id: int) -> str | None:
    """Tell the learner that the grade of an attempt with essays is final."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.score is None:
        return None
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    user = enrolment.user
    item = db.session.get(services.Item, attempt.quiz.item_id)
    with force_locale(user.locale):
        message = mail.build_message(
            to=user.email,
            subject=str(_l("Your quiz has been graded")),
            template="quizzes/email/attempt_graded",
            locale=user.locale,
            user=user,
            attempt=attempt,
            item=item,
            site_name=current_app.config["SITE_NAME"],
        )
    return mail.deliver(message)
