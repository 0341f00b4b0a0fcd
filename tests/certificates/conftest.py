"""Fixtures for certificates: a course with a required reading, an optional one and a quiz."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from learning.certificates import settings as issuer_settings
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.quizzes import services as quizzes
from tests.factories import create_course, create_run, create_user, enrol

GIFT = "::Sky::The sky is green. {F}\n"


@dataclass
class Setup:
    course: object
    run: object
    learner: object
    enrolment: object
    coordinator: object
    reading: object
    quiz_item: object
    quiz: object


@pytest.fixture
def issuer(app, db):
    issuer_settings.reset()
    return issuer_settings.current()


@pytest.fixture
def setup(db) -> Setup:
    course = create_course(
        modules=[[("reading", False), ("reading", True), ("quiz", False)]],
        summary="How cities measure what matters.",
    )
    run = create_run(course)
    coordinator = create_user(roles=("coordinator",))
    courses.add_run_staff(run, coordinator, "coordinator")
    learner = create_user(display_name="Дарина Ковальчук")
    enrolment = enrol(learner, run)
    items = course.modules[0].items
    now = utcnow()
    quizzes.import_gift(None, course, GIFT, now=now)
    quiz = quizzes.ensure_quiz(items[2], now=now)
    quizzes.set_slots(quiz, [("question", q.id, 1) for q in quizzes.bank(course)])
    db.session.flush()
    return Setup(course, run, learner, enrolment, coordinator, items[0], items[2], quiz)


def pass_quiz(enrolment, quiz, *, now, right: bool = True):
    attempt = quizzes.start_attempt(enrolment, quiz, now=now)
    quizzes.save_answer(attempt, attempt.layout[0]["slot"], "false" if right else "true", now=now)
    return quizzes.submit_attempt(attempt, now=now)


def complete_everything(s: Setup, *, now):
    courses.set_item_done(s.enrolment, s.reading, True, now=now)
    pass_quiz(s.enrolment, s.quiz, now=now)
