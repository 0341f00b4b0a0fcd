"""Two workers issuing the same certificate at the same moment end with one (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select

from learning.accounts.models import User
from learning.certificates import services
from learning.certificates import settings as issuer_settings
from learning.certificates.models import Certificate, CertificateHolder, SigningKey
from learning.core.db import utcnow
from learning.courses.models import Course, CourseRun
from learning.extensions import db
from tests.conftest import is_postgres
from tests.factories import create_course, create_run, create_user, enrol


@pytest.fixture
def committed_enrolment(app):
    """A learner who meets the rules, committed for real so that two sessions see it."""
    with app.app_context():
        keys_before = db.session.scalar(select(func.coalesce(func.max(SigningKey.id), 0)))
        course = create_course(modules=[[("reading", True)]])
        services.save_course_settings(
            course,
            requires={"not_before": "2000-01-01"},
            valid_for_days=None,
            signatory="",
            criteria="",
            now=utcnow(),
        )
        run = create_run(course)
        user = create_user()
        enrolment = enrol(user, run)
        db.session.commit()
        ids = (enrolment.id, run.id, course.id, user.id)
        db.session.remove()
    yield ids
    with app.app_context():
        _, run_id, course_id, user_id = ids
        db.session.execute(delete(Certificate).where(Certificate.run_id == run_id))
        db.session.execute(delete(CertificateHolder).where(CertificateHolder.user_id == user_id))
        db.session.execute(delete(SigningKey).where(SigningKey.id > keys_before))
        db.session.execute(delete(CourseRun).where(CourseRun.id == run_id))
        db.session.execute(delete(Course).where(Course.id == course_id))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.commit()
        db.session.remove()


def test_two_workers_at_once_make_one_certificate(app, committed_enrolment, monkeypatch):
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL (LEARNING_DATABASE_URL): SQLite has one writer at a time")
    enrolment_id, run_id, *_ = committed_enrolment
    with app.app_context():
        issuer_settings.reset()
        issuer = issuer_settings.current()
        services.signing_key(issuer, now=utcnow())  # the key on record before the race
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(2, timeout=20)
    real_missing = services.missing_for

    def check_together(*args, **kwargs):
        found = real_missing(*args, **kwargs)
        barrier.wait()  # both workers have seen "no certificate yet, rules met"
        return found

    monkeypatch.setattr(services, "missing_for", check_together)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                certificate = services.issue_if_complete(enrolment_id, issuer, now=utcnow())
                db.session.commit()
                results.append(certificate.uuid)
                db.session.remove()
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.run_id == run_id)
        )
        db.session.remove()
    assert count == 1
