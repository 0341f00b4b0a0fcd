"""Demo certificates: the youth champion holds the certificate of the champions course."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from learning.accounts import services as accounts
from learning.certificates import services, settings
from learning.courses.models import Course, CourseRun, Enrolment
from learning.extensions import db

CHAMPION = "champion@example.org"
COURSE = "youth-champions"


def load_demo(now: datetime) -> list[str]:
    """Issue the champion's certificate once the demo has completed the course for them
    (idempotent: an existing certificate is kept)."""
    champion = accounts.find_user_by_email(CHAMPION)
    if champion is None:
        return []
    enrolment = db.session.scalar(
        select(Enrolment)
        .join(CourseRun, CourseRun.id == Enrolment.run_id)
        .join(Course, Course.id == CourseRun.course_id)
        .where(Course.slug == COURSE, Enrolment.user_id == champion.id)
    )
    if enrolment is None or services.certificate_of(champion, enrolment.run) is not None:
        return []
    certificate = services.issue_if_complete(enrolment.id, settings.current(), now=now)
    return [f"certificate {certificate.code} for {CHAMPION}"] if certificate else []
